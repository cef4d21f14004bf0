import CSQLite
import Foundation
import XCTest

/// A first index answers keyword searches as soon as its chunks are stored
/// and embeds afterwards; refreshes of a revision already searchable stay whole.
final class ProgressiveIndexTests: XCTestCase {
    /// Small fixtures take the keyword-first path; small batches make many transactions.
    private let environment = ["QUARRY_RECORD_FIRST_MINIMUM": "1", "QUARRY_INDEX_BATCH_SIZE": "4"]

    func testAFirstIndexIsSearchableWhileEmbeddingAndAKilledRunResumesToTheSameIndex() throws {
        let repository = try ScratchRepository(name: "corpus")
        defer { repository.remove() }
        let stdlib = try pythonStandardLibrary()
        for module in ["json"] {
            try repository.copyTree(from: stdlib.appendingPathComponent(module), to: module)
        }
        try repository.commitAll()
        let scratch = repository.url.deletingLastPathComponent()

        let reference = scratch.appendingPathComponent("reference.sqlite").path
        let full = try QuarryProcess.run(["index", repository.path, "--index", reference, "--json"],
                                         environment: environment)
        XCTAssertEqual(full.status, 0, full.stderr)
        let summary = try XCTUnwrap(full.jsonLines.first)
        let revisions = try XCTUnwrap(summary["revisions"] as? [[String: Any]])
        XCTAssertEqual(revisions.first?["recorded_before_embedding"] as? Bool, true)
        XCTAssertTrue(try backlogRows(reference).isEmpty, "an uninterrupted run leaves no backlog")

        // Kill once some, not all, of the texts have vectors.
        let index = scratch.appendingPathComponent("killed.sqlite").path
        let (process, _, _) = try QuarryProcess.start(["index", repository.path, "--index", index, "-q"],
                                                      environment: environment)
        var partial: (texts: Int, missing: Int)?
        while process.isRunning {
            if let row = (try? backlogRows(index))?.first, row.missing < row.texts {
                kill(process.processIdentifier, SIGKILL)
                partial = row
                break
            }
            usleep(5_000)
        }
        process.waitUntilExit()
        let killedAt = try XCTUnwrap(partial, "the run must be killed while embedding")

        let keywords = try QuarryProcess.run(["search", "--index", index, "--mode", "lexical", "-k", "3", "JSONDecoder"])
        XCTAssertEqual(keywords.status, 0, keywords.stderr)
        XCTAssertTrue(keywords.stdout.contains("json/"), keywords.stdout)
        let hybrid = try QuarryProcess.run(["search", "--index", index, "-k", "3", "decode a json document"])
        XCTAssertEqual(hybrid.status, 0, hybrid.stderr)
        XCTAssertFalse(hybrid.stdout.isEmpty)
        XCTAssertTrue(hybrid.stderr.contains("semantic ranking covers"), hybrid.stderr)
        XCTAssertTrue(hybrid.stderr.contains("keywords rank the rest"), hybrid.stderr)
        let status = try QuarryProcess.run(["status", "--index", index, "--json"])
        let models = try XCTUnwrap(status.jsonLines.first?["models"] as? [[String: Any]])
        let embedding = try XCTUnwrap(models.first?["embedding"] as? [String: Any], status.stdout)
        XCTAssertLessThanOrEqual(try XCTUnwrap(embedding["missing"] as? Int), killedAt.missing)
        XCTAssertGreaterThan(try XCTUnwrap(embedding["missing"] as? Int), 0)

        let resumed = try QuarryProcess.run(["index", repository.path, "--index", index, "--json"],
                                            environment: environment)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try IndexDigest(path: index), try IndexDigest(path: reference))
        XCTAssertTrue(try backlogRows(index).isEmpty)
        let expectedVectors = try vectors(reference)
        let resumedVectors = try vectors(index)
        XCTAssertEqual(Set(resumedVectors.keys), Set(expectedVectors.keys), "the same texts embedded")
        for (hash, vector) in expectedVectors {
            let other = try XCTUnwrap(resumedVectors[hash])
            // Stored vectors carry their hubness in their length (`HubnessCorrection`): compare both.
            let length = vector.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
            let otherLength = other.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
            let cosine = zip(vector, other).reduce(Float(0)) { $0 + $1.0 * $1.1 } / (length * otherLength)
            XCTAssertGreaterThan(cosine, 0.9999, "vector of \(hash)")
            XCTAssertEqual(length, otherLength, accuracy: 1e-3 * length, "length of \(hash)")
        }
        let after = try QuarryProcess.run(["search", "--index", index, "-k", "3", "decode a json document"])
        XCTAssertEqual(after.status, 0, after.stderr)
        XCTAssertFalse(after.stderr.contains("semantic ranking covers"), after.stderr)
    }

    func testRefreshesAndAtomicRunsRecordOnlyEmbeddedRevisions() throws {
        let repository = try ScratchRepository(name: "small")
        defer { repository.remove() }
        try repository.write("net.py", "def fetch(url):\n    \"\"\"Download a page.\"\"\"\n    return url\n")
        try repository.commitAll()
        func recordedFirst(_ arguments: [String]) throws -> [String: Bool] {
            let run = try QuarryProcess.run(["index", repository.path, "--json"] + arguments, environment: environment)
            XCTAssertEqual(run.status, 0, run.stderr)
            let revisions = run.jsonLines.first?["revisions"] as? [[String: Any]] ?? []
            return Dictionary(uniqueKeysWithValues: revisions.compactMap { revision in
                (revision["name"] as? String).map { ($0, revision["recorded_before_embedding"] as? Bool ?? false) }
            })
        }
        XCTAssertEqual(try recordedFirst(["--atomic"]), ["HEAD": false])

        try repository.write("mail.py", "def send(message):\n    \"\"\"Send an e-mail.\"\"\"\n    return message\n")
        try repository.commitAll()
        XCTAssertEqual(try recordedFirst([]), ["HEAD": false], "HEAD was searchable: it stays whole")

        _ = try repository.git("checkout", "-q", "-b", "topic")
        try repository.write("zip.py", "def pack(files):\n    \"\"\"Compress files.\"\"\"\n    return files\n")
        try repository.commitAll()
        XCTAssertEqual(try recordedFirst(["--rev", "topic"]), ["topic": true], "a new revision is recorded first")
    }
}

