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
