import CSQLite
import Foundation
import XCTest

/// Many revisions in one index, CI refreshes with a restored index, the
/// writer lock, garbage collection, and crash safety while embedding.
final class IndexHistoryTests: XCTestCase {
    /// Three commits indexed with --history: older commits are stored under
    /// short ids and cost only their changed files; --all-revs finds the old
    /// version of a function and names the commit that introduced it.
    func testHistoryIsIndexedByDiffsAndAllRevsNamesTheFirstCommit() throws {
        let repository = try ScratchRepository()
        defer { repository.remove() }
        try repository.copyTree(from: packageRoot.appendingPathComponent("Fixtures/multilingual"), to: "src")
        try repository.commitAll("import the fixtures")
        try repository.write("src/billing.py", "def compute_invoice_total(lines):\n    return sum(lines)\n")
        try repository.git("add", "-A")
        try repository.git("-c", "user.name=Ada Author", "-c", "user.email=ada@example.invalid",
                           "commit", "-q", "--no-gpg-sign", "-m", "add invoice totals")
        let introduced = try repository.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        try repository.write("src/billing.py", "def compute_invoice_total(lines, tax):\n    return sum(lines) * tax\n")
        try repository.commitAll("tax on invoices")

        let index = try QuarryProcess.run(["index", repository.path, "--history", "3", "--no-embed", "--json"])
        XCTAssertEqual(index.status, 0, index.stderr)
        let summary = try XCTUnwrap(index.jsonLines.first)
        let revisions = try XCTUnwrap(summary["revisions"] as? [[String: Any]])
        XCTAssertEqual(summary["revision"] as? String, "HEAD", "the summary describes the ref")
        // Oldest first, the ref last.
        XCTAssertEqual(revisions.map { $0["name"] as? String ?? "" },
                       [try shortID(repository, "HEAD~2"), String(introduced.prefix(12)), "HEAD"])
        XCTAssertNil(revisions[0]["base"] as? String, "the first revision walks its tree")
        XCTAssertEqual(revisions[0]["new_blobs"] as? Int, revisions[0]["files"] as? Int)
        // Each later commit differs by one file from its neighbour: one path diffed, one blob read.
        for revision in revisions.dropFirst() {
            XCTAssertEqual(revision["changed_files"] as? Int, 1)
            XCTAssertEqual(revision["new_blobs"] as? Int, 1)
        }

        let all = try QuarryProcess.run(["search", "--repo", repository.path, "--all-revs", "--json", "--mode",
                                         "lexical", "compute", "invoice", "total"])
        XCTAssertEqual(all.status, 0, all.stderr)
        let versions = all.jsonLines.filter { ($0["symbol"] as? String)?.hasSuffix("compute_invoice_total") == true }
        XCTAssertEqual(versions.count, 2, "both versions of the function: \(all.stdout)")
        let old = try XCTUnwrap(versions.first { ($0["text"] as? String)?.contains("tax") == false })
        let first = try XCTUnwrap(old["first_commit"] as? [String: Any])
        XCTAssertEqual(first["id"] as? String, introduced)
        XCTAssertEqual(first["author"] as? String, "Ada Author")
        XCTAssertEqual(first["subject"] as? String, "add invoice totals")
        XCTAssertEqual(old["last_rev"] as? String, String(introduced.prefix(12)))

        // Default: HEAD; --rev picks an older revision.
        let head = try QuarryProcess.run(["search", "--repo", repository.path, "--json", "--mode", "lexical", "invoice"])
        XCTAssertEqual(head.jsonLines.first?["rev"] as? String, "HEAD")
        XCTAssertTrue((head.jsonLines.first?["text"] as? String)?.contains("tax") == true)
        let root = try QuarryProcess.run(["search", "--repo", repository.path, "--rev", try shortID(repository, "HEAD~2"),
                                          "--mode", "lexical", "invoice"])
        XCTAssertEqual(root.status, 1, "the first commit has no billing.py")

        let status = try QuarryProcess.run(["status", "--repo", repository.path, "--json"])
        let listed = try XCTUnwrap(status.jsonLines.first?["revisions"] as? [[String: Any]])
        XCTAssertEqual(listed.count, 3)
        XCTAssertTrue(listed.allSatisfy { ($0["files"] as? Int ?? 0) >= 6 })
    }

