import Foundation
import QuarryCore
import XCTest
@testable import Store

/// A revision recorded before its vectors (a first index searchable by
/// keywords while embedding) carries an exact backlog until the last vector lands.
final class BacklogTests: XCTestCase {
    private var store: IndexStore!
    private var model: ModelRecord!

    override func setUpWithError() throws {
        store = try IndexStore(path: try makeTemporaryDirectory(self) + "/index.db", mode: .create)
        try store.write(sharedTextBlobs)
        model = try store.registerModel(name: "e5-small", revision: "0.3.0", dimension: 2)
    }

    private func recordFirst(_ name: String, files: [FileRecord]) throws -> EmbeddingBacklog {
        try store.stageFiles(files, of: name)
        let backlog = try store.stagedBacklog(model: model)
        try store.recordStagedRevision(revision(name), backlog: backlog, of: model)
        return backlog
    }

    func testVectorsWrittenForTheRevisionSettleItsBacklogInTheSameTransaction() throws {
        let staged = try recordFirst("HEAD", files: [FileRecord(path: "a.py", blobID: "a"),
                                                     FileRecord(path: "b.py", blobID: "b")])
        XCTAssertEqual(staged, EmbeddingBacklog(texts: 3, missing: 3), "five chunks, three distinct texts")
        XCTAssertEqual(try store.embeddingBacklog(revision: "HEAD", model: model), staged)
        XCTAssertEqual(try store.revisionsWithBacklog(model: model), ["HEAD"])

        let pending = try store.textsWithoutEmbeddings(model: model, revision: "HEAD", limit: 2)
        try store.writeEmbeddings(pending.map { ($0.hash, [1, 0]) }, model: model, backlogOf: "HEAD")
        let partial = try XCTUnwrap(try store.embeddingBacklog(revision: "HEAD", model: model))
        XCTAssertEqual(partial.missing, 1)
        XCTAssertEqual(partial.coverage, 2.0 / 3.0, accuracy: 1e-9)

        // Rewriting a vector the revision already had is not progress.
        try store.writeEmbeddings(pending.prefix(1).map { ($0.hash, [0, 1]) }, model: model, backlogOf: "HEAD")
        XCTAssertEqual(try store.embeddingBacklog(revision: "HEAD", model: model)?.missing, 1)

        let rest = try store.textsWithoutEmbeddings(model: model, revision: "HEAD", limit: 10)
        try store.writeEmbeddings(rest.map { ($0.hash, [1, 1]) }, model: model, backlogOf: "HEAD")
        XCTAssertNil(try store.embeddingBacklog(revision: "HEAD", model: model), "no row once nothing is missing")
        XCTAssertEqual(try store.revisionsWithBacklog(model: model), [])
    }

    func testPagesFollowContentHashOrderWithoutWaitingForVectors() throws {
        try store.recordRevision(revision("HEAD"), files: [
            FileRecord(path: "a.py", blobID: "a"), FileRecord(path: "b.py", blobID: "b"),
            FileRecord(path: "g.go", blobID: "g"),
        ])
        var seen: [ContentHash] = []
        var last: ContentHash?
        while true {
            let page = try store.textsWithoutEmbeddings(model: model, revision: "HEAD", after: last, limit: 1)
            guard let item = page.last else { break }
            seen.append(item.hash)
            last = item.hash
        }
        XCTAssertEqual(seen.count, 4, "every distinct text once, though none was embedded between pages")
        XCTAssertEqual(seen, seen.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) })
        let staged = try store.textsWithoutEmbeddings(model: model, revision: "HEAD", limit: 10)
        XCTAssertEqual(Set(staged.map(\.hash)), Set(seen))
    }

    func testRecountRepairsAndReRecordingOrDeletingTheRevisionDropsTheRow() throws {
        _ = try recordFirst("HEAD", files: [FileRecord(path: "g.go", blobID: "g")])
        // Vectors written without naming the revision (another revision's run) leave the row stale …
        let all = try store.textsWithoutEmbeddings(model: model, revision: "HEAD", limit: 10)
        try store.writeEmbeddings(all.map { ($0.hash, [1, 0]) }, model: model)
        XCTAssertEqual(try store.embeddingBacklog(revision: "HEAD", model: model)?.missing, 1)
        // … until a recount.
        XCTAssertNil(try store.recountBacklog(revision: "HEAD", model: model))
        XCTAssertNil(try store.embeddingBacklog(revision: "HEAD", model: model))

        _ = try recordFirst("topic", files: [FileRecord(path: "a.py", blobID: "a")])
        XCTAssertNotNil(try store.embeddingBacklog(revision: "topic", model: model))
        // Recorded again whole (a refresh embeds before it records): the old backlog goes.
        try store.stageFiles([FileRecord(path: "g.go", blobID: "g")], of: "topic")
        try store.recordStagedRevision(revision("topic"), backlog: nil, of: model)
        XCTAssertNil(try store.embeddingBacklog(revision: "topic", model: model))

        _ = try recordFirst("gone", files: [FileRecord(path: "b.py", blobID: "b")])
        try store.removeRevision(named: "gone")
        XCTAssertEqual(try store.revisionsWithBacklog(model: model), [], "rows follow their revision")
    }
}
