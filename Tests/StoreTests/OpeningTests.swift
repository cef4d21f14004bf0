import CSQLite
import Foundation
import XCTest
@testable import Store

final class OpeningTests: XCTestCase {
    func testCreateMakesAQuarryFileAtTheCurrentSchema() throws {
        let path = try makeTemporaryDirectory(self) + "/index.db"
        let store = try IndexStore(path: path, mode: .create)
        XCTAssertEqual(try store.schemaVersion(), Schema.currentVersion)
        XCTAssertEqual(Int32(truncatingIfNeeded: try store.db.integer("PRAGMA application_id")), Schema.applicationID)
        let journal = try store.db.prepare("PRAGMA journal_mode")
        XCTAssertTrue(try journal.step())
        XCTAssertEqual(journal.string(0), "wal")
        let tables = try store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        var names: [String] = []
        while try tables.step() { names.append(tables.string(0)) }
        for table in ["blobs", "chunks", "chunks_fts", "embeddings", "files", "meta", "models", "revisions"] {
            XCTAssertTrue(names.contains(table), "missing table \(table)")
        }
    }

    func testReopenKeepsDataInEveryMode() throws {
        let path = try makeTemporaryDirectory(self) + "/index.db"
        do {
            let store = try IndexStore(path: path, mode: .create)
            try store.write([blob("b1", path: "a.py", chunks: [("f", "def f(): pass")])])
        }
        for mode in [OpenMode.readOnly, .readWrite, .create] {
            let store = try IndexStore(path: path, mode: mode)
            XCTAssertEqual(try store.storedBlobIDs(), ["b1"])
        }
    }

    func testMissingIndexIsReportedForReadingModes() throws {
        let path = try makeTemporaryDirectory(self) + "/absent.db"
        XCTAssertStoreError(.noIndex(path: path)) { () throws(StoreError) in try IndexStore(path: path, mode: .readOnly) }
        XCTAssertStoreError(.noIndex(path: path)) { () throws(StoreError) in try IndexStore(path: path, mode: .readWrite) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "reading must not create the file")
        XCTAssertEqual(StoreError.noIndex(path: "/x/i.db").description, "no index at /x/i.db; run `quarry index` first")
    }

    func testEmptyFileIsNoIndexForReadersButInitialisedByWriters() throws {
        let path = try makeTemporaryDirectory(self) + "/empty.db"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data()))
        XCTAssertStoreError(.noIndex(path: path)) { () throws(StoreError) in try IndexStore(path: path, mode: .readOnly) }
        let store = try IndexStore(path: path, mode: .readWrite)
        XCTAssertEqual(try store.schemaVersion(), Schema.currentVersion)
    }

    func testNonSQLiteFileIsNotAnIndex() throws {
        let path = try makeTemporaryDirectory(self) + "/notes.txt"
        let text = String(repeating: "just some text, not a database at all\n", count: 200)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        for mode in [OpenMode.readOnly, .readWrite, .create] {
            XCTAssertStoreError(.notAnIndex(path: path)) { () throws(StoreError) in try IndexStore(path: path, mode: mode) }
        }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), text, "opening must not modify the file")
    }

    func testDirectoryCannotBeOpened() throws {
        let directory = try makeTemporaryDirectory(self)
        XCTAssertStoreError(.cannotOpen(path: directory, detail: "it is a directory")) { () throws(StoreError) in
            try IndexStore(path: directory, mode: .create)
        }
    }

    func testDatabaseOfAnotherApplicationIsRejected() throws {
        let directory = try makeTemporaryDirectory(self)
        let tagged = directory + "/tagged.db"
        let untagged = directory + "/untagged.db"
        for (path, id) in [(tagged, Int32(0x4750_4b47)), (untagged, Int32(0))] {
            let db = try Connection(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            try db.execute("PRAGMA application_id = \(id); CREATE TABLE photos(id INTEGER PRIMARY KEY, name TEXT)")
        }
        for mode in [OpenMode.readOnly, .readWrite, .create] {
            XCTAssertStoreError(.foreignDatabase(path: tagged, applicationID: 0x4750_4b47)) { () throws(StoreError) in
                try IndexStore(path: tagged, mode: mode)
            }
            XCTAssertStoreError(.foreignDatabase(path: untagged, applicationID: 0)) { () throws(StoreError) in
                try IndexStore(path: untagged, mode: mode)
            }
        }
        // The foreign database is untouched: still one table, no Quarry schema added.
        let db = try Connection(path: untagged, flags: SQLITE_OPEN_READONLY)
        XCTAssertEqual(try db.integer("SELECT count(*) FROM sqlite_master"), 1)
    }

    func testFileFromANewerQuarryIsRejected() throws {
        let path = try makeTemporaryDirectory(self) + "/index.db"
        do {
            let store = try IndexStore(path: path, mode: .create)
            try store.db.execute("PRAGMA user_version = \(Schema.currentVersion + 1)")
        }
        let expected = StoreError.newerSchema(path: path, found: Schema.currentVersion + 1, supported: Schema.currentVersion)
        for mode in [OpenMode.readOnly, .readWrite, .create] {
            XCTAssertStoreError(expected) { () throws(StoreError) in try IndexStore(path: path, mode: mode) }
        }
        XCTAssertTrue(expected.description.contains("newer Quarry"))
    }

    func testCorruptSchemaPageIsReportedOnOpen() throws {
        let path = try makeTemporaryDirectory(self) + "/index.db"
        do { _ = try IndexStore(path: path, mode: .create) }
        // Keep the 100-byte header (so it still looks like SQLite) and scramble the rest of page 1.
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: 100)
        try handle.write(contentsOf: Data((0..<3_996).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }))
        try handle.close()
        for mode in [OpenMode.readOnly, .readWrite] {
            do {
                _ = try IndexStore(path: path, mode: mode)
                XCTFail("opened a corrupt index")
            } catch {
                guard case .corrupt(let reported, _) = error else { return XCTFail("unexpected \(error)") }
                XCTAssertEqual(reported, path)
            }
        }
    }

    func testCorruptDataPageIsReportedWhenRead() throws {
        let path = try makeTemporaryDirectory(self) + "/index.db"
        do {
            let store = try IndexStore(path: path, mode: .create)
            let blobs = (0..<300).map { i in
                blob("blob\(i)", path: "src/file\(i).py",
                     chunks: [("handler\(i)", "def handler\(i)(request):\n    return render(request, 'page\(i).html')\n")])
            }
            try store.write(blobs)
            try store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        }
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        XCTAssertGreaterThan(size, 8 * 4096)
        // Scramble every page but the first: the schema loads, the data does not.
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: 4096)
        try handle.write(contentsOf: Data(repeating: 0xA5, count: size - 4096))
        try handle.close()
        do {
            let store = try IndexStore(path: path, mode: .readOnly)
            _ = try store.storedBlobIDs()
            XCTFail("read a corrupt index")
        } catch {
            guard case .corrupt = error else { return XCTFail("unexpected \(error)") }
        }
    }

    func testReadOnlyStoreRefusesWrites() throws {
        let path = try makeTemporaryDirectory(self) + "/index.db"
        do { _ = try IndexStore(path: path, mode: .create) }
        let store = try IndexStore(path: path, mode: .readOnly)
        XCTAssertStoreError(.readOnly(path: path)) { () throws(StoreError) in
            try store.write([blob("b", path: "b.py", chunks: [])])
        }
        XCTAssertStoreError(.readOnly(path: path)) { () throws(StoreError) in try store.collectGarbage() }
    }
}