    /// --branches and --tags store each ref under its name; --since bounds
    /// the first-parent history by date; a bad date is a usage error.
    func testBranchesTagsAndSinceSelectRevisions() throws {
        let repository = try ScratchRepository()
        defer { repository.remove() }
        try repository.write("a.py", "def one():\n    return 1\n")
        try repository.commitAll("one")
        try repository.git("tag", "v1.0")
        try repository.git("branch", "feature/x")
        try repository.write("a.py", "def two():\n    return 2\n")
        try repository.commitAll("two")
        let index = repository.url.deletingLastPathComponent().appendingPathComponent("index.sqlite").path

        let refs = try QuarryProcess.run(["index", repository.path, "--index", index, "--branches", "--tags",
                                          "--no-embed", "--json"])
        XCTAssertEqual(refs.status, 0, refs.stderr)
        let names = (refs.jsonLines.first?["revisions"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        XCTAssertEqual(names, ["feature/x", "main", "v1.0"])

        let since = try QuarryProcess.run(["index", repository.path, "--index", index, "--since", "2000-01-01",
                                           "--no-embed", "--json"])
        XCTAssertEqual((since.jsonLines.first?["revisions"] as? [[String: Any]])?.count, 2, since.stdout)
        let future = try QuarryProcess.run(["index", repository.path, "--index", index, "--since",
                                            "2999-01-01T00:00:00Z", "--no-embed", "--json"])
        XCTAssertEqual((future.jsonLines.first?["revisions"] as? [[String: Any]])?.count, 1, "the tip only")
        let bad = try QuarryProcess.run(["index", repository.path, "--index", index, "--since", "last tuesday"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("YYYY-MM-DD"), bad.stderr)
    }

    /// Two CI runs in a row: the index built in one clone is restored into a
    /// fresh clone (another path), a commit changes two files, and the refresh
    /// chunks and embeds only those files. A shallow clone works too.
    func testCIRefreshWithRestoredIndexTouchesOnlyChangedFiles() throws {
        try requireDefaultModel()
        let repository = try ScratchRepository(name: "origin")
        defer { repository.remove() }
        try repository.copyTree(from: packageRoot.appendingPathComponent("Fixtures/multilingual"), to: "src")
        try repository.commitAll("first")
        let base = repository.url.deletingLastPathComponent()
        let cache = base.appendingPathComponent("cache.sqlite").path

        let firstRun = try QuarryProcess.run(["index", repository.path, "--index", cache, "--json"])
        XCTAssertEqual(firstRun.status, 0, firstRun.stderr)
        XCTAssertGreaterThan(firstRun.jsonLines.first?["embedded"] as? Int ?? 0, 8)
        XCTAssertEqual(try scalar(cache, "SELECT count(*) FROM blobs WHERE path LIKE '/%'"), 0, "no absolute paths")

        // The next push: one function edited, one file added.
        var mail = try String(contentsOf: repository.url.appendingPathComponent("src/mail.py"), encoding: .utf8)
        mail += "\n\ndef mail_queue_length(queue):\n    \"\"\"How many messages wait.\"\"\"\n    return len(queue)\n"
        try repository.write("src/mail.py", mail)
        try repository.write("src/notes.py", "def summarize_notes(notes):\n    return ' '.join(notes)[:80]\n")
        try repository.commitAll("second")

        // CI run 2: a fresh clone elsewhere, with the index restored from the cache.
        let clone = base.appendingPathComponent("ci-clone").path
        try repository.git("clone", "-q", repository.path, clone)
        let restored = base.appendingPathComponent("restored/index.sqlite").path
        try FileManager.default.createDirectory(atPath: (restored as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: cache, toPath: restored)
        let refresh = try QuarryProcess.run(["index", clone, "--index", restored, "--json"])
        XCTAssertEqual(refresh.status, 0, refresh.stderr)
        let summary = try XCTUnwrap(refresh.jsonLines.first)
        let revision = try XCTUnwrap((summary["revisions"] as? [[String: Any]])?.first)
        XCTAssertEqual(revision["base"] as? String, "HEAD", "diffed against the restored HEAD")
        XCTAssertEqual(summary["changed_files"] as? Int, 2)
        XCTAssertEqual(summary["new_blobs"] as? Int, 2)
        let changed = try ["src/mail.py", "src/notes.py"].map { path in
            "'" + (try repository.git("rev-parse", "HEAD:" + path)).trimmingCharacters(in: .whitespacesAndNewlines) + "'"
        }
        let newChunks = try scalar(restored, """
            SELECT count(*) FROM chunks c JOIN blobs b ON b.id = c.blob_id WHERE b.oid IN (\(changed.joined(separator: ",")))
            """)
        XCTAssertEqual(summary["chunks"] as? Int, newChunks, "only the two new blobs were chunked")
        // mail.py's unchanged chunks keep their vectors: only new texts are embedded.
        let embedded = summary["embedded"] as? Int ?? 0
        XCTAssertGreaterThanOrEqual(embedded, 2)
        XCTAssertLessThan(embedded, newChunks)
        let search = try QuarryProcess.run(["search", "--index", restored, "--json", "-k", "3", "queue length of mail"])
        XCTAssertEqual(search.status, 0, search.stderr)
        XCTAssertTrue(search.jsonLines.contains { ($0["symbol"] as? String)?.hasSuffix("mail_queue_length") == true })

        let again = try QuarryProcess.run(["index", clone, "--index", restored, "--json"])
        XCTAssertEqual(again.jsonLines.first?["new_blobs"] as? Int, 0)
        XCTAssertEqual(again.jsonLines.first?["embedded"] as? Int, 0)
        XCTAssertEqual((again.jsonLines.first?["revisions"] as? [[String: Any]])?.first?["unchanged"] as? Bool, true)

        // CI run 3: a shallow clone lacks the indexed parent commit; the run walks the tree and still reads only new blobs.
        try repository.write("src/notes.py", "def summarize_notes(notes):\n    return ' '.join(notes)[:120]\n")
        try repository.commitAll("third")
        let shallow = base.appendingPathComponent("shallow").path
        try repository.git("clone", "-q", "--depth", "1", "file://" + repository.path, shallow)
        let shallowRun = try QuarryProcess.run(["index", shallow, "--index", restored, "--json"])
        XCTAssertEqual(shallowRun.status, 0, shallowRun.stderr)
        XCTAssertEqual(shallowRun.jsonLines.first?["new_blobs"] as? Int, 1)
        XCTAssertEqual(shallowRun.jsonLines.first?["embedded"] as? Int, 1)
    }

    /// A second writer exits at once naming the running one, or waits with --wait.
    func testSecondWriterFailsClearlyOrWaitsForTheLock() throws {
        let repository = try ScratchRepository()
        defer { repository.remove() }
        try repository.write("a.py", "def a():\n    return 1\n")
        try repository.commitAll()
        let index = repository.url.deletingLastPathComponent().appendingPathComponent("index.sqlite").path
        // Hold the lock as a running `quarry index` would.
        let descriptor = open(index + ".lock", O_RDWR | O_CREAT, 0o644)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        XCTAssertEqual(flock(descriptor, LOCK_EX), 0)
        let pid = Array("\(getpid())\n".utf8)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }

        let refused = try QuarryProcess.run(["index", repository.path, "--index", index, "--no-embed"])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("another quarry index is running on \(index) (pid \(getpid()))"),
                      refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: index), "nothing written without the lock")

        DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) { close(descriptor) }
        let waited = try QuarryProcess.run(["index", repository.path, "--index", index, "--no-embed", "--wait", "30",
                                            "--json"])
        XCTAssertEqual(waited.status, 0, waited.stderr)
        XCTAssertEqual(waited.jsonLines.first?["new_blobs"] as? Int, 1)
    }

