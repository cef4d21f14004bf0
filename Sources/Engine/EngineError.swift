import Search
import Store
import TeamStore

/// A failure any front end reports in one line. `kind` lets each front end
/// pick its own signal (an exit status, an HTTP status, an MCP tool error)
/// without parsing the message.
package struct EngineError: Error, CustomStringConvertible, Sendable, Equatable {
    package enum Kind: Sendable, Equatable {
        /// The request itself is wrong: an empty query, a bad filter, a line range past the end.
        case invalidRequest
        /// An index, revision, path or model that does not exist.
        case notFound
        /// Another writer holds the index lock.
        case busy
        /// Anything else: I/O, a damaged index, a model that fails to load.
        case failed
    }

    package var kind: Kind
    package var description: String

    package init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    package init(_ description: String) {
        self.init(.failed, description)
    }
}

extension EngineError.Kind {
    /// The kind of any error a front end meets, so each maps failures to its
    /// own signal in one place: what the caller asked for is wrong or absent,
    /// the index is busy, or something else failed.
    package init(classifying error: Error) {
        switch error {
        case let error as EngineError:
            self = error.kind
        case let error as StoreError:
            self.init(classifying: error)
        case let error as TeamStoreError:
            self.init(classifying: error)
        case let error as SearchError:
            switch error {
            case .store(let store): self.init(classifying: store)
            case .invalidGlob: self = .invalidRequest
            default: self = .failed
            }
        default:
            self = .failed
        }
    }

    private init(classifying error: StoreError) {
        switch error {
        case .unknownRevision, .noIndex: self = .notFound
        // Another process holds the database, or an older schema waits for `quarry index` to upgrade it.
        case .busy, .outdatedSchema: self = .busy
        case .invalidArgument: self = .invalidRequest
        default: self = .failed
        }
    }

    /// A team database that cannot be reached is busy (HTTP 503): the request
    /// may succeed later, unchanged.
    private init(classifying error: TeamStoreError) {
        switch error {
        case .notFound, .noSchema: self = .notFound
        case .invalidInput: self = .invalidRequest
        case .cannotConnect, .connectionLost: self = .busy
        default: self = .failed
        }
    }
}
