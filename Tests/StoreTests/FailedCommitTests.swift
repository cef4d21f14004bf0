import CSQLite
import Foundation
import XCTest
@testable import Store

/// A write whose commit fails (a disk error at the last moment) throws, and
/// leaves nothing the caller could go on with. Found by fault injection
/// (issue 16): registering a model returned the id of a row whose commit had
/// failed, so the run carried on and failed later on a foreign key instead.
final class FailedCommitTests: XCTestCase {
    func testRegisteringAModelThrowsWhenItsCommitFails() throws {
        let store = try IndexStore(path: try makeTemporaryDirectory(self) + "/index.db", mode: .create)
        // A commit hook that answers non-zero turns the commit into a rollback, as a failed write would.
        sqlite3_commit_hook(store.db.handle, { _ in 1 }, nil)
        XCTAssertThrowsError(try store.registerModel(name: "e5-small", revision: "0.3.0", dimension: 3))
        sqlite3_commit_hook(store.db.handle, nil, nil)
        XCTAssertEqual(try store.models(), [], "no model row survives the failed commit")
        let model = try store.registerModel(name: "e5-small", revision: "0.3.0", dimension: 3)
        XCTAssertEqual(try store.models(), [model])
    }
}
