import Foundation
import QuarryCore
import XCTest
@testable import Store

/// The vector file beside the index: kept current by writes, used by readers
/// only when it matches the database they see, and never trusted when stale.
final class VectorFileTests: XCTestCase {
    private var path = ""
    private var store: IndexStore!
    private var model: ModelRecord!
    private var texts: [String] = []

    override func setUpWithError() throws {
        path = try makeTemporaryDirectory(self) + "/index.db"
        store = try IndexStore(path: path, mode: .create)
        texts = (0..<8).map { "def f\($0)(): return \($0)" }
        try store.write([
            blob("a", path: "a.py", chunks: texts.prefix(5).enumerated().map { ("f\($0.offset)", $0.element) }),
            blob("b", path: "b.py", chunks: texts.suffix(3).enumerated().map { ("g\($0.offset)", $0.element) }),
        ])
        try store.recordRevision(revision("HEAD"), files: [FileRecord(path: "a.py", blobID: "a"),
                                                           FileRecord(path: "b.py", blobID: "b")])
        model = try store.registerModel(name: "m", revision: "1", dimension: 3)
    }

    private var filePath: String { VectorFile.path(index: path, model: model.id) }

    private func vector(_ i: Int) -> [Float] { [Float(i), 1, -Float(i) / 2] }

    private func write(_ range: Range<Int>, offset: Float = 0) throws {
        try store.writeEmbeddings(range.map { (ContentHash(of: texts[$0]), vector($0).map { $0 + offset }) },
                                  model: model)
    }

    /// Rows of a matrix as hash -> vector, checking no text appears twice.
    private func rows(_ matrix: VectorMatrix) -> [ContentHash: [Float]] {
        var result: [ContentHash: [Float]] = [:]
        for row in 0..<matrix.count {
            let previous = result.updateValue(Array(matrix.vector(ofRow: row)), forKey: matrix.contentHash(ofRow: row))
            XCTAssertNil(previous, "a text has two rows")
        }
        return result
    }

    private func expected(_ range: Range<Int>, offset: Float = 0) -> [ContentHash: [Float]] {
        Dictionary(uniqueKeysWithValues: range.map { (ContentHash(of: texts[$0]), vector($0).map { $0 + offset }) })
    }

