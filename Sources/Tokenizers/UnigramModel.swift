// Unigram segmentation exactly as Hugging Face `tokenizers` computes it.

/// Unigram vocabulary with an allocation-free prefix lookup (incremental FNV-1a hash
/// over an open-addressing table) and HF's Viterbi: Double scores, the first start
/// wins ties, unknown characters cost `min score - 10` and consecutive ones fuse.
struct UnigramModel: Sendable {
    private let blob: [UInt8]
    private let starts: [Int]
    private let scores: [Double]
    private let table: [Int32]
    private let mask: Int
    private let maxPieceBytes: Int
    private let unknownID: Int32
    private let unknownScore: Double

    /// `pieces[i]` gets id `i`.
    init(pieces: [(text: String, score: Double)], unknownID: Int32) {
        var blob: [UInt8] = []
        var starts: [Int] = []
        starts.reserveCapacity(pieces.count + 1)
        var longest = 0
        for piece in pieces {
            starts.append(blob.count)
            blob.append(contentsOf: piece.text.utf8)
            longest = max(longest, piece.text.utf8.count)
        }
        starts.append(blob.count)
        var size = 1
        while size < pieces.count * 2 { size <<= 1 }
        var table = [Int32](repeating: -1, count: size)
        blob.withUnsafeBufferPointer { bytes in
            // Later duplicates never replace earlier ids, as in HF's token_to_ids map.
            for id in pieces.indices.reversed() {
                let piece = UnsafeBufferPointer(rebasing: bytes[starts[id]..<starts[id + 1]])
                var slot = Int(truncatingIfNeeded: fnv1a(piece)) & (size - 1)
                while table[slot] >= 0,
                      !Self.equal(bytes, starts[Int(table[slot])], starts[Int(table[slot]) + 1], piece) {
                    slot = (slot + 1) & (size - 1)
                }
                table[slot] = Int32(id)
            }
        }
        self.blob = blob
        self.starts = starts
        self.scores = pieces.map(\.score)
        self.table = table
        mask = size - 1
        maxPieceBytes = longest
        self.unknownID = unknownID
        unknownScore = (pieces.map(\.score).min() ?? 0) - 10
    }

    private static func equal(_ blob: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int,
                              _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        guard end - start == key.count else { return false }
        for index in 0..<key.count where blob[start + index] != key[index] { return false }
        return true
    }

    private func lookup(_ key: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Int? {
        blob.withUnsafeBufferPointer { bytes in
            var slot = Int(truncatingIfNeeded: hash) & mask
            while true {
                let id = table[slot]
                if id < 0 { return nil }
                if Self.equal(bytes, starts[Int(id)], starts[Int(id) + 1], key) { return Int(id) }
                slot = (slot + 1) & mask
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
                let candidate = scores[id] + scoreHere
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
