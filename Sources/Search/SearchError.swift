import Store

/// What can go wrong answering a search; each prints as one line.
public enum SearchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The index could not be read.
    case store(StoreError)
    /// A path glob that cannot be parsed.
    case invalidGlob(pattern: String, reason: String)
    /// A semantic or hybrid search was asked for without a query vector or model.
    case missingQueryVector(mode: SearchMode)
    /// The query vector and the stored vectors have different lengths.
    case dimensionMismatch(query: Int, index: Int)
    /// Stored vectors that cannot be used (wrong length, not finite).
    case invalidVectors(String)

    public var description: String {
        switch self {
        case .store(let error): return error.description
        case .invalidGlob(let pattern, let reason): return "invalid path glob \(pattern): \(reason)"
        case .missingQueryVector(let mode):
            return "\(mode.rawValue) search needs an embedding model and a query vector"
        case .dimensionMismatch(let query, let index):
            return "query vector has \(query) dimensions, the indexed vectors have \(index)"
        case .invalidVectors(let detail): return "invalid vectors: \(detail)"
        }
    }
}
