import CSQLite
import Foundation
import QuarryCore
import XCTest
@testable import Store

final class WritingTests: XCTestCase {
    private func makeStore() throws -> IndexStore {
        try IndexStore(path: try makeTemporaryDirectory(self) + "/index.db", mode: .create)
    }

    func testBatchSurvivesReopenWithEveryField() throws {
        let path = try makeTemporaryDirectory(self) + "/index.db"
        let text = "def login_user(request):\n    return authenticate(request)\n"
        do {
            let store = try IndexStore(path: path, mode: .create)
            try store.write([
                blob("aaa", path: "auth/views.py", chunks: [("auth.login_user", text)]),
                BlobRecord(id: "bbb", path: "logo.png", language: .other, size: 9_000, skipReason: .binary, chunks: []),
            ])
            try store.recordRevision(revision("HEAD"), files: [
                FileRecord(path: "auth/views.py", blobID: "aaa"), FileRecord(path: "logo.png", blobID: "bbb"),
            ])
        }
        let store = try IndexStore(path: path, mode: .readOnly)
        XCTAssertEqual(try store.storedBlobIDs(), ["aaa", "bbb"])
        let hits = try store.lexicalSearch(LexicalQuery(match: orMatch("login")))
        XCTAssertEqual(hits.count, 1)
        let hit = try XCTUnwrap(hits.first)
        XCTAssertEqual(hit.blobID, "aaa")
        XCTAssertEqual(hit.path, "auth/views.py")
        XCTAssertEqual(hit.otherPaths, [])
        XCTAssertEqual(hit.revision, "HEAD")
        XCTAssertEqual(hit.chunk, chunk(text, symbol: "auth.login_user"))
        XCTAssertEqual([hit.chunk.startLine, hit.chunk.endLine, hit.chunk.startByte, hit.chunk.endByte],
                       [1, 3, 0, text.utf8.count])
        XCTAssertEqual(hit.contentHash, ContentHash(of: text))
        XCTAssertGreaterThan(hit.score, 0)
        let stats = try store.statistics()
        XCTAssertEqual(stats.skipped, [.binary: 1])
        XCTAssertEqual(stats.blobs, 2)
        XCTAssertEqual(stats.chunks, 1)
        XCTAssertEqual(stats.files, 2)
        XCTAssertEqual(stats.languages[.python]?.files, 1)
        XCTAssertEqual(stats.languages[.python]?.blobs, 1)
        XCTAssertEqual(stats.languages[.python]?.chunks, 1)
        XCTAssertEqual(stats.languages[.other]?.files, 1)
        XCTAssertEqual(stats.languages[.other]?.blobs ?? 0, 0, "skipped blobs count under their reason only")
        XCTAssertGreaterThan(stats.fileSize, 0)
    }

    func testResumeSkipsStoredBlobsWithoutDuplicatingChunks() throws {
        let store = try makeStore()
        let first = (0..<5).map { blob("b\($0)", path: "f\($0).go", language: .go, chunks: [("F\($0)", "func F\($0)() {}")]) }
        try store.write(first)
        // A resumed run sends an overlapping batch; the same blob may even repeat within it.
        let resumed = [first[3], first[4], blob("b5", path: "f5.go", language: .go, chunks: [("F5", "func F5() {}")]),
                       blob("b5", path: "other.go", language: .go, chunks: [("X", "func X() {}")])]
        try store.write(resumed)
        XCTAssertEqual(try store.storedBlobIDs(), Set((0..<6).map { "b\($0)" }))
        XCTAssertEqual(try store.db.integer("SELECT count(*) FROM chunks"), 6)
        XCTAssertEqual(try store.db.integer("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'f5'"), 1)
        let path = try store.db.prepare("SELECT path FROM blobs WHERE oid = 'b5'")
        XCTAssertTrue(try path.step())
        XCTAssertEqual(path.string(0), "f5.go", "the first-seen path wins")
    }

