import Foundation
import QuarryCore
import XCTest
@testable import Store

final class RepresentationTests: XCTestCase {
    private var store: IndexStore!
    private var path = ""

    override func setUpWithError() throws {
        path = try makeTemporaryDirectory(self) + "/index.db"
        store = try IndexStore(path: path, mode: .create)
        try store.write(sharedTextBlobs)
        try store.recordRevision(revision("HEAD"), files: [
            FileRecord(path: "a.py", blobID: "a"), FileRecord(path: "b.py", blobID: "b"),
            FileRecord(path: "g.go", blobID: "g"),
        ])
    }

    func testARecordedRepresentationIsKeptPerModel() throws {
        let first = try store.registerModel(name: "m", revision: "1", dimension: 3)
        let second = try store.registerModel(name: "m", revision: "2", dimension: 3)
        XCTAssertNil(try store.vectorRepresentation(of: first))
        XCTAssertFalse(try store.hasEmbeddings(of: first))
        try store.recordVectorRepresentation("hubness-1-abc", of: first)
        XCTAssertEqual(try store.vectorRepresentation(of: first), "hubness-1-abc")
        XCTAssertNil(try store.vectorRepresentation(of: second))
    }

    func testTransformingRewritesEveryVectorAcrossPagesInOneGo() throws {
        let model = try store.registerModel(name: "m", revision: "1", dimension: 3)
        let pending = try store.textsWithoutEmbeddings(model: model, limit: 100)
        XCTAssertGreaterThan(pending.count, 2)
        let original = Dictionary(uniqueKeysWithValues: pending.enumerated().map { index, item in
            (item.hash, [Float(index + 1), -1, 0.5])
        })
        try store.writeEmbeddings(original.map { ($0.key, $0.value) }, model: model)
        XCTAssertTrue(try store.hasEmbeddings(of: model))

        // A page of 1 makes every vector its own page.
        let changed = try store.transformEmbeddings(of: model, into: "halved", pageSize: 1) { page in
            page.map { vector in vector.map { $0 / 2 } }
        }
        XCTAssertEqual(changed, original.count)
        XCTAssertEqual(try store.vectorRepresentation(of: model), "halved")
        let stored = try store.vectors(forContentHashes: Array(original.keys), model: model)
        for (hash, vector) in original {
            XCTAssertEqual(stored[hash], vector.map { $0 / 2 })
        }
        // The vector file follows the database, so searches map it.
        XCTAssertTrue(try store.isVectorFileCurrent(for: model))

        let reader = try IndexStore(path: path, mode: .readOnly)
        XCTAssertStoreError(.readOnly(path: path)) { () throws(StoreError) in
            try reader.transformEmbeddings(of: model, into: "x") { $0 }
        }
    }
}
