import Foundation
import TeamStore
import XCTest

/// `quarry push` and `quarry search --db` against a real PostgreSQL with
/// pgvector: publishing, incremental re-publishing, searching many
/// repositories, and the bad inputs and faults that must give one line and
/// exit 2 with nothing half-published.
final class TeamIndexTests: XCTestCase {
    private var database: TeamDatabase?
    private var repositories: [ScratchRepository] = []

    /// A fresh schema per test; nil (the test failed saying why) without a server.
    override func setUp() {
        database = TeamDatabase.make()
    }

    override func tearDown() {
        database?.drop()
        repositories.forEach { $0.remove() }
    }

    /// A committed and indexed repository with `files`.
    private func repository(_ files: [String: String], name: String = "repo") throws -> ScratchRepository {
        let repository = try ScratchRepository(name: name)
        repositories.append(repository)
        for (path, text) in files { try repository.write(path, text) }
        try repository.commitAll()
        let index = try QuarryProcess.run(["index", repository.path])
        XCTAssertEqual(index.status, 0, index.stderr)
        return repository
    }

    private static let config = """
        import json


        def parse_config(path):
            \"\"\"Parse the config file at path and return its settings.\"\"\"
            with open(path) as handle:
                return json.load(handle)
        """

    private static let auth = """
        def authenticate(request):
            \"\"\"Check the user's password: this is where auth is handled.\"\"\"
            return request.user.password_digest == digest(request.password)
        """

    private static let retry = """
        func retryBackoff(fn func() error) error {
        \tfor i := 0; i < 5; i++ {
        \t\tif err := fn(); err == nil {
        \t\t\treturn nil
        \t\t}
        \t}
        \treturn fn()
        }
        """

    private func push(_ repository: ScratchRepository, name: String, url: String? = nil) throws -> QuarryProcess.Outcome {
        try QuarryProcess.run(["push", "--json", "--repo", repository.path, "--name", name, url ?? database?.url ?? ""])
    }

