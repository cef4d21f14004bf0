import CSQLite
import Foundation
import XCTest

/// SIGKILL at any moment, then a rerun, must give exactly the index of an
/// uninterrupted run.
final class CrashResumeTests: XCTestCase {
    func testKilledIndexRunsResumeToTheUninterruptedResult() throws {
        let repository = try ScratchRepository(name: "corpus")
        defer { repository.remove() }
        let stdlib = try pythonStandardLibrary()
        for module in ["email", "json", "urllib", "http", "logging", "xml", "asyncio", "unittest",
                       "textwrap.py", "argparse.py"] {
            try repository.copyTree(from: stdlib.appendingPathComponent(module), to: module)
        }
        try removePycache(in: repository.url)
        try repository.commitAll()
        // Small batches: many transactions, so kills land between and inside them.
        let environment = ["QUARRY_INDEX_BATCH_SIZE": "8"]

        let reference = repository.url.deletingLastPathComponent().appendingPathComponent("reference.sqlite").path
        let full = try QuarryProcess.run(["index", repository.path, "--index", reference, "-q", "--no-embed"], environment: environment)
        XCTAssertEqual(full.status, 0, full.stderr)
        let finalSize = Double(indexBytes(reference))
        let expected = try IndexDigest(path: reference)
        XCTAssertGreaterThan(expected.chunks.count, 1000)

        var killedMidRun = 0
        // Kill once the index has grown to a fraction of its final size: the
        // moment lands inside the run whatever the machine's speed.
        for (attempt, fraction) in [0.0, 0.2, 0.45, 0.7, 0.9].enumerated() {
            let index = repository.url.deletingLastPathComponent().appendingPathComponent("killed-\(attempt).sqlite").path
            let (process, _, _) = try QuarryProcess.start(["index", repository.path, "--index", index, "-q", "--no-embed"],
                                                           environment: environment)
            while process.isRunning, Double(indexBytes(index)) < finalSize * fraction || indexBytes(index) == 0 {
                usleep(2_000)
            }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killedMidRun += 1
            }
            process.waitUntilExit()
            let resumed = try QuarryProcess.run(["index", repository.path, "--index", index, "--json", "--no-embed"],
                                                environment: environment)
            XCTAssertEqual(resumed.status, 0, resumed.stderr)
            let digest = try IndexDigest(path: index)
            XCTAssertEqual(digest.blobs, expected.blobs, "blobs after kill at \(fraction)")
            XCTAssertEqual(digest.chunks, expected.chunks, "chunks after kill at \(fraction)")
            XCTAssertEqual(digest.files, expected.files, "files after kill at \(fraction)")
            XCTAssertEqual(digest.fullText, expected.fullText, "full-text index after kill at \(fraction)")
            XCTAssertEqual(digest.revisions, expected.revisions)
        }
        XCTAssertGreaterThanOrEqual(killedMidRun, 4, "kills must land while indexing runs")
    }

    private func removePycache(in directory: URL) throws {
        let caches = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { $0.lastPathComponent == "__pycache__" } ?? []
        for cache in caches { try FileManager.default.removeItem(at: cache) }
    }
}

/// Size of an SQLite index with its write-ahead log.
private func indexBytes(_ path: String) -> Int {
    [path, path + "-wal"].reduce(0) { total, file in
        total + ((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0)
    }
}

/// Everything an index holds, in a form independent of row ids and timing.
struct IndexDigest: Equatable {
    var blobs: [String] = []
    var chunks: [String] = []
    var files: [String] = []
    var revisions: [String] = []
    /// For a few common terms, the chunks (blob, ordinal) the FTS index returns.
    var fullText: [String] = []

    init(path: String) throws {
        var handle: OpaquePointer?
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY, nil) == SQLITE_OK, let db = handle else {
            throw NSError(domain: "sqlite", code: 1, userInfo: [NSLocalizedDescriptionKey: "cannot open \(path)"])
        }
        defer { sqlite3_close(db) }
        blobs = try rows(db, "SELECT oid, path, language, size, ifnull(skip_reason, ''), chunk_count FROM blobs ORDER BY oid")
        chunks = try rows(db, """
            SELECT b.oid, c.ordinal, c.kind, c.symbol, c.start_line, c.end_line, c.start_byte, c.end_byte,
                   hex(c.content_hash), length(c.text)
            FROM chunks c JOIN blobs b ON b.id = c.blob_id ORDER BY b.oid, c.ordinal
            """)
        files = try rows(db, """
            SELECT r.name, f.path, b.oid FROM files f JOIN revisions r ON r.id = f.revision_id
            JOIN blobs b ON b.id = f.blob_id ORDER BY r.name, f.path
            """)
        revisions = try rows(db, "SELECT name, commit_id, tree_id FROM revisions ORDER BY name")
        for term in ["def", "return", "self", "import", "message", "parse", "header"] {
            fullText += try rows(db, """
                SELECT '\(term)', b.oid, c.ordinal FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid
                JOIN blobs b ON b.id = c.blob_id WHERE chunks_fts MATCH '\(term)' ORDER BY b.oid, c.ordinal
                """)
        }
    }

    private func rows(_ db: OpaquePointer, _ sql: String) throws -> [String] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw NSError(domain: "sqlite", code: 2,
                          userInfo: [NSLocalizedDescriptionKey: String(cString: sqlite3_errmsg(db))])
        }
        defer { sqlite3_finalize(statement) }
        var result: [String] = []
        while sqlite3_step(statement) == SQLITE_ROW {
            let columns = (0..<sqlite3_column_count(statement)).map { column -> String in
                sqlite3_column_text(statement, column).map { String(cString: $0) } ?? "NULL"
            }
            result.append(columns.joined(separator: "|"))
        }
        return result
    }
}
