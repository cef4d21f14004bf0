/// How large chunks may be and how files without a grammar are windowed.
public struct ChunkingOptions: Sendable {
    /// The budget every chunk must fit, in units of `measure`.
    public var maxChunkSize: Int
    /// Size of a text in budget units. The default estimates tokens as
    /// UTF-8 bytes / 4; the encoder passes its tokenizer's count instead.
    public var measure: @Sendable (String) -> Int
    /// Lines per window for files chunked by lines (no grammar, or a failed parse).
    public var lineWindow: Int
    /// Lines shared by consecutive windows, so a match straddling a cut is still found.
    public var lineOverlap: Int
    /// Statements other than CREATE ... (`@query` captures) become chunks of
    /// their own only from this many lines on; smaller ones stay top-level code.
    public var largeStatementLines: Int
    /// Parses taking longer than this fall back to line windows.
    public var parseTimeoutMicroseconds: UInt64

    public init(maxChunkSize: Int = 512,
                measure: @escaping @Sendable (String) -> Int = ChunkingOptions.estimatedTokens,
                lineWindow: Int = 60, lineOverlap: Int = 8,
                largeStatementLines: Int = 12,
                parseTimeoutMicroseconds: UInt64 = 5_000_000) {
        self.maxChunkSize = max(1, maxChunkSize)
        self.measure = measure
        self.lineWindow = max(1, lineWindow)
        self.lineOverlap = max(0, min(lineOverlap, lineWindow - 1))
        self.largeStatementLines = largeStatementLines
        self.parseTimeoutMicroseconds = parseTimeoutMicroseconds
    }

    /// Token estimate: one token per four UTF-8 bytes, rounded up.
    public static let estimatedTokens: @Sendable (String) -> Int = { ($0.utf8.count + 3) / 4 }
}
