// Unigram segmentation exactly as Hugging Face `tokenizers` computes it.

/// Unigram vocabulary with an allocation-free prefix lookup (incremental FNV-1a hash
/// over an open-addressing table) and HF's Viterbi: Double scores, the first start
/// wins ties, unknown characters cost `min score - 10` and consecutive ones fuse.
struct UnigramModel: Sendable {
    private let blob: [UInt8]
    private let starts: [UInt32]
    /// Scores as the model stores them (fp32); widened to Double exactly where summed.
    private let scores: [Float]
    /// Open addressing, linear probing: the high 32 bits of a piece's hash over its id, so a
    /// probe compares bytes only when the hashes agree; `emptySlot` where no piece is.
    private let table: [UInt64]
    private let mask: Int
    private let maxPieceBytes: Int
    private let unknownID: Int32
    private let unknownScore: Double

    /// Piece `i` of `pieces` gets id `i`.
    init(pieces: PieceTable, unknownID: Int32) {
        let blob = pieces.bytes, starts = pieces.starts, count = pieces.count
        var longest = 0
        for id in 0..<count { longest = max(longest, Int(starts[id + 1] - starts[id])) }
        var size = 1
        while size < count * 2 { size <<= 1 }
        var table = [UInt64](repeating: Self.emptySlot, count: size)
        blob.withUnsafeBufferPointer { bytes in
            starts.withUnsafeBufferPointer { starts in
                table.withUnsafeMutableBufferPointer { table in
                    // Later duplicates never replace earlier ids, as in HF's token_to_ids map.
                    for id in (0..<count).reversed() {
                        let piece = Self.piece(id, bytes, starts)
                        let hash = fnv1a(piece)
                        var slot = Int(truncatingIfNeeded: hash) & (size - 1)
                        while table[slot] != Self.emptySlot {
                            let other = Int(truncatingIfNeeded: UInt32(truncatingIfNeeded: table[slot]))
                            if Self.sameTag(table[slot], hash), Self.equal(Self.piece(other, bytes, starts), piece) { break }
                            slot = (slot + 1) & (size - 1)
                        }
                        table[slot] = Self.entry(id: id, hash: hash)
                    }
                }
            }
        }
        self.init(parts: Parts(bytes: blob, starts: starts, scores: pieces.scores, table: table,
                               maxPieceBytes: longest, unknownScore: Double(pieces.scores.min() ?? 0) - 10),
                  unknownID: unknownID)
    }

    /// Everything the model is made of, so a cache file can store a built model and
    /// restore it without hashing 250k pieces again (see `TokenizerCacheFile`).
    struct Parts: Sendable {
        var bytes: [UInt8]
        var starts: [UInt32]
        var scores: [Float]
        /// Power-of-two slot count; each slot `emptySlot` or a tagged id below `scores.count`.
        var table: [UInt64]
        var maxPieceBytes: Int
        var unknownScore: Double
    }

    /// A model from parts that `parts` of a model returned (callers check untrusted ones
    /// with `Parts.isConsistent` first).
    init(parts: Parts, unknownID: Int32) {
        blob = parts.bytes
        starts = parts.starts
        scores = parts.scores
        table = parts.table
        mask = parts.table.count - 1
        maxPieceBytes = parts.maxPieceBytes
        self.unknownID = unknownID
        unknownScore = parts.unknownScore
    }

    var parts: Parts {
        Parts(bytes: blob, starts: starts, scores: scores, table: table, maxPieceBytes: maxPieceBytes,
              unknownScore: unknownScore)
    }

    static let emptySlot = UInt64.max

    @inline(__always)
    private static func entry(id: Int, hash: UInt64) -> UInt64 {
        (hash & 0xFFFF_FFFF_0000_0000) | UInt64(UInt32(truncatingIfNeeded: id))
    }

    @inline(__always)
    private static func sameTag(_ entry: UInt64, _ hash: UInt64) -> Bool {
        (entry ^ hash) >> 32 == 0
    }

