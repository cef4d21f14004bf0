import Foundation

/// One grammar listed in `manifest.json`.
public struct GrammarManifestEntry: Equatable, Sendable {
    public var language: String
    var symbol: String
    var library: String
    var query: String
    /// The name of the query in the repository's `Grammars/queries` (it may
    /// differ from `query`: TSX is chunked with `typescript.scm`).
    var querySource: String?
    /// File extensions (without the dot), whole file names and `#!` interpreters
    /// that select this language, added to Quarry's built-in detection rules.
    public var extensions: [String] = []
    public var fileNames: [String] = []
    public var interpreters: [String] = []
    /// Markers of comments running to the end of the line, kept with the
    /// definition below them; nil means `//`.
    var lineComments: [String]?
    /// Whether `/* ... */` comments above a definition are kept with it; nil means yes.
    var blockComments: Bool?
    /// Starts of attribute lines the grammar leaves outside a definition (`#[`
    /// in Rust), kept with the definition below them like its comments.
    var attributePrefixes: [String] = []
}

/// Reads `manifest.json`. Accepted shapes, so the build script may evolve:
/// - `{"grammars": [entry, ...]}` or `{"languages": [entry, ...]}` or `[entry, ...]`
/// - `{"grammars": {"python": entry, ...}}` (the key names the language)
/// where an entry has `language` (or the key), and optionally `symbol`
/// (default `tree_sitter_<language>`), `library` / `file` / `shared_object`
/// (default `<language>.so`) and `query` / `query_file` (default `<language>.scm`).
/// Paths are relative to the grammar directory unless absolute.
enum GrammarManifest {
    static func read(path: String) throws(ChunkerError) -> [GrammarManifestEntry] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .manifestUnreadable(path: path, reason: "file missing or unreadable")
        }
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw .manifestUnreadable(path: path, reason: "not JSON (\(error.localizedDescription))")
        }
        var listed: Any = root
        if let object = root as? [String: Any] {
            listed = object["grammars"] ?? object["languages"] ?? object
        }
        var entries: [GrammarManifestEntry] = []
        if let array = listed as? [[String: Any]] {
            for item in array {
                guard let language = item["language"] as? String ?? item["name"] as? String else {
                    throw .manifestUnreadable(path: path, reason: "an entry has no \"language\"")
                }
                entries.append(entry(language: language, fields: item))
            }
        } else if let keyed = listed as? [String: Any] {
            for (key, value) in keyed.sorted(by: { $0.key < $1.key }) {
                guard let fields = value as? [String: Any] else { continue }
                entries.append(entry(language: fields["language"] as? String ?? key, fields: fields))
            }
        } else {
            throw .manifestUnreadable(path: path, reason: "expected a list of grammars")
        }
        return entries
    }

    private static func entry(language: String, fields: [String: Any]) -> GrammarManifestEntry {
        func text(_ keys: String...) -> String? {
            for key in keys { if let value = fields[key] as? String, !value.isEmpty { return value } }
            return nil
        }
        func list(_ key: String) -> [String]? { (fields[key] as? [Any])?.compactMap { $0 as? String } }
        return GrammarManifestEntry(
            language: language,
            symbol: text("symbol", "function") ?? "tree_sitter_\(language)",
            library: text("library", "file", "shared_object", "so", "path") ?? "\(language).so",
            query: text("query", "query_file", "queries") ?? "\(language).scm",
            querySource: text("query_source"),
            extensions: list("extensions") ?? [], fileNames: list("filenames") ?? [],
            interpreters: list("interpreters") ?? [],
            lineComments: list("line_comments"), blockComments: fields["block_comments"] as? Bool,
            attributePrefixes: list("attribute_prefixes") ?? [])
    }

    static func resolve(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") ? path : (directory as NSString).appendingPathComponent(path)
    }
}
