// SentencePiece's precompiled normalisation rules, applied the way Hugging Face
// `tokenizers` (Precompiled normalizer) applies them.

/// A precompiled charsmap: a darts-clone double-array trie from UTF-8 sequences to
/// offsets of NUL-terminated replacements.
struct PrecompiledCharsmap: Sendable {
    private let units: [UInt32]
    private let replacements: [UInt8]
    /// Replacement for each single ASCII byte (nil: unchanged), the common case.
    private var asciiReplacements: [[UInt8]?] = []

    init(_ blob: [UInt8]) throws(TokenizerError) {
        guard blob.count >= 4 else { throw .invalidModel("precompiled charsmap too short") }
        let trieSize = Int(UInt32(blob[0]) | UInt32(blob[1]) << 8 | UInt32(blob[2]) << 16 | UInt32(blob[3]) << 24)
        guard trieSize % 4 == 0, 4 + trieSize <= blob.count, trieSize >= 4 else {
            throw .invalidModel("precompiled charsmap trie size \(trieSize) exceeds \(blob.count) bytes")
        }
        var units = [UInt32](repeating: 0, count: trieSize / 4)
        for index in units.indices {
            let base = 4 + index * 4
            units[index] = UInt32(blob[base]) | UInt32(blob[base + 1]) << 8
                | UInt32(blob[base + 2]) << 16 | UInt32(blob[base + 3]) << 24
        }
        self.units = units
        replacements = Array(blob[(4 + trieSize)...])
        asciiReplacements = (0..<128).map { byte in
            [UInt8(byte)].withUnsafeBufferPointer { transform($0).map(Array.init) }
        }
    }

    /// Replacement of the shortest trie key that prefixes `chunk`. Like HF's
    /// `Precompiled::transform`, this may cover only part of the chunk, and the rest of
    /// the chunk is then dropped.
    func transform(_ chunk: UnsafeBufferPointer<UInt8>) -> ArraySlice<UInt8>? {
        guard let offset = firstPrefixValue(chunk), offset < replacements.count else { return nil }
        var end = offset
        while end < replacements.count, replacements[end] != 0 { end += 1 }
        return replacements[offset..<end]
    }

    /// darts-clone `commonPrefixSearch`, stopping at the first (shortest) hit.
    private func firstPrefixValue(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
        func offset(_ unit: UInt32) -> Int { Int((unit >> 10) << ((unit & (1 << 9)) >> 6)) }
        var position = offset(units[0])
        for byte in key {
            position ^= Int(byte)
            guard position < units.count else { return nil }
            let unit = units[position]
            guard unit & ((1 << 31) | 0xFF) == UInt32(byte) else { return nil }
            position ^= offset(unit)
            guard position < units.count else { return nil }
            if (unit >> 8) & 1 == 1 { return Int(units[position] & ((1 << 31) - 1)) }
        }
        return nil
    }

    /// Normalises grapheme by grapheme: a cluster under 6 bytes is looked up whole, else
    /// (or when that fails) scalar by scalar.
    func normalize(_ text: Substring, into output: inout [UInt8]) {
        output.reserveCapacity(output.count + text.utf8.count)
        for character in text {
            let utf8 = character.utf8
            if utf8.count == 1, let byte = utf8.first, byte < 0x80 {
                if let replacement = asciiReplacements[Int(byte)] {
                    output.append(contentsOf: replacement)
                } else {
                    output.append(byte)
                }
                continue
            }
            var cluster = String(character)
            cluster.withUTF8 { normalizeCluster($0, into: &output) }
        }
    }

    private func normalizeCluster(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        if bytes.count < 6, let replacement = transform(bytes) {
            output.append(contentsOf: replacement)
            return
        }
        var index = 0
        while index < bytes.count {
            let (_, length) = decodeUTF8(bytes, at: index)
            let scalar = UnsafeBufferPointer(rebasing: bytes[index..<(index + length)])
            if let replacement = transform(scalar) {
                output.append(contentsOf: replacement)
            } else {
                output.append(contentsOf: scalar)
            }
            index += length
        }
    }
}
