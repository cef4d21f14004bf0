import Foundation
import Store
import XCTest

extension XCTestCase {
    /// A new, empty index in a directory of its own, removed when the test ends.
    func scratchStore(_ label: String) throws -> IndexStore {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("quarry-\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: directory) }
        return try IndexStore(path: directory + "/index.db", mode: .create)
    }

    /// Writes `blobs` to `store` as revision HEAD, every blob at its path.
    func writeHead(_ blobs: [BlobRecord], to store: IndexStore) throws {
        try store.write(blobs)
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        try store.recordRevision(RevisionRecord(name: "HEAD", commitID: "c", treeID: "t", commitTime: date,
                                                author: "a", subject: "s", indexedAt: date),
                                 files: blobs.map { FileRecord(path: $0.path, blobID: $0.id) })
    }
}
