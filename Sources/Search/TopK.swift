/// The `capacity` best (score, index) pairs seen so far: a bounded min-heap
/// whose root is the worst kept pair, so each offer is O(log capacity) and a
/// scan of n scores is O(n log k) without sorting them all.
///
/// Order: higher score first; equal scores keep the lower index first, so
/// results never depend on heap internals.
struct TopK {
    private(set) var capacity: Int
    private var scores: [Float] = []
    private var indices: [Int32] = []

    init(capacity: Int) {
        self.capacity = max(0, capacity)
        scores.reserveCapacity(self.capacity)
        indices.reserveCapacity(self.capacity)
    }

    var count: Int { scores.count }

    /// Whether (a, ia) ranks below (b, ib).
    @inline(__always)
    private static func worse(_ a: Float, _ ia: Int32, than b: Float, _ ib: Int32) -> Bool {
        a < b || (a == b && ia > ib)
    }

    /// Keeps (score, index) when it ranks among the best `capacity` offered so far.
    @inline(__always)
    mutating func offer(_ score: Float, _ index: Int32) {
        // A NaN would compare neither better nor worse than anything and break the heap.
        guard !score.isNaN else { return }
        if scores.count < capacity {
            scores.append(score)
            indices.append(index)
            siftUp(scores.count - 1)
        } else if capacity > 0, Self.worse(scores[0], indices[0], than: score, index) {
            scores[0] = score
            indices[0] = index
            siftDown(0)
        }
    }

    /// The kept pairs, best first.
    func sorted() -> [(score: Float, index: Int32)] {
        zip(scores, indices).map { (score: $0.0, index: $0.1) }.sorted { a, b in
            Self.worse(b.score, b.index, than: a.score, a.index)
        }
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.worse(scores[child], indices[child], than: scores[parent], indices[parent]) else { return }
            scores.swapAt(child, parent)
            indices.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        let n = scores.count
        while true {
            let left = 2 * parent + 1
            guard left < n else { return }
            var worst = left
            let right = left + 1
            if right < n, Self.worse(scores[right], indices[right], than: scores[left], indices[left]) { worst = right }
            guard Self.worse(scores[worst], indices[worst], than: scores[parent], indices[parent]) else { return }
            scores.swapAt(worst, parent)
            indices.swapAt(worst, parent)
            parent = worst
        }
    }
}