    /// Searches running while an index run replaces a revision see the old
    /// file list or the new one, never a mix.
    func testSearchDuringIndexingSeesOneStateOfTheRevision() throws {
        let repository = try ScratchRepository()
        defer { repository.remove() }
        for i in 0..<40 { try repository.write("old/m\(i).py", "def marker_old_\(i)():\n    return 'quarrymarker'\n") }
        try repository.commitAll("old")
        let index = repository.url.deletingLastPathComponent().appendingPathComponent("index.sqlite").path
        XCTAssertEqual(try QuarryProcess.run(["index", repository.path, "--index", index, "-q", "--no-embed"]).status, 0)
        try repository.git("rm", "-q", "-r", "old")
        for i in 0..<400 {
            try repository.write("new/m\(i).py", "def marker_new_\(i)(x):\n    return x + 'quarrymarker'\n")
        }
        try repository.commitAll("new")

        let (writer, _, _) = try QuarryProcess.start(["index", repository.path, "--index", index, "-q", "--no-embed"],
                                                     environment: ["QUARRY_INDEX_BATCH_SIZE": "4"])
        var states: Set<String> = []
        repeat {
            let outcome = try QuarryProcess.run(["search", "--index", index, "--json", "--mode", "lexical", "-k", "1000",
                                                 "quarrymarker"])
            XCTAssertEqual(outcome.status, 0, outcome.stderr)
            let tops = Set(outcome.jsonLines.compactMap { ($0["path"] as? String)?.split(separator: "/").first })
            XCTAssertEqual(tops.count, 1, "one state of the revision, not a mix: \(tops)")
            let count = outcome.jsonLines.count
            XCTAssertTrue(tops == ["old"] && count == 40 || tops == ["new"] && count == 400, "\(tops) \(count)")
            states.formUnion(tops.map(String.init))
        } while writer.isRunning
        writer.waitUntilExit()
        XCTAssertEqual(writer.terminationStatus, 0)
        XCTAssertTrue(states.contains("old"), "searched while the run wrote")
    }

