import Foundation

/// Keeps sessions in memory and expires them after a timeout.
@MainActor
public final class SessionStore {
    private var sessions: [String: Session] = [:]
    let timeout: TimeInterval

    public init(timeout: TimeInterval = 3_600) {
        self.timeout = timeout
    }

    /// Opens a session for `user` and returns its token.
    @discardableResult
    public func open(for user: String) -> String {
        let token = UUID().uuidString
        sessions[token] = Session(user: user, created: Date())
        return token
    }

    public subscript(token: String) -> Session? {
        sessions[token]
    }

    deinit {
        sessions.removeAll()
    }
}

public struct Session: Codable {
    let user: String
    let created: Date

    func isExpired(after timeout: TimeInterval, now: Date = Date()) -> Bool {
        now.timeIntervalSince(created) > timeout
    }
}

public protocol TokenIssuer {
    func issue(for user: String) throws -> String
}

extension SessionStore: TokenIssuer {
    public func issue(for user: String) throws -> String {
        open(for: user)
    }
}

enum SessionError: Error {
    case expired(token: String)
    case unknown

    var message: String {
        switch self {
        case .expired(let token): return "session \(token) expired"
        case .unknown: return "no such session"
        }
    }
}

// Hashes a password with a per-user salt.
func hashPassword(_ password: String, salt: String) -> String {
    String((salt + password).hashValue)
}