    func testWritesAppendToTheFileAndReadersMapIt() throws {
        try write(0..<3)
        var matrix = try store.vectorMatrix(for: model)
        XCTAssertEqual(matrix.source, .file)
        XCTAssertEqual(rows(matrix), expected(0..<3))
        let sizeAfterThree = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: filePath)[.size] as? Int)
        XCTAssertEqual(sizeAfterThree, VectorFile.headerBytes + 3 * VectorFile.rowBytes(dimension: 3))

        try write(3..<8)
        matrix = try store.vectorMatrix(for: model)
        XCTAssertEqual(matrix.source, .file)
        XCTAssertEqual(rows(matrix), expected(0..<8))
        // BLAS reads rows `rowStride` floats apart, past each row's hash.
        XCTAssertEqual(matrix.rowStride, 3 + 8)
        XCTAssertEqual(matrix.floats[matrix.rowStride * 7], 7)

        // Another process reading the index maps the same file.
        let reader = try IndexStore(path: path, mode: .readOnly)
        XCTAssertEqual(try reader.vectorMatrix(for: model).source, .file)
    }

    func testReplacedVectorsRewriteTheFileWithoutDuplicates() throws {
        try write(0..<4)
        try write(2..<6, offset: 10)
        let matrix = try store.vectorMatrix(for: model)
        XCTAssertEqual(matrix.source, .file)
        XCTAssertEqual(rows(matrix), expected(0..<2).merging(expected(2..<6, offset: 10)) { $1 })
    }

    func testGarbageCollectionRewritesTheFile() throws {
        try write(0..<8)
        // b.py leaves the revision: its three texts are garbage.
        try store.recordRevision(revision("HEAD"), files: [FileRecord(path: "a.py", blobID: "a")])
        XCTAssertEqual(try store.collectGarbage().embeddings, 3)
        let matrix = try store.vectorMatrix(for: model)
        XCTAssertEqual(matrix.source, .file)
        XCTAssertEqual(rows(matrix), expected(0..<5))
    }

    func testAStaleOrDamagedFileIsNeverUsedAndSynchronizingRepairsIt() throws {
        try write(0..<5)
        // A write the file did not follow (a process killed between its commit and its append).
        try store.db.transaction { () throws(StoreError) in
            _ = try store.bumpVectorGeneration(of: model.id)
        }
        var matrix = try store.vectorMatrix(for: model)
        XCTAssertEqual(matrix.source, .database)
        XCTAssertEqual(rows(matrix), expected(0..<5))
        XCTAssertFalse(try store.isVectorFileCurrent(for: model))
        XCTAssertTrue(try store.synchronizeVectorFile(for: model))
        XCTAssertFalse(try store.synchronizeVectorFile(for: model), "nothing left to do")
        XCTAssertEqual(try store.vectorMatrix(for: model).source, .file)

        // A truncated file: the header counts rows that are not there.
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: filePath))
        try handle.truncate(atOffset: UInt64(VectorFile.headerBytes + VectorFile.rowBytes(dimension: 3)))
        try handle.close()
        matrix = try store.vectorMatrix(for: model)
        XCTAssertEqual(matrix.source, .database)
        XCTAssertEqual(rows(matrix), expected(0..<5))
        // Appending to it is refused too (its rows are not all there): the write rewrites it.
        try write(5..<6)
        XCTAssertEqual(try store.vectorMatrix(for: model).source, .file)
        XCTAssertEqual(rows(try store.vectorMatrix(for: model)), expected(0..<6))

        // A flipped header byte fails the checksum.
        let bytes = try XCTUnwrap(FileHandle(forUpdatingAtPath: filePath))
        try bytes.seek(toOffset: 17)
        bytes.write(Data([0xff]))
        try bytes.close()
        XCTAssertEqual(try store.vectorMatrix(for: model).source, .database)

        // Missing altogether.
        try FileManager.default.removeItem(atPath: filePath)
        XCTAssertEqual(rows(try store.vectorMatrix(for: model)), expected(0..<6))
        try store.synchronizeVectorFile(for: model)
        XCTAssertEqual(try store.vectorMatrix(for: model).source, .file)
    }

    func testASnapshotNeverSeesRowsWrittenAfterIt() throws {
        try write(0..<3)
        let reader = try IndexStore(path: path, mode: .readOnly)
        try reader.beginSnapshot()
        defer { reader.endSnapshot() }
        try write(3..<8)
        // The file now holds eight rows, but this snapshot is of three: it reads those.
        let matrix = try reader.vectorMatrix(for: model)
        XCTAssertEqual(matrix.source, .database)
        XCTAssertEqual(rows(matrix), expected(0..<3))
    }

    func testModelsKeepSeparateFiles() throws {
        try write(0..<2)
        let other = try store.registerModel(name: "m", revision: "2", dimension: 2)
        try store.writeEmbeddings([(ContentHash(of: texts[0]), [5, 5])], model: other)
        XCTAssertEqual(try store.vectorMatrix(for: model).count, 2)
        let second = try store.vectorMatrix(for: other)
        XCTAssertEqual(second.source, .file)
        XCTAssertEqual(rows(second), [ContentHash(of: texts[0]): [5, 5]])
        // A file of one model is never read for another, even under its name.
        try FileManager.default.removeItem(atPath: VectorFile.path(index: path, model: other.id))
        try FileManager.default.copyItem(atPath: filePath, toPath: VectorFile.path(index: path, model: other.id))
        XCTAssertEqual(try store.vectorMatrix(for: other).source, .database)
    }

    func testAVectorFileThatCannotBeWrittenLeavesTheVectorsInTheDatabase() throws {
        // A plain file where the vector directory belongs: nothing can be created there.
        XCTAssertTrue(FileManager.default.createFile(atPath: VectorFile.directory(index: path), contents: Data()))
        try write(0..<3)
        try write(3..<5)
        let matrix = try store.vectorMatrix(for: model)
        XCTAssertEqual(matrix.source, .database)
        XCTAssertEqual(rows(matrix), expected(0..<5), "nothing lost")
        XCTAssertThrowsError(try store.synchronizeVectorFile(for: model)) { error in
            guard case .cannotWrite(let failedPath, _) = error as? StoreError else {
                return XCTFail("expected cannotWrite, got \(error)")
            }
            XCTAssertEqual(failedPath, VectorFile.directory(index: path))
        }
    }

    func testNonFiniteVectorsAreRefused() throws {
        XCTAssertThrowsError(try store.writeEmbeddings([(ContentHash(of: texts[0]), [1, .nan, 0])], model: model))
        XCTAssertEqual(try store.vectorMatrix(for: model).count, 0)
    }
}
