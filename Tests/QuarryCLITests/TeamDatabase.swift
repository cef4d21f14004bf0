import Foundation
import TeamStore
import XCTest

/// A private schema in the test PostgreSQL server (`scripts/test.sh` starts
/// one with `scripts/pg-up.sh` and sets `QUARRY_TEST_DATABASE_URL`), so each
/// test starts from an empty team database. Without a server the tests fail
/// saying so: the team index is shipped code, never silently untested.
struct TeamDatabase {
    /// The server's URL as `scripts/pg-up.sh` printed it.
    let serverURL: String
    let schema: String
    /// The URL `quarry push` and `quarry search --db` get: the schema first on the search path.
    let url: String

    static var serverURL: String? {
        guard let url = ProcessInfo.processInfo.environment["QUARRY_TEST_DATABASE_URL"], !url.isEmpty else {
            XCTFail("no PostgreSQL for the team-index tests: run them through scripts/test.sh, or start one with "
                    + "'export QUARRY_TEST_DATABASE_URL=$(scripts/pg-up.sh | tail -1)'")
            return nil
        }
        return url
    }

    /// A fresh schema; nil (after failing the test) without a server.
    static func make() -> TeamDatabase? {
        guard let server = serverURL else { return nil }
        let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        do {
            try PostgresConnection(url: server).execute("CREATE SCHEMA \(schema)")
        } catch {
            XCTFail("cannot reach the test PostgreSQL at \(server): \(error)")
            return nil
        }
        return TeamDatabase(serverURL: server, schema: schema,
                            url: server + "?options=-csearch_path%3D\(schema)%2Cpublic")
    }

    func connection() throws -> PostgresConnection { try PostgresConnection(url: url) }

    /// One integer from `sql`.
    func count(_ sql: String, _ parameters: [PostgresValue] = []) throws -> Int {
        try connection().execute(sql, parameters).int(0, 0)
    }

    func drop() {
        _ = try? PostgresConnection(url: serverURL).execute("DROP SCHEMA \(schema) CASCADE")
    }

    /// The same server and role with `database` instead of the test one.
    func url(database: String) -> String {
        guard let slash = serverURL.lastIndex(of: "/") else { return serverURL }
        return String(serverURL[...slash]) + database
    }
}
