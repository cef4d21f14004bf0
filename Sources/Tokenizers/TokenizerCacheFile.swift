// A built SentencePiece vocabulary kept next to its model, so a one-shot search
// reads ~9 MB of arrays instead of parsing the ModelProto and hashing 250k pieces.
#if canImport(Glibc)
import Glibc
private let systemRead = Glibc.read
#elseif canImport(Darwin)
import Darwin
private let systemRead = Darwin.read
#endif
import Foundation

/// The cache file: a header of 16 little-endian words, then the unigram hash table,
/// piece offsets, scores, piece bytes and charsmap. It is only ever an optimisation:
/// any mismatch with the model (size, mtime, inode, sampled bytes), a wrong length or
/// checksum, or an inconsistent table makes `read` return nil and the caller rebuilds.
public enum TokenizerCacheFile {
    /// "QRYTOKC1", then the layout version.
    private static let magic: UInt64 = 0x3143_4B4F_5459_5251
    private static let version: UInt64 = 1
    private static let headerWords = 16
    /// Appended to the model file's name to name its cache.
    public static let suffix = ".quarry-cache"

    /// What identifies the model file a cache was built from.
    struct SourceIdentity: Equatable {
        var size: UInt64
        var modifiedSeconds: UInt64
        var modifiedNanoseconds: UInt64
        var inode: UInt64
        /// `sampleHash(of:)` of the file's bytes.
        var sample: UInt64 = 0

        init?(path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            size = UInt64(info.st_size)
            modifiedSeconds = UInt64(bitPattern: Int64(info.st_mtim.tv_sec))
            modifiedNanoseconds = UInt64(bitPattern: Int64(info.st_mtim.tv_nsec))
            inode = UInt64(info.st_ino)
        }
    }

