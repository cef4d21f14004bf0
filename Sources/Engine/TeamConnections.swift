import Foundation
import TeamStore

/// Connections to one team database, kept between searches: a server pays
/// for connecting (TCP, authentication, the schema check) once per worker,
/// not once per request. A connection is used by one search at a time.
package final class TeamConnections: @unchecked Sendable {
    // @unchecked: `idle` is only touched under `lock`; a `TeamStore` taken
    // from it belongs to one search until it is given back.
    package let url: String
    private let lock = NSLock()
    private var idle: [TeamStore] = []

    package init(url: String) {
        self.url = url
    }

    /// Connects now and keeps the connection: a wrong URL, a refused
    /// connection or a schema this Quarry cannot read fails here, at start-up,
    /// rather than on the first search.
    /// Returns a note when the database holds no Quarry index yet: a server
    /// may start before CI's first push, as before a first `quarry index`.
    package func check() throws(TeamStoreError) -> String? {
        do {
            give(try TeamStore(url: url, for: .search))
            return nil
        } catch .noSchema {
            return "\(TeamStoreError.noSchema) (searches answer 'not found' until then)"
        }
    }

    /// The URL without its password, for messages.
    package var displayURL: String { PostgresConnection.masked(url) }

    /// Runs `body` on a kept connection, replacing it once when found dropped.
    func withStore<T>(_ body: (TeamStore) throws -> T) throws -> T {
        var fresh = false
        while true {
            let (store, reused) = try take(fresh: fresh)
            do {
                let value = try body(store)
                give(store)
                return value
            } catch TeamStoreError.connectionLost where reused && !fresh {
                fresh = true
            }
        }
    }

    /// An idle connection (`reused` true), else a new one. After a dropped
    /// connection the caller passes `fresh`: the idle ones went to the same
    /// server and are as likely dead, so they are closed.
    func take(fresh: Bool) throws(TeamStoreError) -> (store: TeamStore, reused: Bool) {
        lock.lock()
        if fresh { idle.removeAll() }
        let kept = idle.popLast()
        lock.unlock()
        if let kept { return (kept, true) }
        return (try TeamStore(url: url, for: .search), false)
    }

    /// Keeps `store` for the next search (as many as ran at once, within reason).
    func give(_ store: TeamStore) {
        lock.lock()
        defer { lock.unlock() }
        if idle.count < 8 { idle.append(store) }
    }
}