    /// gc --keep drops older revisions and what only they reached; after a
    /// rewrite of history, --drop-missing drops revisions whose commit is gone.
    func testGarbageCollectionKeepsNewestAndDropsRewrittenHistory() throws {
        let repository = try ScratchRepository()
        defer { repository.remove() }
        try repository.write("a.py", "def one():\n    return 1\n")
        try repository.commitAll("one")
        try repository.write("a.py", "def two():\n    return 2\n")
        try repository.commitAll("two")
        try repository.write("a.py", "def three():\n    return 3\n")
        try repository.commitAll("three")
        let index = repository.url.deletingLastPathComponent().appendingPathComponent("index.sqlite").path
        XCTAssertEqual(try QuarryProcess.run(["index", repository.path, "--index", index, "--history", "3", "-q",
                                              "--no-embed"]).status, 0)
        let middle = try shortID(repository, "HEAD~1")

        // Rewrite: drop the last two commits, commit something else, prune the old objects.
        try repository.git("reset", "-q", "--hard", "HEAD~2")
        try repository.write("a.py", "def rewritten():\n    return 4\n")
        try repository.commitAll("rewritten")
        try repository.git("update-ref", "-d", "ORIG_HEAD")
        try repository.git("reflog", "expire", "--expire=now", "--all")
        try repository.git("gc", "-q", "--prune=now")
        let reindex = try QuarryProcess.run(["index", repository.path, "--index", index, "--json", "--no-embed"])
        XCTAssertEqual(reindex.status, 0, reindex.stderr)
        XCTAssertEqual(reindex.jsonLines.first?["new_blobs"] as? Int, 1)

        let dropMissing = try QuarryProcess.run(["gc", "--repo", repository.path, "--index", index, "--drop-missing",
                                                 "--json"])
        XCTAssertEqual(dropMissing.status, 0, dropMissing.stderr)
        let report = try XCTUnwrap(dropMissing.jsonLines.first)
        XCTAssertEqual(report["dropped_revisions"] as? [String], [middle])
        XCTAssertEqual(report["blobs"] as? Int, 2, "two() and three() are reached by no kept revision")

        let keep = try QuarryProcess.run(["gc", "--index", index, "--keep", "1", "--json"])
        XCTAssertEqual(keep.status, 0, keep.stderr)
        XCTAssertEqual(keep.jsonLines.first?["kept_revisions"] as? Int, 1)
        XCTAssertEqual(try scalar(index, "SELECT count(*) FROM revisions WHERE name = 'HEAD'"), 1)
        XCTAssertEqual(try scalar(index, "SELECT count(*) FROM blobs"), 1)
        let found = try QuarryProcess.run(["search", "--index", index, "--mode", "lexical", "--json", "rewritten"])
        XCTAssertEqual(found.status, 0, found.stderr)
    }

