// Byte-pair encoding with Hugging Face `tokenizers` semantics.
import Foundation

/// A byte string used as a dictionary key; hashes its bytes in one call and, unlike
/// `String`, never treats canonically equivalent text as equal.
struct ByteKey: Hashable, Sendable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }
    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = Array(bytes) }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

/// The BPE model of a tokenizer.json: vocabulary and merges keyed by raw bytes (for
/// byte-level models the GPT-2 character mapping is undone at load time).
struct BPEModel: Sendable {
    struct Options: Sendable {
        var byteLevel = false
        var byteFallback = false
        var fuseUnknown = false
        var ignoreMerges = false
        var unknownID: Int32?
    }

    let vocabulary: [ByteKey: Int32]
    /// `(left << 32 | right)` -> `(rank << 32 | merged id)`.
    private let merges: [UInt64: UInt64]
    /// Id of each single byte (byte-level symbols) or of `<0xXX>` (byte fallback); -1 if absent.
    private let byteIDs: [Int32]
    /// Ids of single-scalar tokens for character-level (non byte-level) models.
    private let scalarIDs: [UInt32: Int32]
    let options: Options
    private let cache = IDCache()

    init(vocabulary: [ByteKey: Int32], merges: [(ByteKey, ByteKey)], options: Options) {
        self.vocabulary = vocabulary
        self.options = options
        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(merges.count)
        for (rank, (left, right)) in merges.enumerated() {
            guard let leftID = vocabulary[left], let rightID = vocabulary[right],
                  let merged = vocabulary[ByteKey(left.bytes + right.bytes)] else { continue }
            let key = UInt64(UInt32(bitPattern: leftID)) << 32 | UInt64(UInt32(bitPattern: rightID))
            if table[key] == nil {
                table[key] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merged))
            }
        }
        self.merges = table
        byteIDs = (0..<256).map { byte in
            if options.byteLevel { return vocabulary[ByteKey([UInt8(byte)])] ?? -1 }
            return vocabulary[ByteKey(Array(String(format: "<0x%02X>", byte).utf8))] ?? -1
        }
        var scalars: [UInt32: Int32] = [:]
        if !options.byteLevel {
            for (key, id) in vocabulary {
                let text = String(decoding: key.bytes, as: UTF8.self)
                if text.unicodeScalars.count == 1, let scalar = text.unicodeScalars.first,
                   Array(text.utf8) == key.bytes {
                    scalars[scalar.value] = id
                }
            }
        }
        scalarIDs = scalars
    }

    /// Appends the ids of one pre-tokenized word.
    func tokenize(_ word: UnsafeBufferPointer<UInt8>, into output: inout [Int32], scratch: inout BPEScratch) {
        guard !word.isEmpty else { return }
        let cacheable = word.count <= 64
        var key: ByteKey?
        if cacheable {
            let wordKey = ByteKey(word)
            if let hit = cache.lookup(wordKey) {
                output.append(contentsOf: hit)
                return
            }
            key = wordKey
        }
        let start = output.count
        if options.ignoreMerges, let id = vocabulary[key ?? ByteKey(word)] {
            output.append(id)
        } else {
            initialSymbols(word, scratch: &scratch)
            merge(scratch: &scratch)
            var index = 0
            while index >= 0 && index < scratch.ids.count {
                output.append(scratch.ids[index])
                index = scratch.next[index]
            }
        }
        if let key { cache.store(key, Array(output[start...])) }
    }

    /// One symbol per byte (byte-level) or per scalar, with byte fallback and unknowns.
    private func initialSymbols(_ word: UnsafeBufferPointer<UInt8>, scratch: inout BPEScratch) {
        scratch.reset()
        if options.byteLevel {
            for byte in word {
                let id = byteIDs[Int(byte)]
                if id >= 0 { scratch.append(id) } else if let unknown = options.unknownID { appendUnknown(unknown, &scratch) }
            }
            return
        }
        var index = 0
        while index < word.count {
            let (scalar, length) = decodeUTF8(word, at: index)
            defer { index += length }
            if let id = scalarIDs[scalar.value] {
                scratch.append(id)
                scratch.lastWasUnknown = false
                continue
            }
            if options.byteFallback {
                let fallback = (index..<(index + length)).map { byteIDs[Int(word[$0])] }
                if !fallback.contains(-1) {
                    for id in fallback { scratch.append(id) }
                    scratch.lastWasUnknown = false
                    continue
                }
            }
            if let unknown = options.unknownID { appendUnknown(unknown, &scratch) }
        }
    }

    private func appendUnknown(_ id: Int32, _ scratch: inout BPEScratch) {
        if !(options.fuseUnknown && scratch.lastWasUnknown) { scratch.append(id) }
        scratch.lastWasUnknown = true
    }

    private func rank(_ left: Int32, _ right: Int32) -> UInt64? {
        merges[UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))]
    }

    /// Applies merges lowest rank first (leftmost on ties) with a binary heap of
    /// candidate pairs; stale entries are skipped when popped.
    private func merge(scratch: inout BPEScratch) {
        let count = scratch.ids.count
        guard count > 1 else { return }
        scratch.heap.removeAll(keepingCapacity: true)
        for position in 0..<(count - 1) {
            if let found = rank(scratch.ids[position], scratch.ids[position + 1]) {
                scratch.push((found & 0xFFFF_FFFF_0000_0000) | UInt64(position))
            }
        }
        while let top = scratch.pop() {
            let position = Int(top & 0xFFFF_FFFF)
            let topRank = top >> 32
            let right = scratch.next[position]
            guard scratch.alive[position], right >= 0,
                  let found = rank(scratch.ids[position], scratch.ids[right]), found >> 32 == topRank else { continue }
            scratch.ids[position] = Int32(truncatingIfNeeded: found & 0xFFFF_FFFF)
            scratch.alive[right] = false
            let after = scratch.next[right]
            scratch.next[position] = after
            if after >= 0 { scratch.previous[after] = position }
            let before = scratch.previous[position]
            if before >= 0, let candidate = rank(scratch.ids[before], scratch.ids[position]) {
                scratch.push((candidate & 0xFFFF_FFFF_0000_0000) | UInt64(before))
            }
            if after >= 0, let candidate = rank(scratch.ids[position], scratch.ids[after]) {
                scratch.push((candidate & 0xFFFF_FFFF_0000_0000) | UInt64(position))
            }
        }
    }
}