    func testFailedBatchWritesNothing() throws {
        let store = try makeStore()
        try store.write([blob("ok", path: "ok.py", chunks: [("ok", "x = 1")])])
        let changes = sqlite3_total_changes(store.db.handle)
        // A trigger stands in for a failure half-way through the batch (disk full, crash).
        try store.db.execute("""
            CREATE TEMP TRIGGER fail BEFORE INSERT ON blobs WHEN NEW.oid = 'boom'
            BEGIN SELECT RAISE(ABORT, 'injected failure'); END
            """)
        XCTAssertThrowsError(try store.write([
            blob("first", path: "a.py", chunks: [("a", "a = 1")]),
            blob("boom", path: "b.py", chunks: [("b", "b = 2")]),
        ]))
        XCTAssertEqual(try store.storedBlobIDs(), ["ok"])
        XCTAssertEqual(try store.db.integer("SELECT count(*) FROM chunks"), 1)
        XCTAssertEqual(try store.db.integer("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'a'"), 0)
        XCTAssertGreaterThan(sqlite3_total_changes(store.db.handle), changes, "the batch did start writing")
    }

    func testRecordRevisionReplacesTheFileListAtomically() throws {
        let store = try makeStore()
        try store.write([
            blob("v1", path: "app.py", chunks: [("start", "def start(): pass")]),
            blob("v2", path: "app.py", chunks: [("start", "def start(): run()")]),
            blob("lib", path: "lib.py", chunks: [("helper", "def helper(): pass")]),
        ])
        try store.recordRevision(revision("main", commit: "c1", indexedAt: Date(timeIntervalSince1970: 100)),
                                 files: [FileRecord(path: "app.py", blobID: "v1"), FileRecord(path: "lib.py", blobID: "lib")])
        try store.recordRevision(revision("main", commit: "c2", indexedAt: Date(timeIntervalSince1970: 200)),
                                 files: [FileRecord(path: "app.py", blobID: "v2")])
        XCTAssertEqual(try store.files(in: "main"), [FileRecord(path: "app.py", blobID: "v2")])
        XCTAssertEqual(try store.revisions().map(\.commitID), ["c2"])

        // An unknown blob aborts the whole replacement: the previous list stays.
        XCTAssertStoreError(.unknownBlob("missing")) { () throws(StoreError) in
            try store.recordRevision(revision("main", commit: "c3"), files: [
                FileRecord(path: "lib.py", blobID: "lib"), FileRecord(path: "gone.py", blobID: "missing"),
            ])
        }
        XCTAssertEqual(try store.files(in: "main"), [FileRecord(path: "app.py", blobID: "v2")])
        XCTAssertEqual(try store.revisions().map(\.commitID), ["c2"])

        XCTAssertStoreError(.invalidArgument("revision main lists lib.py twice")) { () throws(StoreError) in
            try store.recordRevision(revision("main", commit: "c4"), files: [
                FileRecord(path: "lib.py", blobID: "lib"), FileRecord(path: "lib.py", blobID: "v1"),
            ])
        }
        XCTAssertEqual(try store.files(in: "main"), [FileRecord(path: "app.py", blobID: "v2")])
    }

    func testRevisionsAreNewestFirstAndTheNewestIsTheDefault() throws {
        let store = try makeStore()
        try store.write([blob("x", path: "x.py", chunks: [("x", "x = 1")])])
        let older = revision("v1.0", commit: "old", indexedAt: Date(timeIntervalSince1970: 1_000))
        let newer = revision("HEAD", commit: "new", indexedAt: Date(timeIntervalSince1970: 2_000))
        try store.recordRevision(newer, files: [FileRecord(path: "x.py", blobID: "x")])
        try store.recordRevision(older, files: [FileRecord(path: "old/x.py", blobID: "x")])
        XCTAssertEqual(try store.revisions(), [newer, older])
        XCTAssertEqual(try store.lexicalSearch(LexicalQuery(match: orMatch("x"))).map(\.path), ["x.py"])
        XCTAssertEqual(try store.lexicalSearch(LexicalQuery(match: orMatch("x"), revision: "v1.0")).map(\.path), ["old/x.py"])
        XCTAssertStoreError(.unknownRevision("nope")) { () throws(StoreError) in
            try store.lexicalSearch(LexicalQuery(match: orMatch("x"), revision: "nope"))
        }
        try store.removeRevision(named: "HEAD")
        XCTAssertEqual(try store.revisions(), [older])
        XCTAssertStoreError(.unknownRevision("HEAD")) { () throws(StoreError) in try store.removeRevision(named: "HEAD") }
    }

