/// How a query is answered.
public enum SearchMode: String, Sendable, CaseIterable, CustomStringConvertible {
    /// BM25 and vector rankings fused by reciprocal rank fusion (the default).
    case hybrid
    /// Cosine similarity of the query vector to every chunk vector.
    case semantic
    /// BM25 full-text ranking only; needs no model.
    case lexical

    public var description: String { rawValue }

    /// Whether this mode needs a query vector.
    public var usesVectors: Bool { self != .lexical }
}