    /// FNV-1a over the first and last 64 KB: catches a rewrite that kept size and mtime,
    /// for a fraction of a millisecond.
    static func sampleHash(of data: Data) -> UInt64 {
        data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            let window = 1 << 16
            let head = UnsafeBufferPointer(rebasing: bytes[0..<min(window, bytes.count)])
            let tail = UnsafeBufferPointer(rebasing: bytes[max(0, bytes.count - window)...])
            return fnv1a(head) ^ (fnv1a(tail) &* 31)
        }
    }

    /// The vocabulary stored at `path` for `source`, or nil when absent, stale or damaged.
    static func read(_ path: String, source: SourceIdentity) -> SentencePieceTokenizer.Vocabulary? {
        guard 1.littleEndian == 1 else { return nil }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, let header = readArray(fd, UInt64.self, count: headerWords),
              header[0] == magic, header[1] == version,
              Array(header[2...6]) == [source.size, source.modifiedSeconds, source.modifiedNanoseconds,
                                       source.inode, source.sample],
              let counts = Counts(header), UInt64(info.st_size) == counts.fileSize else { return nil }
        guard let table = readArray(fd, UInt64.self, count: counts.slots),
              let starts = readArray(fd, UInt32.self, count: counts.pieces + 1),
              let scores = readArray(fd, Float.self, count: counts.pieces),
              let bytes = readArray(fd, UInt8.self, count: counts.bytes),
              let charsmap = readArray(fd, UInt8.self, count: counts.charsmap) else { return nil }
        let parts = UnigramModel.Parts(bytes: bytes, starts: starts, scores: scores, table: table,
                                       maxPieceBytes: Int(header[11]),
                                       unknownScore: Double(bitPattern: header[12]))
        guard checksum(parts, charsmap) == header[14], parts.isConsistent else { return nil }
        return SentencePieceTokenizer.Vocabulary(pieceCount: Int(header[7]), unigram: parts,
                                                 precompiledCharsmap: charsmap)
    }

    /// Writes `vocabulary` to `path` atomically (temporary file, then rename). Failure
    /// (a read-only model directory, a full disk) is ignored: the cache is never required.
    static func write(_ vocabulary: SentencePieceTokenizer.Vocabulary, source: SourceIdentity, to path: String) {
        guard 1.littleEndian == 1 else { return }
        let parts = vocabulary.unigram
        var header = [UInt64](repeating: 0, count: headerWords)
        header[0] = magic
        header[1] = version
        header[2...6] = [source.size, source.modifiedSeconds, source.modifiedNanoseconds, source.inode, source.sample]
        header[7] = UInt64(vocabulary.pieceCount)
        header[8] = UInt64(parts.scores.count)
        header[9] = UInt64(parts.bytes.count)
        header[10] = UInt64(parts.table.count)
        header[11] = UInt64(parts.maxPieceBytes)
        header[12] = parts.unknownScore.bitPattern
        header[13] = UInt64(vocabulary.precompiledCharsmap.count)
        header[14] = checksum(parts, vocabulary.precompiledCharsmap)
        var data = Data()
        for section in [bytesOf(header), bytesOf(parts.table), bytesOf(parts.starts), bytesOf(parts.scores),
                        parts.bytes, vocabulary.precompiledCharsmap] {
            data.append(contentsOf: section)
        }
        try? data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Section sizes from a header, nil when they are implausible.
    private struct Counts {
        var pieces: Int, bytes: Int, slots: Int, charsmap: Int

        init?(_ header: [UInt64]) {
            // Bounds far above any real vocabulary, so the arithmetic below cannot overflow.
            guard header[8] < 1 << 28, header[9] < 1 << 32, header[10] < 1 << 30, header[13] < 1 << 32 else {
                return nil
            }
            pieces = Int(header[8])
            bytes = Int(header[9])
            slots = Int(header[10])
            charsmap = Int(header[13])
        }

        var fileSize: UInt64 {
            UInt64(TokenizerCacheFile.headerWords * 8 + slots * 8 + (pieces + 1) * 4 + pieces * 4 + bytes + charsmap)
        }
    }

    private static func bytesOf<Element>(_ array: [Element]) -> [UInt8] {
        array.withUnsafeBytes { Array($0) }
    }

    /// `count` elements read from `fd` straight into a new array.
    private static func readArray<Element>(_ fd: Int32, _ type: Element.Type, count: Int) -> [Element]? {
        var complete = true
        let array = [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            initialized = count
            guard let base = raw.baseAddress else { return }
            var done = 0
            while done < raw.count {
                let got = systemRead(fd, base + done, raw.count - done)
                if got <= 0 {
                    complete = false
                    break
                }
                done += got
            }
            // Trivial element types: zero-filling the rest keeps a short read harmless.
            if !complete { memset(base + done, 0, raw.count - done) }
        }
        return complete ? array : nil
    }

    /// A 64-bit hash over every section, four lanes wide so that it runs at memory speed.
    private static func checksum(_ parts: UnigramModel.Parts, _ charsmap: [UInt8]) -> UInt64 {
        var lanes: (UInt64, UInt64, UInt64, UInt64) = (1, 2, 3, 4)
        parts.table.withUnsafeBytes { mix($0, into: &lanes) }
        parts.starts.withUnsafeBytes { mix($0, into: &lanes) }
        parts.scores.withUnsafeBytes { mix($0, into: &lanes) }
        parts.bytes.withUnsafeBytes { mix($0, into: &lanes) }
        charsmap.withUnsafeBytes { mix($0, into: &lanes) }
        let prime: UInt64 = 0x9E37_79B9_7F4A_7C15
        return ((lanes.0 &* prime ^ lanes.1) &* prime ^ lanes.2) &* prime ^ lanes.3
    }

    private static func mix(_ raw: UnsafeRawBufferPointer, into lanes: inout (UInt64, UInt64, UInt64, UInt64)) {
        let prime: UInt64 = 0x0000_0100_0000_01B3
        var offset = 0
        while offset + 32 <= raw.count {
            lanes.0 = (lanes.0 ^ raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* prime
            lanes.1 = (lanes.1 ^ raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)) &* prime
            lanes.2 = (lanes.2 ^ raw.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self)) &* prime
            lanes.3 = (lanes.3 ^ raw.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self)) &* prime
            offset += 32
        }
        while offset < raw.count {
            lanes.0 = (lanes.0 ^ UInt64(raw[offset])) &* prime
            offset += 1
        }
        lanes.1 = (lanes.1 ^ UInt64(raw.count)) &* prime
    }
}

extension UnigramModel.Parts {
    /// Whether every lookup stays in bounds: a power-of-two table whose ids name pieces,
    /// offsets that rise within the bytes. (The checksum catches damage; this keeps even a
    /// file crafted to pass it from crashing the tokenizer.)
    var isConsistent: Bool {
        let count = scores.count
        guard table.count >= 2, table.count & (table.count - 1) == 0, starts.count == count + 1,
              starts.first == 0, Int(starts[count]) == bytes.count, maxPieceBytes >= 0, count > 0 else {
            return false
        }
        // Counts rather than early exits, so that these loops over 750k entries (run on every
        // search's start-up) vectorise.
        let descents = starts.withUnsafeBufferPointer { starts in
            var descents = 0
            for index in 0..<count { descents &+= starts[index] > starts[index + 1] ? 1 : 0 }
            return descents
        }
        // Empty slots hold id 0xFFFFFFFF, so the out-of-range ids must be exactly the empty
        // slots; and one must be free, or a lookup of an absent piece would never end.
        let (empty, outOfRange) = table.withUnsafeBufferPointer { table in
            var empty = 0, outOfRange = 0
            for entry in table {
                empty &+= entry == UnigramModel.emptySlot ? 1 : 0
                outOfRange &+= Int(UInt32(truncatingIfNeeded: entry)) >= count ? 1 : 0
            }
            return (empty, outOfRange)
        }
        return descents == 0 && empty > 0 && outOfRange == empty
    }
}