/// Reusable buffers for one encode call: a doubly linked list of symbols and a min-heap
/// of `(rank << 32 | position)`.
struct BPEScratch {
    var ids: [Int32] = []
    var previous: [Int] = []
    var next: [Int] = []
    var alive: [Bool] = []
    var heap: [UInt64] = []
    var lastWasUnknown = false

    mutating func reset() {
        ids.removeAll(keepingCapacity: true)
        previous.removeAll(keepingCapacity: true)
        next.removeAll(keepingCapacity: true)
        alive.removeAll(keepingCapacity: true)
        lastWasUnknown = false
    }

    mutating func append(_ id: Int32) {
        let index = ids.count
        if index > 0 { next[index - 1] = index }
        ids.append(id)
        previous.append(index - 1)
        next.append(-1)
        alive.append(true)
    }

    mutating func push(_ value: UInt64) {
        heap.append(value)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child] < heap[parent] else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> UInt64? {
        guard let first = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < heap.count else { break }
                let right = left + 1
                let smaller = right < heap.count && heap[right] < heap[left] ? right : left
                guard heap[smaller] < heap[parent] else { break }
                heap.swapAt(smaller, parent)
                parent = smaller
            }
        }
        return first
    }
}

/// Thread-safe memo of word -> ids, bounded by clearing when full.
final class IDCache: @unchecked Sendable {
    // @unchecked: every access to `entries` holds `lock`.
    private let lock = NSLock()
    private var entries: [ByteKey: [Int32]] = [:]
    private let capacity = 100_000

    func lookup(_ key: ByteKey) -> [Int32]? {
        lock.lock()
        defer { lock.unlock() }
        return entries[key]
    }

    func store(_ key: ByteKey, _ ids: [Int32]) {
        lock.lock()
        defer { lock.unlock() }
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[key] = ids
    }
}