    @inline(__always)
    private static func piece(_ id: Int, _ blob: UnsafeBufferPointer<UInt8>,
                              _ starts: UnsafeBufferPointer<UInt32>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: blob[Int(starts[id])..<Int(starts[id + 1])])
    }

    private static func equal(_ piece: UnsafeBufferPointer<UInt8>, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        guard piece.count == key.count else { return false }
        for index in 0..<key.count where piece[index] != key[index] { return false }
        return true
    }

    private func lookup(_ key: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Int? {
        blob.withUnsafeBufferPointer { bytes in
            starts.withUnsafeBufferPointer { starts in
                var slot = Int(truncatingIfNeeded: hash) & mask
                while true {
                    let entry = table[slot]
                    if entry == Self.emptySlot { return nil }
                    let id = Int(truncatingIfNeeded: UInt32(truncatingIfNeeded: entry))
                    if Self.sameTag(entry, hash), Self.equal(Self.piece(id, bytes, starts), key) { return id }
                    slot = (slot + 1) & mask
                }
            }
        }
    }

    /// Appends the ids of one pre-tokenized word (e.g. "▁hello").
    func tokenize(_ word: UnsafeBufferPointer<UInt8>, into output: inout [Int32], scratch: inout UnigramScratch) {
        let size = word.count
        guard size > 0 else { return }
        scratch.reset(size)
        var start = 0
        while start < size {
            let characterLength = decodeUTF8(word, at: start).1
            let scoreHere = scratch.score[start]
            var hasSingleCharacter = false
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            var end = start
            let limit = min(size, start + maxPieceBytes)
            while end < limit {
                hash = (hash ^ UInt64(word[end])) &* 0x0000_0100_0000_01b3
                end += 1
                // Pieces are whole UTF-8 sequences, so only probe at character boundaries.
                if end < size, word[end] & 0xC0 == 0x80 { continue }
                guard let id = lookup(UnsafeBufferPointer(rebasing: word[start..<end]), hash: hash) else { continue }
                let candidate = Double(scores[id]) + scoreHere
                if scratch.from[end] < 0 || candidate > scratch.score[end] {
                    scratch.score[end] = candidate
                    scratch.from[end] = start
                    scratch.id[end] = Int32(id)
                }
                if end - start == characterLength { hasSingleCharacter = true }
            }
            if !hasSingleCharacter {
                let end = start + characterLength
                let candidate = unknownScore + scoreHere
                if scratch.from[end] < 0 || candidate > scratch.score[end] {
                    scratch.score[end] = candidate
                    scratch.from[end] = start
                    scratch.id[end] = unknownID
                }
            }
            start += characterLength
        }
        let first = output.count
        var end = size
        var previousUnknown = false
        while end > 0 {
            let id = scratch.id[end]
            if !(id == unknownID && previousUnknown) { output.append(id) }
            previousUnknown = id == unknownID
            end = scratch.from[end]
        }
        output[first...].reverse()
    }
}

/// A vocabulary's pieces as one byte array plus offsets, so a 250k-piece model
/// loads without a String (and its allocation) per piece.
struct PieceTable: Sendable {
    /// UTF-8 of every piece, back to back.
    private(set) var bytes: [UInt8] = []
    /// Piece `i` is `bytes[starts[i]..<starts[i + 1]]` (32-bit: half the memory to fault in;
    /// `SentencePieceModelContents` rejects files large enough to overflow it, repairs included).
    private(set) var starts: [UInt32] = [0]
    private(set) var scores: [Float] = []

    var count: Int { scores.count }

    mutating func reserveCapacity(pieces: Int, bytes byteCount: Int) {
        bytes.reserveCapacity(byteCount)
        starts.reserveCapacity(pieces + 1)
        scores.reserveCapacity(pieces)
    }

    mutating func append<Text: Sequence<UInt8>>(_ text: Text, score: Float) {
        bytes.append(contentsOf: text)
        starts.append(UInt32(truncatingIfNeeded: bytes.count))
        scores.append(score)
    }

    /// The bytes of piece `index`.
    func bytes(at index: Int) -> ArraySlice<UInt8> {
        bytes[Int(starts[index])..<Int(starts[index + 1])]
    }

    /// Replaces each malformed UTF-8 sequence in the pieces by U+FFFD, as decoding them
    /// into Strings would. Pieces come straight from a model file's bytes, which in practice
    /// are always well-formed; this proves it in one pass over the whole table.
    mutating func replaceMalformedUTF8() {
        guard !allPiecesWellFormed else { return }
        var repaired = PieceTable()
        repaired.reserveCapacity(pieces: count, bytes: bytes.count)
        for index in 0..<count {
            repaired.append(String(decoding: bytes(at: index), as: UTF8.self).utf8, score: scores[index])
        }
        self = repaired
    }

    /// Whether every piece is well-formed UTF-8. The concatenation is checked instead of each
    /// piece: when it is well-formed and no piece starts with a continuation byte, every piece
    /// boundary is a character boundary, so each piece is well-formed on its own.
    private var allPiecesWellFormed: Bool {
        for index in 0..<count where starts[index] < starts[index + 1] && bytes[Int(starts[index])] & 0xC0 == 0x80 {
            return false
        }
        return bytes.withUnsafeBufferPointer { all in
            // Four runs of whole pieces, checked in lockstep.
            var cuts = [0]
            for quarter in 1..<4 {
                let target = all.count * quarter / 4
                var low = 0, high = count
                while low < high {
                    let middle = (low + high) / 2
                    if Int(starts[middle]) < target { low = middle + 1 } else { high = middle }
                }
                cuts.append(max(cuts[cuts.count - 1], Int(starts[low])))
            }
            cuts.append(all.count)
            let runs = (0..<4).map { UnsafeBufferPointer(rebasing: all[cuts[$0]..<cuts[$0 + 1]]) }
            return areWellFormedUTF8(runs[0], runs[1], runs[2], runs[3])
        }
    }

    /// The text of piece `index` (tests and diagnostics; loading never needs it).
    func text(at index: Int) -> String {
        String(decoding: bytes(at: index), as: UTF8.self)
    }
}

/// Per-call Viterbi buffers, reused across the words of one text.
struct UnigramScratch {
    var score: [Double] = []
    var from: [Int] = []
    var id: [Int32] = []

    mutating func reset(_ size: Int) {
        score.removeAll(keepingCapacity: true)
        from.removeAll(keepingCapacity: true)
        id.removeAll(keepingCapacity: true)
        score.append(contentsOf: repeatElement(0, count: size + 1))
        from.append(contentsOf: repeatElement(-1, count: size + 1))
        id.append(contentsOf: repeatElement(-1, count: size + 1))
    }
}

@inline(__always)
func fnv1a(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
    return hash
}
