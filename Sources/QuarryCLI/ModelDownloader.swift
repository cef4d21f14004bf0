import Engine
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

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
    private func download(_ url: String, to destination: String, progress: (Int) -> Void) throws -> Bool {
        guard let address = URL(string: url) else { throw CLIError("invalid URL \(url)") }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: Result<(URL, Int), Error> = .failure(CLIError("no response"))
        let task = URLSession.shared.downloadTask(with: address) { location, response, error in
            if let error {
                outcome = .failure(CLIError("\(url): \(error.localizedDescription)"))
            } else if let location, let http = response as? HTTPURLResponse {
                // The temporary file vanishes when this handler returns: move it now.
                let kept = URL(fileURLWithPath: destination + ".part")
                try? FileManager.default.removeItem(at: kept)
                do {
                    try FileManager.default.createDirectory(at: kept.deletingLastPathComponent(),
                                                            withIntermediateDirectories: true)
                    try FileManager.default.moveItem(at: location, to: kept)
                    outcome = .success((kept, http.statusCode))
                } catch {
                    outcome = .failure(error)
                }
            }
            done.signal()
        }
        task.resume()
        done.wait()
        let (file, status) = try outcome.get()
        defer { try? FileManager.default.removeItem(at: file) }
        if status == 404 { return false }
        guard status == 200 else { throw CLIError("\(url): HTTP \(status)") }
        let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
        progress(size)
        try FileManager.default.moveItem(atPath: file.path, toPath: destination)
        return true
    }
}
