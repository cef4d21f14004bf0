import Store

/// What can go wrong answering a search; each prints as one line.
public enum SearchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The index could not be read.
    case store(StoreError)
    /// A path glob that cannot be parsed.
    case invalidGlob(pattern: String, reason: String)

    public var description: String {
        switch self {
        case .store(let error): return error.description
        case .invalidGlob(let pattern, let reason): return "invalid path glob \(pattern): \(reason)"
        }
    }
}
