import Foundation
import Store
import XCTest

/// The whole content of an index as the store's read API shows it: revisions,
/// each revision's files, blobs and chunks (`IndexDigest`), and every model's
/// vectors from the vector file, which must be current. Two indexes with equal
/// contents answer every search alike.
struct IndexContent: Equatable {
    var revisions: [String] = []
    var files: [String] = []
    var digest: IndexDigest
    /// Model name -> content hash -> vector.
    var vectors: [String: [String: [Float]]] = [:]
    /// Models whose vector file is missing or behind the database.
    var staleVectorFiles: [String] = []

    init(path: String) throws {
        digest = try IndexDigest(path: path)
        let store = try IndexStore(path: path, mode: .readOnly)
        revisions = try store.revisions().map { "\($0.name) \($0.commitID) \($0.treeID)" }.sorted()
        for revision in try store.revisions() {
            files += try store.files(in: revision.name).map { "\(revision.name) \($0.path) \($0.blobID)" }
        }
        files.sort()
        for model in try store.models() {
            if !(try store.isVectorFileCurrent(for: model)) { staleVectorFiles.append(model.name) }
            let matrix = try store.vectorMatrix(for: model)
            var rows: [String: [Float]] = [:]
            for row in 0..<matrix.count {
                rows[matrix.contentHash(ofRow: row).hex] = Array(matrix.vector(ofRow: row))
            }
            vectors[model.name] = rows
        }
    }

    /// Asserts `self` equals `expected`, naming what differs; vectors may
    /// differ by float rounding (a resumed run embeds in other batches).
    func assertEqual(to expected: IndexContent, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(revisions, expected.revisions, "revisions \(label)", file: file, line: line)
        XCTAssertEqual(files, expected.files, "files \(label)", file: file, line: line)
        XCTAssertEqual(digest.blobs, expected.digest.blobs, "blobs \(label)", file: file, line: line)
        XCTAssertEqual(digest.chunks, expected.digest.chunks, "chunks \(label)", file: file, line: line)
        XCTAssertEqual(digest.fullText, expected.digest.fullText, "full-text index \(label)", file: file, line: line)
        XCTAssertEqual(staleVectorFiles, [], "vector file behind the database \(label)", file: file, line: line)
        XCTAssertEqual(Set(vectors.keys), Set(expected.vectors.keys), "models \(label)", file: file, line: line)
        for (model, rows) in expected.vectors {
            let actual = vectors[model] ?? [:]
            XCTAssertEqual(Set(actual.keys), Set(rows.keys), "texts embedded with \(model) \(label)", file: file, line: line)
            let drift = rows.compactMap { hash, vector in
                actual[hash].map { zip($0, vector).map { abs($0 - $1) }.max() ?? 0 }
            }.max() ?? 0
            XCTAssertLessThan(drift, 1e-4, "vectors of \(model) \(label)", file: file, line: line)
        }
    }
}
