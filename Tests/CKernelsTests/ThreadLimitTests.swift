import CKernels
import Foundation
import XCTest

/// `qk_set_thread_limit` caps the calling thread only: a search embedding its
/// query alone must not take the pool away from another thread's work.
final class ThreadLimitTests: XCTestCase {
    func testTheLimitHoldsForItsThreadAlone() {
        qk_set_threads(4)
        defer { qk_set_threads(0) }
        XCTAssertEqual(qk_get_threads(), 4)
        qk_set_thread_limit(1)
        XCTAssertEqual(qk_get_threads(), 1)
        let other = Observed()
        let done = DispatchSemaphore(value: 0)
        Thread {
            other.threads = qk_get_threads()
            done.signal()
        }.start()
        done.wait()
        XCTAssertEqual(other.threads, 4, "another thread keeps the pool's count")
        qk_set_thread_limit(8)
        XCTAssertEqual(qk_get_threads(), 4, "a limit above the pool's count changes nothing")
        qk_set_thread_limit(0)
        XCTAssertEqual(qk_get_threads(), 4)
    }
}

/// Written by one thread before a semaphore signal, read after the wait.
private final class Observed: @unchecked Sendable {
    var threads: Int32 = 0
}
