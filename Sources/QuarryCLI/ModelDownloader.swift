import Engine
import Foundation

/// Fetches a model's files from a Hugging Face style hub
/// (`<base>/<repo>/resolve/main/<file>`).
struct ModelDownloader {
    static let knownModels = [
        "granite-embedding-97m-multilingual-r2": "ibm-granite/granite-embedding-97m-multilingual-r2",
        "granite-embedding-311m-multilingual-r2": "ibm-granite/granite-embedding-311m-multilingual-r2",
    ]
    static let requiredFiles = ["config.json", "model.safetensors", "tokenizer.json"]
    static let optionalFiles = ["tokenizer_config.json", "special_tokens_map.json", "modules.json",
                                "1_Pooling/config.json", "config_sentence_transformers.json",
                                "sentence_bert_config.json"]

    let baseURL: String

    func pull(_ name: String, into library: ModelLibrary,
              progress: @escaping (String, Int) -> Void) throws -> String {
        guard let repository = Self.knownModels[name] else {
            throw CLIError("unknown model '\(name)'; known: \(Self.knownModels.keys.sorted().joined(separator: ", "))")
        }
        return try library.install(name: name) { staging in
            for file in Self.requiredFiles + Self.optionalFiles {
                let url = "\(baseURL)/\(repository)/resolve/main/\(file)"
                let destination = staging + "/" + file
                let fetched = try download(url, to: destination) { progress(file, $0) }
                if !fetched, Self.requiredFiles.contains(file) {
                    throw CLIError("\(url): not found (is '\(name)' published there?)")
                }
            }
            _ = try ModelLoader.load(directory: staging)
        }
    }

    /// Downloads `url` to `destination`; false on HTTP 404, throws on other failures.
    /// Debian's curl fetches rather than URLSession: FoundationNetworking would link
    /// libcurl, gnutls, krb5 and a score of other libraries into every quarry process,
    /// whose symbol binding is a tenth of a one-shot search's CPU time.
    private func download(_ url: String, to destination: String, progress: (Int) -> Void) throws -> Bool {
        guard URL(string: url) != nil else { throw CLIError("invalid URL \(url)") }
        let partial = destination + ".part"
        try FileManager.default.createDirectory(atPath: (destination as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: partial) }
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        curl.arguments = ["curl", "--silent", "--show-error", "--location", "--output", partial,
                          "--write-out", "%{http_code}", "--url", url]
        let output = Pipe(), errors = Pipe()
        curl.standardOutput = output
        curl.standardError = errors
        curl.standardInput = FileHandle.nullDevice
        do {
            try curl.run()
        } catch {
            throw CLIError("\(url): cannot run curl: \(error.localizedDescription)")
        }
        // Both outputs are a line at most, well within a pipe's buffer, so reading after exit cannot block.
        curl.waitUntilExit()
        let status = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .split(whereSeparator: \.isNewline).last.map(String.init) ?? "curl exited with \(curl.terminationStatus)"
        guard curl.terminationStatus == 0 else { throw CLIError("\(url): \(message)") }
        if status == "404" { return false }
        guard status == "200" else { throw CLIError("\(url): HTTP \(status)") }
        let size = (try? FileManager.default.attributesOfItem(atPath: partial)[.size] as? Int) ?? 0
        progress(size)
        try? FileManager.default.removeItem(atPath: destination)
        try FileManager.default.moveItem(atPath: partial, toPath: destination)
        return true
    }
}
