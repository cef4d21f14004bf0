import Dispatch
import Foundation

/// A fixed set of per-thread workers (e.g. one tree-sitter parser each) and
/// an order-preserving parallel map over them.
package final class WorkerPool<Worker>: @unchecked Sendable {
    private var workers: [Worker]

    package init(count: Int, make: () -> Worker) {
        workers = (0..<max(1, count)).map { _ in make() }
    }

    /// Maps `items` with `transform`, spreading contiguous slices across the
    /// workers; the result keeps the input order.
    package func map<Item, Result>(_ items: [Item], _ transform: (Worker, Item) -> Result) -> [Result] {
        guard !items.isEmpty else { return [] }
        let lanes = min(workers.count, items.count)
        var results = [Result?](repeating: nil, count: items.count)
        results.withUnsafeMutableBufferPointer { output in
            let output = UnsafeSendableBox(output)
            workers.withUnsafeMutableBufferPointer { pool in
                let pool = UnsafeSendableBox(pool)
                DispatchQueue.concurrentPerform(iterations: lanes) { lane in
                    let worker = pool.value[lane]
                    // Interleaved assignment balances lanes when item sizes vary along the list.
                    for index in stride(from: lane, to: items.count, by: lanes) {
                        output.value[index] = transform(worker, items[index])
                    }
                }
            }
        }
        return results.map { $0! }
    }
}

/// Carries a buffer pointer into a concurrent closure; each lane writes disjoint indices.
package struct UnsafeSendableBox<Value>: @unchecked Sendable {
    package let value: Value
    package init(_ value: Value) { self.value = value }
}