    func testGarbageCollectionDropsOnlyUnreachableBlobs() throws {
        let store = try makeStore()
        let shared = "def shared(): return 42"
        try store.write([
            blob("keep", path: "keep.py", chunks: [("keep", "def keep(): pass"), ("shared", shared)]),
            blob("drop", path: "drop.py", chunks: [("dropped", "def dropped(): pass"), ("shared", shared)]),
            blob("drop2", path: "drop2.py", chunks: [("unique", "def unique(): pass")]),
        ])
        try store.recordRevision(revision("HEAD"), files: [
            FileRecord(path: "keep.py", blobID: "keep"), FileRecord(path: "drop.py", blobID: "drop"),
            FileRecord(path: "drop2.py", blobID: "drop2"),
        ])
        let model = try store.db.integer("INSERT INTO models(name, revision, dim) VALUES ('e5', 'r1', 2) RETURNING id")
        let insert = try store.db.prepare("INSERT INTO embeddings(content_hash, model_id, dim, vector) VALUES (?, ?, 2, x'0000803F0000803F')")
        for text in [shared, "def unique(): pass"] {
            ContentHash(of: text).bytes.withUnsafeBytes { insert.bind(bytes: $0, at: 1) }
            insert.bind(model, at: 2)
            try insert.run()
        }

        try store.recordRevision(revision("HEAD"), files: [FileRecord(path: "keep.py", blobID: "keep")])
        let removed = try store.collectGarbage()
        XCTAssertEqual(removed.blobs, 2)
        XCTAssertEqual(removed.chunks, 3)
        XCTAssertEqual(removed.embeddings, 1, "the shared text is still reachable through `keep`")
        XCTAssertEqual(try store.storedBlobIDs(), ["keep"])
        XCTAssertEqual(try store.db.integer("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'dropped OR unique'"), 0)
        XCTAssertEqual(try store.db.integer("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'shared'"), 1)
        XCTAssertEqual(try store.db.integer("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'keep'"), 2, "both chunks: by path")
        // A contentless delete with other values than the insert would leave these terms behind
        // (FTS5's integrity-check cannot see that), so every term of the dropped rows must be gone.
        XCTAssertEqual(try store.db.integer("""
            SELECT count(*) FROM chunks_fts
            WHERE chunks_fts MATCH 'def OR pass OR return OR 42 OR py OR drop OR drop2'
            """), 2)
        XCTAssertEqual(try store.collectGarbage(), GarbageCollection())
    }

    func testReaderSeesCommittedDataWhileAWriteTransactionIsOpen() throws {
        let path = try makeTemporaryDirectory(self) + "/index.db"
        let writer = try IndexStore(path: path, mode: .create)
        try writer.write([blob("one", path: "one.py", chunks: [("first", "def first(): pass")])])
        try writer.recordRevision(revision("HEAD"), files: [FileRecord(path: "one.py", blobID: "one")])

        try writer.db.execute("BEGIN IMMEDIATE")
        try writer.write([blob("two", path: "two.py", chunks: [("second", "def second(): pass")])])
        try writer.recordRevision(revision("HEAD"), files: [
            FileRecord(path: "one.py", blobID: "one"), FileRecord(path: "two.py", blobID: "two"),
        ])

        let reader = try IndexStore(path: path, mode: .readOnly)
        XCTAssertEqual(try reader.storedBlobIDs(), ["one"])
        XCTAssertEqual(try reader.lexicalSearch(LexicalQuery(match: orMatch("first", "second"))).map(\.chunk.symbol), ["first"])
        try writer.db.execute("COMMIT")
        XCTAssertEqual(try reader.storedBlobIDs(), ["one", "two"])
        XCTAssertEqual(Set(try reader.lexicalSearch(LexicalQuery(match: orMatch("first", "second"))).map(\.chunk.symbol)),
                       ["first", "second"])
    }

