import Foundation

/// Everything that can go wrong reading a repository. Each case prints as one
/// line that names the path, revision or object involved.
public enum GitSourceError: Error, Sendable, Hashable, CustomStringConvertible, LocalizedError {
    /// The path does not exist on disk.
    case pathNotFound(String)
    /// Neither the path nor any of its parents is inside a git repository.
    case notARepository(String)
    /// The repository has no commits yet, so `HEAD` names nothing.
    case unbornHead(branch: String)
    /// The revision could not be resolved (unknown, ambiguous or malformed).
    case badRevision(String, detail: String)
    /// The revision resolves, but not to something that peels to a commit.
    case notACommit(String)
    /// A string that should be a full hexadecimal object id is not one.
    case invalidObjectID(String)
    /// A well-formed object id that the object database does not hold.
    case objectNotFound(String)
    /// Any other libgit2 failure, with libgit2's own message.
    case libgit2(operation: String, message: String)

    public var description: String {
        switch self {
        case .pathNotFound(let path):
            return "no such file or directory: \(path)"
        case .notARepository(let path):
            return "not a git repository (or any parent directory): \(path)"
        case .unbornHead(let branch):
            return "repository has no commits yet (HEAD points to unborn branch '\(branch)')"
        case .badRevision(let revision, let detail):
            return "bad revision '\(revision)': \(detail)"
        case .notACommit(let revision):
            return "revision '\(revision)' does not name a commit"
        case .invalidObjectID(let id):
            return "invalid object id '\(id)' (expected 40 hexadecimal digits)"
        case .objectNotFound(let id):
            return "object \(id) is not in the repository"
        case .libgit2(let operation, let message):
            return "libgit2 failed to \(operation): \(message)"
        }
    }

    public var errorDescription: String? { description }
}
