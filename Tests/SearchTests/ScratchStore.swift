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
}
