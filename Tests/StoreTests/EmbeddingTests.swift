import Foundation
import QuarryCore
import XCTest
@testable import Store

final class EmbeddingTests: XCTestCase {
    private var store: IndexStore!

    override func setUpWithError() throws {
        store = try IndexStore(path: try makeTemporaryDirectory(self) + "/index.db", mode: .create)
        try store.write(sharedTextBlobs)
        try store.recordRevision(revision("HEAD"), files: [
            FileRecord(path: "a.py", blobID: "a"), FileRecord(path: "b.py", blobID: "b"),
            FileRecord(path: "g.go", blobID: "g"), FileRecord(path: "copy/g.go", blobID: "g"),
        ])
    }

    func testModelsAreRegisteredOnce() throws {
        let first = try store.registerModel(name: "e5-small", revision: "0.3.0", dimension: 3)
        let again = try store.registerModel(name: "e5-small", revision: "0.3.0", dimension: 3)
        let other = try store.registerModel(name: "e5-small", revision: "0.3.0", dimension: 2)
        XCTAssertEqual(first, again)
        XCTAssertNotEqual(first.id, other.id)
        XCTAssertEqual(try store.models(), [first, other])
        XCTAssertStoreError(.invalidArgument("model dimension must be positive, not 0")) { () throws(StoreError) in
            try store.registerModel(name: "x", revision: "1", dimension: 0)
        }
    }

    func testIdenticalTextIsEmbeddedOnceAndVectorsRoundTrip() throws {
        let model = try store.registerModel(name: "e5-small", revision: "0.3.0", dimension: 3)
        let pending = try store.textsWithoutEmbeddings(model: model, limit: 100)
        XCTAssertEqual(pending.count, 4, "five chunks, two with the same text")
        XCTAssertEqual(Set(pending.map(\.hash)), Set(pending.map { ContentHash(of: $0.text) }))

        let firstTwo = Array(pending.prefix(2))
        try store.writeEmbeddings(firstTwo.enumerated().map { i, item in (item.hash, [Float(i), -1.5, 0.25]) }, model: model)
        XCTAssertEqual(Set(try store.textsWithoutEmbeddings(model: model, limit: 100).map(\.hash)),
                       Set(pending.dropFirst(2).map(\.hash)))
        try store.writeEmbeddings(pending.dropFirst(2).map { ($0.hash, [9, 9, 9]) }, model: model)
        XCTAssertEqual(try store.textsWithoutEmbeddings(model: model, limit: 100).count, 0)

        let matrix = try store.vectorMatrix(for: model)
        XCTAssertEqual(matrix.count, 4, "one row per distinct text")
        var vectors: [ContentHash: [Float]] = [:]
        for row in 0..<matrix.count { vectors[matrix.contentHash(ofRow: row)] = Array(matrix.vector(ofRow: row)) }
        let firstHash = firstTwo[0].hash
        XCTAssertEqual(vectors[firstHash], [0, -1.5, 0.25])
        XCTAssertEqual(vectors[pending[3].hash], [9, 9, 9])

        XCTAssertStoreError(.invalidArgument("vector for \(firstHash) has 2 dimensions, model e5-small has 3")) {
            () throws(StoreError) in try store.writeEmbeddings([(firstHash, [1, 2])], model: model)
        }
    }

    func testGarbageCollectionDropsVectorsOfUnreachableText() throws {
        let model = try store.registerModel(name: "m", revision: "1", dimension: 1)
        try store.writeEmbeddings(try store.textsWithoutEmbeddings(model: model, limit: 100).map { ($0.hash, [1]) },
                                  model: model)
        try store.recordRevision(revision("HEAD"), files: [FileRecord(path: "a.py", blobID: "a")])
        let removed = try store.collectGarbage()
        XCTAssertEqual(removed, { var r = GarbageCollection(); r.blobs = 2; r.chunks = 3; r.embeddings = 2; return r }())
        XCTAssertEqual(try store.statistics().embeddings, 2, "ping (shared with a.py) and alpha remain")
    }

    func testChunkHitsLocateScoredTextsWithFilters() throws {
        let all = try store.lexicalSearch(LexicalQuery(match: orMatch("ping", "alpha", "beta", "gamma"), limit: 50))
        let gamma = try XCTUnwrap(all.first { $0.chunk.symbol == "Gamma" })
        let alpha = try XCTUnwrap(all.first { $0.chunk.symbol == "alpha" })
        let ping = ContentHash(of: "def ping(): return 'pong'")
        let scored = [(hash: gamma.contentHash, score: 0.9), (hash: ContentHash(of: "nowhere"), score: 0.6),
                      (hash: alpha.contentHash, score: 0.5), (hash: ping, score: 0.4)]

        let hits = try store.chunkHits(forContentHashes: scored)
        XCTAssertEqual(hits.map(\.chunk.symbol), ["Gamma", "alpha", "ping", "ping"],
                       "order kept, unknown text dropped, a shared text yields each of its chunks")
        XCTAssertEqual(hits.map(\.score), [0.9, 0.5, 0.4, 0.4])
        XCTAssertEqual(hits.suffix(2).map(\.path), ["a.py", "b.py"])
        XCTAssertEqual(hits.first?.path, "copy/g.go")
        XCTAssertEqual(hits.first?.otherPaths, ["g.go"])
        XCTAssertEqual(try store.chunkHits(forContentHashes: scored, languages: [.go]).map(\.chunk.symbol), ["Gamma"])
        XCTAssertEqual(try store.chunkHits(forContentHashes: scored, pathFilter: { !$0.hasPrefix("copy/") }).first?.path,
                       "g.go")
        XCTAssertEqual(try store.chunkHits(forContentHashes: scored, limit: 3).count, 3)
    }
}
