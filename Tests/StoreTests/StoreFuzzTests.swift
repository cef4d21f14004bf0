import Foundation
import QuarryCore
import XCTest
@testable import Store
import TestSupport

/// Damaged index files: a mutated vector file is mapped only within its
/// bounds (or not at all), and a mutated SQLite file opens, answers or fails
/// with a `StoreError`, never crashes. `Benchmarks/fuzz.sh` runs them longer.
final class StoreFuzzTests: XCTestCase {
    private var directory = ""
    private var path = ""
    private var model: ModelRecord!

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory(self)
        path = directory + "/index.db"
        let store = try IndexStore(path: path, mode: .create)
        let texts = (0..<40).map { "def handler_\($0)(request):\n    return parse_config(request, retries=\($0))" }
        try store.write([
            blob("a", path: "src/a.py", chunks: texts.prefix(25).enumerated().map { ("handler_\($0.offset)", $0.element) }),
            blob("b", path: "src/b.py", chunks: texts.suffix(15).enumerated().map { ("other_\($0.offset)", $0.element) }),
        ])
        try store.recordRevision(revision("HEAD"), files: [FileRecord(path: "src/a.py", blobID: "a"),
                                                           FileRecord(path: "src/b.py", blobID: "b")])
        model = try store.registerModel(name: "m", revision: "1", dimension: 4)
        try store.writeEmbeddings(texts.enumerated().map { (ContentHash(of: $0.element), [Float($0.offset), 1, 0, -1]) },
                                  model: model)
    }

    func testVectorFileReader() throws {
        let store = try IndexStore(path: path, mode: .readOnly)
        let file = VectorFile.path(index: path, model: model.id)
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        let fuzzer = Fuzzer(target: "vector-file", corpus: [original], dictionary: ["QRRYVEC1"], maxLength: 64 << 10)
        let report = fuzzer.run(executions: 800) { bytes in
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            let matrix = try store.vectorMatrix(for: model)
            guard matrix.dimension == 4, matrix.source != .file || matrix.count * (32 + 16) + 64 <= bytes.count else {
                throw Fuzzer.Finding("\(matrix.count) rows of \(matrix.dimension) from a \(bytes.count)-byte \(matrix.source) file")
            }
            // Touch every row: a mapping shorter than its rows would fault here.
            var sum: Float = 0
            for row in 0..<matrix.count { sum += matrix.vector(ofRow: row).reduce(0, +) }
            _ = sum
        }
        XCTAssertEqual(report.findings, [])
    }

    func testIndexOpenedFromACorruptedFile() throws {
        // One self-contained file: no write-ahead log beside it.
        try IndexStore(path: path, mode: .readWrite).checkpointForFuzzing()
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let damaged = directory + "/damaged.db"
        let fuzzer = Fuzzer(target: "sqlite-index", corpus: [original], maxLength: 1 << 20)
        let report = fuzzer.run(executions: 150) { bytes in
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: damaged + suffix) }
            try Data(bytes).write(to: URL(fileURLWithPath: damaged))
            Self.exercise(damaged, model: model)
        }
        XCTAssertEqual(report.findings, [])
    }

    /// Every read a search and an index run start with; errors are expected, crashes are not.
    private static func exercise(_ path: String, model: ModelRecord) {
        if let store = try? IndexStore(path: path, mode: .readOnly) {
            _ = try? store.revisions()
            _ = try? store.files(in: nil)
            _ = try? store.statistics()
            _ = try? store.lexicalSearch(LexicalQuery(match: orMatch("parse", "handler", "request")))
            for stored in (try? store.models()) ?? [] {
                if let matrix = try? store.vectorMatrix(for: stored), matrix.count > 0 {
                    _ = matrix.vector(ofRow: matrix.count - 1)
                }
            }
            _ = try? store.vocabulary(minDocuments: 2, limit: 100)
        }
        if let store = try? IndexStore(path: path, mode: .readWrite) {
            _ = try? store.storedBlobIDs()
            _ = try? store.collectGarbage()
        }
    }
}

extension IndexStore {
    /// Folds the write-ahead log into the main file, so a copy of that file is the whole index.
    func checkpointForFuzzing() throws {
        try db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    }
}
