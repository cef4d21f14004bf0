import Engine
import QuarryCore
import Search

/// What `tools/list` returns: each tool's input and output as JSON Schema.
/// The output schemas describe exactly the objects `ToolOutput` builds (a
/// client validates structured content against them).
enum ToolSchemas {
    static let maximumLimit = 100

    /// Argument names per tool; a call naming another argument is refused.
    static let argumentNames: [String: [String]] = [
        "search": ["query", "mode", "limit", "language", "path", "revision", "repository"],
        "status": [],
        "read": ["path", "start_line", "end_line", "revision"],
        "refresh": [],
    ]

    static var all: [JSON] { [search, status, read, refresh] }

    private static func string(_ description: String, choices: [String]? = nil) -> JSON {
        var pairs: [(String, JSON)] = [("type", .string("string")), ("description", .string(description))]
        if let choices { pairs.append(("enum", .array(choices.map { .string($0) }))) }
        return .object(pairs)
    }

    private static func integer(_ description: String, minimum: Int, maximum: Int? = nil) -> JSON {
        var pairs: [(String, JSON)] = [("type", .string("integer")), ("description", .string(description)),
                                       ("minimum", .int(minimum))]
        if let maximum { pairs.append(("maximum", .int(maximum))) }
        return .object(pairs)
    }

    private static func object(_ properties: [(String, JSON)], required: [String]) -> JSON {
        .object([("type", .string("object")), ("properties", .object(properties)),
                 ("required", .array(required.map { .string($0) }))])
    }

    private static func typed(_ type: String) -> JSON { .object([("type", .string(type))]) }

    private static func tool(_ name: String, _ description: String, input: JSON, output: JSON) -> JSON {
        .object([("name", .string(name)), ("description", .string(description)),
                 ("inputSchema", input), ("outputSchema", output)])
    }

    static let searchResult = object([
        ("repo", typed("string")), ("path", typed("string")), ("start_line", typed("integer")), ("end_line", typed("integer")),
        ("language", typed("string")), ("kind", typed("string")), ("symbol", typed("string")),
        ("score", typed("number")), ("blob", typed("string")), ("rev", typed("string")), ("text", typed("string")),
    ], required: ["path", "start_line", "end_line", "language", "kind", "symbol", "score", "rev", "text"])

    static var search: JSON {
        tool("search", "Search the indexed code by meaning and keywords (the ranking of `quarry search`). "
             + "Returns the best chunks with path, lines, symbol, language, kind, score, revision and code.",
             input: object([
                ("query", string("Words, identifiers or a question in any language, e.g. \"where is auth handled\".")),
                ("mode", string("hybrid (default) fuses keywords and meaning; semantic or lexical use one.",
                                choices: SearchMode.allCases.map(\.rawValue))),
                ("limit", integer("Number of results (default 10).", minimum: 1, maximum: maximumLimit)),
                ("language", string("Only this language.", choices: Language.allCases.map(\.rawValue))),
                ("path", string("Only paths matching this glob, e.g. 'src/**/*.py'.")),
                ("revision", string("Indexed revision to search (default HEAD when indexed).")),
                ("repository", string("With a team database (quarry mcp --db): only this repository.")),
             ], required: ["query"]),
             output: object([
                ("mode", typed("string")),
                ("results", .object([("type", .string("array")), ("items", searchResult)])),
                ("notes", .object([("type", .string("array")), ("items", typed("string"))])),
             ], required: ["mode", "results"]))
    }

    static var status: JSON {
        let revision = object([("name", typed("string")), ("commit", typed("string")), ("date", typed("string")),
                               ("author", typed("string")), ("subject", typed("string")),
                               ("files", typed("integer")), ("indexed_at", typed("string"))],
                              required: ["name", "commit", "files"])
        let model = object([("name", typed("string")), ("revision", typed("string")), ("dimension", typed("integer")),
                            ("vectors", typed("integer")), ("bytes", typed("integer")),
                            ("vector_file_current", typed("boolean")), ("texts_without_vectors", typed("integer"))],
                           required: ["name", "vectors", "texts_without_vectors"])
        return tool("status", "What the index holds: revisions, models with embedding coverage, file, chunk and "
                    + "vector counts.",
                    input: object([], required: []),
                    output: object([
                        ("index", typed("string")), ("size_bytes", typed("integer")),
                        ("revisions", .object([("type", .string("array")), ("items", revision)])),
                        ("models", .object([("type", .string("array")), ("items", model)])),
                        ("revision", .object([("type", .array([.string("string"), .string("null")]))])),
                        ("files", typed("integer")), ("blobs", typed("integer")), ("chunks", typed("integer")),
                        ("embeddings", typed("integer")), ("languages", typed("object")), ("skipped", typed("object")),
                    ], required: ["index", "revisions", "models", "files", "chunks", "embeddings"]))
    }

    static var read: JSON {
        tool("read", "Lines of a file as an indexed revision holds it (from git objects, not the working tree). "
             + "Paths are relative to the repository root; at most \(QuarryEngine.maximumReadLines) lines per call.",
             input: object([
                ("path", string("File path relative to the repository root, e.g. 'src/auth.py'.")),
                ("start_line", integer("First line, 1-based (default 1).", minimum: 1)),
                ("end_line", integer("Last line, inclusive (default: start + \(QuarryEngine.maximumReadLines - 1)).",
                                     minimum: 1)),
                ("revision", string("Indexed revision (default HEAD when indexed).")),
             ], required: ["path"]),
             output: object([
                ("path", typed("string")), ("rev", typed("string")), ("commit", typed("string")),
                ("start_line", typed("integer")), ("end_line", typed("integer")),
                ("total_lines", typed("integer")), ("text", typed("string")),
             ], required: ["path", "rev", "commit", "start_line", "end_line", "total_lines", "text"]))
    }

    static var refresh: JSON {
        tool("refresh", "Re-index the server's configured revisions so new commits become searchable. "
             + "Answers at once with an error when another index run holds the index.",
             input: object([], required: []),
             output: object([
                ("revision", typed("string")), ("commit", typed("string")), ("index", typed("string")),
                ("files_seen", typed("integer")), ("changed_files", typed("integer")),
                ("new_blobs", typed("integer")), ("chunks", typed("integer")), ("embedded", typed("integer")),
                ("seconds", typed("number")), ("revisions", typed("array")),
             ], required: ["revision", "commit", "files_seen", "revisions"]))
    }
}