    /// The files as a SIGKILL would leave them mid-batch: copied while the
    /// transaction is open (the `-shm` index is rebuilt on open, so it is not copied).
    func testFilesCopiedMidTransactionOpenConsistentWithoutTheBatch() throws {
        let directory = try makeTemporaryDirectory(self)
        let path = directory + "/index.db"
        let writer = try IndexStore(path: path, mode: .create)
        // A small cache makes SQLite spill uncommitted pages into the log, the hard case.
        try writer.db.execute("PRAGMA cache_size = 50")
        try writer.write([blob("committed", path: "a.py", chunks: [("kept", "def kept(): pass")])])
        try writer.db.execute("BEGIN IMMEDIATE")
        try writer.write((0..<300).map { i in
            blob("pending\(i)", path: "p\(i).py",
                 chunks: [("lost\(i)", String(repeating: "def lost\(i)(): return pending_value\n", count: 40))])
        })
        let crashed = directory + "/crashed.db"
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: path + suffix) {
            try FileManager.default.copyItem(atPath: path + suffix, toPath: crashed + suffix)
        }
        try writer.db.execute("ROLLBACK")
        let logSize = try FileManager.default.attributesOfItem(atPath: crashed + "-wal")[.size] as? Int ?? 0
        XCTAssertGreaterThan(logSize, 200_000, "uncommitted pages reached the copied log")

        let recovered = try IndexStore(path: crashed, mode: .readWrite)
        XCTAssertEqual(try recovered.storedBlobIDs(), ["committed"])
        XCTAssertEqual(try recovered.db.integer("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'pending_value'"), 0)
        XCTAssertEqual(try recovered.db.integer("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'kept'"), 1)
        try recovered.db.execute("INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('integrity-check', 0)")
        let check = try recovered.db.prepare("PRAGMA integrity_check")
        XCTAssertTrue(try check.step())
        XCTAssertEqual(check.string(0), "ok")
        // The resumed run writes the lost batch again.
        try recovered.write([blob("pending0", path: "p0.py", chunks: [("lost0", "def lost0(): return pending_value")])])
        XCTAssertEqual(try recovered.db.integer("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'pending_value'"), 1)
    }

    func testReadOnlyOpenAfterTheWriterClosed() throws {
        let path = try makeTemporaryDirectory(self) + "/index.db"
        do {
            let writer = try IndexStore(path: path, mode: .create)
            try writer.write([blob("one", path: "one.py", chunks: [("first", "def first(): pass")])])
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + "-wal"), "closing checkpoints the log")
        let reader = try IndexStore(path: path, mode: .readOnly)
        XCTAssertEqual(try reader.storedBlobIDs(), ["one"])
    }
}

final class TextFidelityTests: XCTestCase {
    func testTextWithNULAndNonASCIISurvivesAndCollectsCleanly() throws {
        let store = try IndexStore(path: try makeTemporaryDirectory(self) + "/index.db", mode: .create)
        let text = "s = \"a\u{0}b\" # naïve 日本語 trailingWord"
        try store.write([blob("nul", path: "données/nul.py", chunks: [("naïve_func", text)])])
        try store.recordRevision(revision("HEAD"), files: [FileRecord(path: "données/nul.py", blobID: "nul")])
        let hit = try XCTUnwrap(try store.lexicalSearch(LexicalQuery(match: orMatch("trailingword"))).first)
        XCTAssertEqual(hit.chunk.text, text)
        XCTAssertEqual(hit.contentHash, ContentHash(of: text))
        XCTAssertEqual(try store.lexicalSearch(LexicalQuery(match: orMatch("naive"))).count, 1, "diacritics folded")
        XCTAssertEqual(try store.lexicalSearch(LexicalQuery(match: orMatch("donnees"))).count, 1)

        try store.removeRevision(named: "HEAD")
        XCTAssertEqual(try store.collectGarbage().chunks, 1)
        XCTAssertEqual(try store.db.integer("""
            SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'trailingword OR naive OR donnees OR func OR s OR b'
            """), 0)
    }
}
