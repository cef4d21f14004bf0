/// What a chunk of source represents.
public enum ChunkKind: String, Sendable, Codable, CaseIterable, Hashable {
    /// A free function or a method.
    case function
    /// A class, struct, interface, enum or similar type header with its fields.
    case type
    /// A Ruby module, C++ namespace or similar container header.
    case module
    /// A SQL statement (CREATE TABLE / VIEW / FUNCTION ..., large queries).
    case statement
    /// A section of a document (Markdown, reStructuredText), named by its heading path.
    case doc
    /// Top-level code left over once functions and types are taken out.
    case toplevel
    /// A line window of a file in a language without a grammar.
    case lines
    /// Test code: a search's label for a chunk of a test file or a test
    /// function (`TestDetection`); never stored.
    case test
}

/// A contiguous, self-describing piece of a source file: the unit Quarry
/// indexes, embeds and returns.
public struct Chunk: Sendable, Hashable, Codable {
    public var language: Language
    public var kind: ChunkKind
    /// Qualified name, e.g. `auth.LoginView.post`; empty for anonymous chunks.
    public var symbol: String
    /// 1-based, inclusive line range in the file.
    public var startLine: Int
    public var endLine: Int
    /// Byte range `[startByte, endByte)` in the file.
    public var startByte: Int
    public var endByte: Int
    /// The text to index and embed. For a split chunk, parts after the first
    /// start with the repeated signature, so `text` is not always the exact
    /// file slice `[startByte, endByte)`.
    public var text: String

    public init(language: Language, kind: ChunkKind, symbol: String,
                startLine: Int, endLine: Int, startByte: Int, endByte: Int, text: String) {
        self.language = language
        self.kind = kind
        self.symbol = symbol
        self.startLine = startLine
        self.endLine = endLine
        self.startByte = startByte
        self.endByte = endByte
        self.text = text
    }
}