    /// SIGKILL while embedding, then a rerun: the same index as an
    /// uninterrupted run, vectors included; the killed run never made the
    /// revision visible without its vectors.
    func testKilledWhileEmbeddingResumesToTheUninterruptedResult() throws {
        try requireDefaultModel()
        let repository = try ScratchRepository()
        defer { repository.remove() }
        try repository.copyTree(from: packageRoot.appendingPathComponent("Fixtures/multilingual"), to: "src")
        try repository.commitAll()
        let base = repository.url.deletingLastPathComponent()
        let reference = base.appendingPathComponent("reference.sqlite").path
        XCTAssertEqual(try QuarryProcess.run(["index", repository.path, "--index", reference, "-q"]).status, 0)
        let expected = try IndexDigest(path: reference)
        let expectedVectors = try vectors(reference)
        XCTAssertGreaterThan(expectedVectors.count, 8)

        let killed = base.appendingPathComponent("killed.sqlite").path
        let (process, _, _) = try QuarryProcess.start(["index", repository.path, "--index", killed, "-q"],
                                                      environment: ["QUARRY_INDEX_BATCH_SIZE": "2"])
        // Kill once some (not all) vectors are committed.
        while process.isRunning, (try? scalar(killed, "SELECT count(*) FROM embeddings")) ?? 0 == 0 { usleep(1_000) }
        let stillRunning = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertTrue(stillRunning, "the kill must land while embedding")
        let partial = try scalar(killed, "SELECT count(*) FROM embeddings")
        XCTAssertLessThan(partial, expectedVectors.count)
        XCTAssertEqual(try scalar(killed, "SELECT count(*) FROM revisions"), 0,
                       "the revision becomes visible only with all its vectors")

        let resumed = try QuarryProcess.run(["index", repository.path, "--index", killed, "--json"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(resumed.jsonLines.first?["embedded"] as? Int, expectedVectors.count - partial)
        let digest = try IndexDigest(path: killed)
        XCTAssertEqual(digest.blobs, expected.blobs)
        XCTAssertEqual(digest.chunks, expected.chunks)
        XCTAssertEqual(digest.files, expected.files)
        XCTAssertEqual(digest.fullText, expected.fullText)
        XCTAssertEqual(digest.revisions, expected.revisions)
        let resumedVectors = try vectors(killed)
        XCTAssertEqual(Set(resumedVectors.keys), Set(expectedVectors.keys))
        for (hash, vector) in expectedVectors {
            let other = resumedVectors[hash] ?? []
            XCTAssertEqual(other.count, vector.count)
            let drift = zip(vector, other).map { abs($0 - $1) }.max() ?? 1
            XCTAssertLessThan(drift, 1e-4, "vector of \(hash)")
        }

        // The vector file caught up too: searches map it rather than read SQLite.
        let mapped = "\(expectedVectors.count) vectors from the mapped vector file"
        let search = { try QuarryProcess.run(["search", "--index", killed, "--mode", "semantic", "--stats", "-k", "1",
                                              "check a password"]) }
        var found = try search()
        XCTAssertEqual(found.status, 0, found.stderr)
        XCTAssertTrue(found.stderr.contains(mapped), found.stderr)
        // Without it, searches still answer (from the database) and a no-op index run rewrites it.
        try FileManager.default.removeItem(atPath: killed + ".vectors")
        found = try search()
        XCTAssertEqual(found.status, 0, found.stderr)
        XCTAssertTrue(found.stderr.contains("from the database (vector file out of date"), found.stderr)
        XCTAssertEqual(try QuarryProcess.run(["index", repository.path, "--index", killed, "-q"]).status, 0)
        XCTAssertTrue(try search().stderr.contains(mapped))
    }

    // MARK: Helpers

    private func requireDefaultModel() throws {
        let home = ProcessInfo.processInfo.environment["QUARRY_HOME"]
            ?? (NSHomeDirectory() + "/.cache/quarry")
        guard FileManager.default.fileExists(atPath: home + "/models/multilingual-e5-small") else {
            throw XCTSkip("the default model is not installed (scripts/setup.sh installs it)")
        }
    }

    private func shortID(_ repository: ScratchRepository, _ revision: String) throws -> String {
        String(try repository.git("rev-parse", revision).prefix(12))
    }
}

/// The first column of the first row of `sql` in the index at `path`.
private func scalar(_ path: String, _ sql: String) throws -> Int {
    try withDatabase(path) { db in
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw NSError(domain: "sqlite", code: 2, userInfo: [NSLocalizedDescriptionKey: String(cString: sqlite3_errmsg(db))])
        }
        defer { sqlite3_finalize(statement) }
        return sqlite3_step(statement) == SQLITE_ROW ? Int(sqlite3_column_int64(statement, 0)) : 0
    }
}

/// Every stored vector by its chunk-text hash (hex).
private func vectors(_ path: String) throws -> [String: [Float]] {
    try withDatabase(path) { db in
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, "SELECT hex(content_hash), vector FROM embeddings", -1, &statement, nil) == SQLITE_OK,
              let statement else {
            throw NSError(domain: "sqlite", code: 2, userInfo: [NSLocalizedDescriptionKey: String(cString: sqlite3_errmsg(db))])
        }
        defer { sqlite3_finalize(statement) }
        var result: [String: [Float]] = [:]
        while sqlite3_step(statement) == SQLITE_ROW {
            let hash = String(cString: sqlite3_column_text(statement, 0))
            let count = Int(sqlite3_column_bytes(statement, 1)) / 4
            guard let raw = sqlite3_column_blob(statement, 1) else { continue }
            result[hash] = (0..<count).map {
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))
            }
        }
        return result
    }
}

private func withDatabase<T>(_ path: String, _ body: (OpaquePointer) throws -> T) throws -> T {
    var handle: OpaquePointer?
    guard FileManager.default.fileExists(atPath: path),
          sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY, nil) == SQLITE_OK, let db = handle else {
        sqlite3_close(handle)
        throw NSError(domain: "sqlite", code: 1, userInfo: [NSLocalizedDescriptionKey: "cannot open \(path)"])
    }
    defer { sqlite3_close(db) }
    sqlite3_busy_timeout(db, 5_000)
    return try body(db)
}