    func testPushedRepositoriesAreSearchedTogetherAndSharedTextIsStoredOnce() throws {
        guard let database else { return }
        // Names and paths with quotes and backslashes are data, never SQL.
        let odd = #"o'brien\"svc"#
        let api = try repository(["src/config.py": Self.config, #"src/we'ird\name.py"#: Self.auth], name: "api")
        let web = try repository(["lib/config.py": Self.config, "cmd/retry.go": Self.retry], name: "web")
        let first = try push(api, name: odd)
        XCTAssertEqual(first.status, 0, first.stderr)
        let texts = try database.count("SELECT count(*) FROM quarry_texts")
        let second = try push(web, name: "web")
        XCTAssertEqual(second.status, 0, second.stderr)
        // config.py is the same blob in both: its chunks are stored and embedded once.
        let sent = try XCTUnwrap(second.jsonLines.first?["revisions"] as? [[String: Any]]).first
        XCTAssertEqual(try database.count("SELECT count(*) FROM quarry_texts") - texts, sent?["texts"] as? Int)
        XCTAssertEqual(try database.count("SELECT count(*) FROM quarry_texts"),
                       try database.count("SELECT count(*) FROM quarry_embeddings"))
        XCTAssertEqual(try database.count("SELECT count(DISTINCT content_hash) FROM quarry_texts"),
                       try database.count("SELECT count(*) FROM quarry_texts"))

        for mode in ["hybrid", "semantic", "lexical"] {
            let all = try QuarryProcess.run(["search", "--db", database.url, "--json", "--mode", mode, "parse config file"])
            XCTAssertEqual(all.status, 0, "\(mode): \(all.stderr)")
            let found = Set(all.jsonLines.compactMap { $0["repo"] as? String })
            // Keywords find config.py only: identical in both, it is shown once (see ResultMerger).
            XCTAssertEqual(found, mode == "lexical" ? found.intersection([odd, "web"]) : [odd, "web"],
                           "\(mode): both repositories answer: \(all.stdout)")
            XCTAssertFalse(found.isEmpty, mode)
            XCTAssertEqual(all.jsonLines.first?["symbol"] as? String, "config.parse_config", mode)
            for key in ["path", "start_line", "end_line", "language", "kind", "symbol", "score", "blob", "rev", "text"] {
                XCTAssertNotNil(all.jsonLines.first?[key], "\(mode): key \(key)")
            }
        }
        let one = try QuarryProcess.run(["search", "--db", database.url, "--json", "--repo-name", odd, "where is auth handled"])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertEqual(Set(one.jsonLines.compactMap { $0["repo"] as? String }), [odd])
        XCTAssertEqual(one.jsonLines.first?["path"] as? String, #"src/we'ird\name.py"#)
        let go = try QuarryProcess.run(["search", "--db", database.url, "--json", "--lang", "go", "retry"])
        XCTAssertEqual(go.jsonLines.map { $0["path"] as? String }, ["cmd/retry.go"], go.stderr)
        let human = try QuarryProcess.run(["search", "--db", database.url, "-k", "1", "--mode", "lexical", "retryBackoff"])
        XCTAssertTrue(human.stdout.hasPrefix("web:cmd/retry.go:1-8"), human.stdout)
        // A query with SQL and full-text syntax in it is only words.
        let quoted = try QuarryProcess.run(["search", "--db", database.url, "--mode", "lexical", #"x' | !( \ config"#])
        XCTAssertEqual(quoted.status, 0, quoted.stderr)
        let unknown = try QuarryProcess.run(["search", "--db", database.url, "--repo-name", "nope", "config"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.contains("no repository 'nope'"), unknown.stderr)
    }

    func testRepushSendsOnlyWhatChangedAndReplacesTheFileList() throws {
        guard let database else { return }
        let repository = try repository(["src/config.py": Self.config, "src/auth.py": Self.auth])
        XCTAssertEqual(try push(repository, name: "app").status, 0)
        let again = try push(repository, name: "app")
        XCTAssertEqual(again.status, 0, again.stderr)
        let unchanged = try XCTUnwrap(again.jsonLines.first?["revisions"] as? [[String: Any]])
        XCTAssertEqual(unchanged.map { $0["unchanged"] as? Bool }, [true])

        try repository.write("src/auth.py", Self.auth + "\n\ndef logout(session):\n    session.clear()\n")
        try FileManager.default.removeItem(at: repository.url.appendingPathComponent("src/config.py"))
        try repository.commitAll("logout")
        XCTAssertEqual(try QuarryProcess.run(["index", repository.path]).status, 0)
        let changed = try push(repository, name: "app")
        XCTAssertEqual(changed.status, 0, changed.stderr)
        let counts = try XCTUnwrap((changed.jsonLines.first?["revisions"] as? [[String: Any]])?.last)
        XCTAssertEqual(counts["blobs"] as? Int, 1, "only the changed file's blob is sent: \(counts)")
        XCTAssertEqual(counts["files"] as? Int, 1)
        XCTAssertEqual(try database.count("SELECT count(*) FROM quarry_files"), 1, "the old file list was replaced")
        let search = try QuarryProcess.run(["search", "--db", database.url, "--json", "--mode", "lexical", "parse config"])
        XCTAssertFalse(search.stdout.contains("config.py"), "a deleted file is not found: \(search.stdout)")
    }

    func testAnIndexWithoutVectorsIsSearchedByKeywords() throws {
        guard let database else { return }
        let repository = try ScratchRepository(name: "plain")
        repositories.append(repository)
        try repository.write("src/config.py", Self.config)
        try repository.commitAll()
        XCTAssertEqual(try QuarryProcess.run(["index", "--no-embed", repository.path]).status, 0)
        XCTAssertEqual(try push(repository, name: "plain").status, 0)
        let hybrid = try QuarryProcess.run(["search", "--db", database.url, "--json", "parse config"])
        XCTAssertEqual(hybrid.status, 0, hybrid.stderr)
        XCTAssertTrue(hybrid.stderr.contains("searching by keywords only"), hybrid.stderr)
        XCTAssertEqual(hybrid.jsonLines.first?["path"] as? String, "src/config.py")
        let semantic = try QuarryProcess.run(["search", "--db", database.url, "--mode", "semantic", "parse config"])
        XCTAssertEqual(semantic.status, 2)
        XCTAssertTrue(semantic.stderr.contains("no vectors for model"), semantic.stderr)
    }

    func testBadURLsAndUnreachableServersGiveOneLineAndExit2() throws {
        guard let database else { return }
        let repository = try repository(["src/config.py": Self.config])
        let password = database.serverURL.split(separator: ":")[2].split(separator: "@")[0]
        let cases: [(url: String, says: String)] = [
            ("mysql://localhost/x", "not a PostgreSQL URL"),
            ("postgres://quarry@127.0.0.1:1/quarry", "Connection refused"),
            (database.serverURL.replacingOccurrences(of: String(password), with: "wrong"), "password authentication failed"),
            (database.url(database: "quarry_novector"), "CREATE EXTENSION vector"),
        ]
        for (url, says) in cases {
            let pushed = try push(repository, name: "app", url: url)
            XCTAssertEqual(pushed.status, 2, url)
            XCTAssertTrue(pushed.stderr.contains(says), "\(url): \(pushed.stderr)")
            XCTAssertEqual(pushed.stderr.split(separator: "\n").count, 1, pushed.stderr)
            XCTAssertFalse(pushed.stderr.contains(String(password)), "the password is never printed")
            let searched = try QuarryProcess.run(["search", "--db", url, "config"])
            XCTAssertEqual(searched.status, 2, url)
            XCTAssertEqual(searched.stderr.split(separator: "\n").count, 1, searched.stderr)
        }
        let empty = try QuarryProcess.run(["search", "--db", database.url, "config"])
        XCTAssertEqual(empty.status, 2)
        XCTAssertTrue(empty.stderr.contains("quarry push"), empty.stderr)
        let nul = try push(repository, name: "a\u{1}b\\c")
        XCTAssertEqual(nul.status, 0, "control characters and backslashes are stored: \(nul.stderr)")
        XCTAssertEqual(try database.count("SELECT count(*) FROM quarry_repositories WHERE name = $1", [.text("a\u{1}b\\c")]), 1)
    }

    func testNewerSchemaAndOtherDimensionAreRefused() throws {
        guard let database else { return }
        let repository = try repository(["src/config.py": Self.config])
        XCTAssertEqual(try push(repository, name: "app").status, 0)
        let connection = try database.connection()
        try connection.execute("UPDATE quarry_models SET dim = 7")
        let other = try push(repository, name: "other")
        XCTAssertEqual(other.status, 2)
        XCTAssertTrue(other.stderr.contains("7-dimensional vectors in the team database"), other.stderr)
        XCTAssertEqual(try database.count("SELECT count(*) FROM quarry_repositories r JOIN quarry_revisions v "
                                          + "ON v.repository_id = r.id WHERE r.name = 'other'"), 0)

        try connection.execute("UPDATE quarry_meta SET value = '99' WHERE key = 'schema_version'")
        for arguments in [["push", "--repo", repository.path, database.url], ["search", "--db", database.url, "config"]] {
            let refused = try QuarryProcess.run(arguments)
            XCTAssertEqual(refused.status, 2)
            XCTAssertTrue(refused.stderr.contains("schema version 99, newer than this Quarry knows"), refused.stderr)
        }
    }

    /// The connection is cut while the push waits inside its transaction:
    /// one line, exit 2, none of the push's rows remain, and the next push
    /// completes it.
    func testAConnectionDroppedMidPushLeavesNothingAndTheNextPushCompletes() throws {
        guard let database else { return }
        let repository = try repository(["src/config.py": Self.config, "src/auth.py": Self.auth])
        let seed = try self.repository(["x.py": "x = 1\n"], name: "seed")
        XCTAssertEqual(try push(seed, name: "seed").status, 0)  // creates the schema
        let texts = try database.count("SELECT count(*) FROM quarry_texts")
        let blocker = try database.connection()
        try blocker.execute("BEGIN")
        try blocker.execute("LOCK TABLE quarry_files IN EXCLUSIVE MODE")
        let (process, out, err) = try QuarryProcess.start(["push", "--repo", repository.path, "--name", "app",
                                                           database.url])
        let errReader = PipeReader(err)
        let watcher = try database.connection()
        var terminated = false
        for _ in 0..<200 where !terminated {
            // Waiting on the lock: texts, blobs and vectors are already sent, uncommitted.
            let waiting = try watcher.execute("""
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE application_name = 'quarry' AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()
                """)
            terminated = waiting.count > 0
            if !terminated { usleep(50_000) }
        }
        try blocker.execute("ROLLBACK")
        _ = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: errReader.wait(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertTrue(terminated, "the push reached the file list")
        XCTAssertEqual(process.terminationStatus, 2)
        XCTAssertTrue(stderr.contains("connection to the team database was lost"), stderr)
        XCTAssertEqual(stderr.split(separator: "\n").count, 1, stderr)
        XCTAssertEqual(try database.count("SELECT count(*) FROM quarry_texts"), texts, "nothing half-published")
        XCTAssertEqual(try database.count("SELECT count(*) FROM quarry_revisions"), 1)

        let again = try push(repository, name: "app")
        XCTAssertEqual(again.status, 0, again.stderr)
        let search = try QuarryProcess.run(["search", "--db", database.url, "--json", "--repo-name", "app", "parse config"])
        XCTAssertEqual(search.jsonLines.first?["path"] as? String, "src/config.py", search.stderr)
    }
}