final class MigrationTests: XCTestCase {
    /// A hypothetical next version.
    private let next = Schema.Migration(version: Schema.currentVersion + 1, sql: "ALTER TABLE blobs ADD COLUMN mtime REAL")

    func testMigrationsRunInOrderAndRecordTheVersion() throws {
        let path = try makeTemporaryDirectory(self) + "/index.db"
        let db = try Connection(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        XCTAssertEqual(try Schema.inspect(db), 0)
        try Schema.migrate(db, from: 0, migrations: Array(Schema.migrations.prefix(1)))
        XCTAssertEqual(try Schema.inspect(db), 1)
        try db.execute("INSERT INTO models(name, revision, dim) VALUES ('m', 'r', 3)")
        try Schema.migrate(db, from: 1)
        XCTAssertEqual(try Schema.inspect(db), Schema.currentVersion)
        // v2 starts the generation of vectors written before it.
        XCTAssertEqual(try db.integer("SELECT value FROM meta WHERE key = 'vectors.generation.1'"), 1)
        try Schema.migrate(db, from: Schema.currentVersion, migrations: Schema.migrations + [next])
        XCTAssertEqual(try Schema.inspect(db), next.version)
        // The new column exists, and the v1 tables were not recreated.
        try db.execute("INSERT INTO blobs(oid, path, language, size, chunk_count, mtime) VALUES ('x', 'p', 'go', 1, 0, 1.5)")
        // Nothing left to run: migrating again is a no-op.
        try Schema.migrate(db, from: next.version, migrations: Schema.migrations + [next])
        XCTAssertEqual(try db.integer("SELECT count(*) FROM blobs"), 1)
    }

    func testFailingMigrationLeavesThePreviousVersion() throws {
        let path = try makeTemporaryDirectory(self) + "/index.db"
        let db = try Connection(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        try Schema.migrate(db, from: 0)
        let broken = Schema.Migration(version: Schema.currentVersion + 1,
                                      sql: "CREATE TABLE extra(x); ALTER TABLE nowhere ADD COLUMN y")
        XCTAssertThrowsError(try Schema.migrate(db, from: Schema.currentVersion, migrations: Schema.migrations + [broken]))
        XCTAssertEqual(try Schema.inspect(db), Schema.currentVersion)
        XCTAssertEqual(try db.integer("SELECT count(*) FROM sqlite_master WHERE name = 'extra'"), 0)
    }

    func testANewIndexIsCreatedWholeOrNotAtAll() throws {
        let path = try makeTemporaryDirectory(self) + "/index.db"
        let db = try Connection(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        let broken = Schema.Migration(version: Schema.currentVersion + 1, sql: "ALTER TABLE nowhere ADD COLUMN y")
        XCTAssertThrowsError(try Schema.migrate(db, from: 0, migrations: Schema.migrations + [broken]))
        XCTAssertEqual(try Schema.inspect(db), 0, "no version 1 left behind by a later failure")
        XCTAssertEqual(try db.integer("SELECT count(*) FROM sqlite_master"), 0)
    }

    func testOlderSchemaIsUpgradedByWritersAndRefusedByReaders() throws {
        let path = try makeTemporaryDirectory(self) + "/index.db"
        do {
            let db = try Connection(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            try Schema.migrate(db, from: 0)
            // Pretend this file predates v1 by lowering its recorded version.
            try db.execute("PRAGMA user_version = 0")
            XCTAssertEqual(try Schema.inspect(db), 0)
        }
        XCTAssertStoreError(.noIndex(path: path)) { () throws(StoreError) in try IndexStore(path: path, mode: .readOnly) }
        XCTAssertEqual(StoreError.outdatedSchema(path: "i.db", found: 1, supported: 2).description,
                       "the index at i.db has schema v1 but this build needs v2; run `quarry index` to upgrade it")
    }
}