/// The embedding backlog rows of an index, read as another process would.
private func backlogRows(_ path: String) throws -> [(texts: Int, missing: Int)] {
    try withDatabase(path) { db in
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, "SELECT texts, missing FROM embedding_backlog", -1, &statement, nil) == SQLITE_OK
        else { throw NSError(domain: "sqlite", code: 2) }
        defer { sqlite3_finalize(statement) }
        var rows: [(texts: Int, missing: Int)] = []
        while sqlite3_step(statement) == SQLITE_ROW {
            rows.append((Int(sqlite3_column_int64(statement, 0)), Int(sqlite3_column_int64(statement, 1))))
        }
        return rows
    }
}

/// Every stored vector by content hash (hex).
private func vectors(_ path: String) throws -> [String: [Float]] {
    try withDatabase(path) { db in
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, "SELECT hex(content_hash), vector FROM embeddings", -1, &statement, nil) == SQLITE_OK
        else { throw NSError(domain: "sqlite", code: 2) }
        defer { sqlite3_finalize(statement) }
        var result: [String: [Float]] = [:]
        while sqlite3_step(statement) == SQLITE_ROW {
            let count = Int(sqlite3_column_bytes(statement, 1)) / 4
            guard let bytes = sqlite3_column_blob(statement, 1) else { continue }
            let vector = (0..<count).map { i in
                Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
            }
            result[String(cString: sqlite3_column_text(statement, 0))] = vector
        }
        return result
    }
}

private func withDatabase<T>(_ path: String, _ body: (OpaquePointer) throws -> T) throws -> T {
    var handle: OpaquePointer?
    guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY, nil) == SQLITE_OK, let db = handle else {
        sqlite3_close(handle)
        throw NSError(domain: "sqlite", code: 1, userInfo: [NSLocalizedDescriptionKey: "cannot open \(path)"])
    }
    defer { sqlite3_close(db) }
    return try body(db)
}
