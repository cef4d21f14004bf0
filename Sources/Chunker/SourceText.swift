import Foundation

/// The UTF-8 bytes of one file with an index of its line starts.
/// Only valid while the buffer it views is alive.
struct SourceText {
    let bytes: UnsafeBufferPointer<UInt8>
    /// Byte offset where each line starts; `lineStarts[0] == 0`.
    let lineStarts: [Int]

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        var starts = [0]
        starts.reserveCapacity(bytes.count / 32 + 1)
        if let base = bytes.baseAddress {
            var offset = 0
            // memchr is much faster than a Swift loop over every byte.
            while offset < bytes.count,
                  let hit = memchr(base + offset, 0x0A, bytes.count - offset) {
                let newline = UnsafeRawPointer(hit).assumingMemoryBound(to: UInt8.self) - base
                starts.append(newline + 1)
                offset = newline + 1
            }
        }
        lineStarts = starts
    }

    var count: Int { bytes.count }

    /// 1-based number of the line holding byte `offset`.
    func line(ofByte offset: Int) -> Int {
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return low + 1
    }

    /// Offset of the first byte of the line holding `offset`.
    func lineStart(containing offset: Int) -> Int { lineStarts[line(ofByte: offset) - 1] }

    /// Offset just past the newline ending the line holding `offset` (or the end of file).
    func lineEnd(containing offset: Int) -> Int {
        let line = line(ofByte: offset)
        return line < lineStarts.count ? lineStarts[line] : bytes.count
    }

    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C || byte == 0x0B
    }

    func isBlank(_ range: Range<Int>) -> Bool {
        for index in range where !SourceText.isSpace(bytes[index]) { return false }
        return true
    }

    /// `range` without leading blank lines (keeping the first line's indentation)
    /// and without trailing whitespace; empty when the range is blank.
    func trimmed(_ range: Range<Int>) -> Range<Int> {
        var start = range.lowerBound
        var end = range.upperBound
        while end > start, SourceText.isSpace(bytes[end - 1]) { end -= 1 }
        guard end > start else { return start..<start }
        var firstText = start
        while SourceText.isSpace(bytes[firstText]) { firstText += 1 }
        start = max(start, lineStart(containing: firstText))
        return start..<end
    }

    /// Whether `offset` starts a UTF-8 scalar (is not a continuation byte).
    func isScalarBoundary(_ offset: Int) -> Bool {
        offset <= 0 || offset >= bytes.count || bytes[offset] & 0xC0 != 0x80
    }

    /// Ranges of the lines intersecting `range`, each clipped to it.
    func lines(in range: Range<Int>) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(lineEnd(containing: start), range.upperBound)
            result.append(start..<end)
            start = end
        }
        return result
    }

    /// Does the text between `start` (a line start) and `offset` hold only spaces or tabs?
    func onlyIndentation(before offset: Int) -> Bool {
        let start = lineStart(containing: offset)
        for index in start..<offset where bytes[index] != 0x20 && bytes[index] != 0x09 { return false }
        return true
    }
}
