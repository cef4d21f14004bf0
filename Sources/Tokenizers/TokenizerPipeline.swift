// Normalizers, pre-tokenizers, added-token matching and post-processors of tokenizer.json.
import Foundation

/// The normalizers Granite R2 style tokenizers use.
indirect enum TextNormalizer: Sendable {
    case replace(pattern: [UInt8], content: [UInt8])
    case prepend([UInt8])
    case sequence([TextNormalizer])
    case unicode(UnicodeForm)
    case lowercase

    enum UnicodeForm: Sendable { case nfc, nfd, nfkc, nfkd }

    func apply(_ bytes: [UInt8]) -> [UInt8] {
        switch self {
        case .replace(let pattern, let content):
            return replacingOccurrences(of: pattern, with: content, in: bytes)
        case .prepend(let prefix):
            return bytes.isEmpty ? bytes : prefix + bytes
        case .sequence(let steps):
            return steps.reduce(bytes) { $1.apply($0) }
        case .unicode(let form):
            let text = String(decoding: bytes, as: UTF8.self)
            let normalized: String
            switch form {
            case .nfc: normalized = text.precomposedStringWithCanonicalMapping
            case .nfd: normalized = text.decomposedStringWithCanonicalMapping
            case .nfkc: normalized = text.precomposedStringWithCompatibilityMapping
            case .nfkd: normalized = text.decomposedStringWithCompatibilityMapping
            }
            return Array(normalized.utf8)
        case .lowercase:
            return Array(String(decoding: bytes, as: UTF8.self).lowercased().utf8)
        }
    }
}

/// Non-overlapping, left-to-right occurrences of `pattern` in `bytes[range]`.
func occurrences(of pattern: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>) -> [Range<Int>] {
    guard !pattern.isEmpty, range.count >= pattern.count else { return [] }
    var found: [Range<Int>] = []
    var index = range.lowerBound
    let first = pattern[0]
    while index + pattern.count <= range.upperBound {
        if bytes[index] == first, pattern.indices.allSatisfy({ bytes[index + $0] == pattern[$0] }) {
            found.append(index..<(index + pattern.count))
            index += pattern.count
        } else {
            index += 1
        }
    }
    return found
}

func replacingOccurrences(of pattern: [UInt8], with content: [UInt8], in bytes: [UInt8]) -> [UInt8] {
    bytes.withUnsafeBufferPointer { buffer in
        let matches = occurrences(of: pattern, in: buffer, range: 0..<buffer.count)
        guard !matches.isEmpty else { return bytes }
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count + matches.count * max(0, content.count - pattern.count))
        var cursor = 0
        for match in matches {
            result.append(contentsOf: buffer[cursor..<match.lowerBound])
            result.append(contentsOf: content)
            cursor = match.upperBound
        }
        result.append(contentsOf: buffer[cursor...])
        return result
    }
}

/// How a Split pre-tokenizer treats the delimiters it finds (HF `SplitDelimiterBehavior`).
enum SplitBehavior: String, Sendable {
    case removed = "Removed", isolated = "Isolated", mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext", contiguous = "Contiguous"

    /// Regroups segments that tile a range (`isMatch` marks delimiters).
    func apply(_ segments: [(range: Range<Int>, isMatch: Bool)]) -> [Range<Int>] {
        switch self {
        case .removed:
            return segments.filter { !$0.isMatch }.map(\.range)
        case .isolated:
            return segments.map(\.range)
        case .contiguous:
            var result: [(range: Range<Int>, isMatch: Bool)] = []
            for segment in segments {
                if segment.isMatch, let last = result.last, last.isMatch {
                    result[result.count - 1].range = last.range.lowerBound..<segment.range.upperBound
                } else {
                    result.append(segment)
                }
            }
            return result.map(\.range)
        case .mergedWithPrevious:
            var result: [Range<Int>] = []
            var previousMatch = false
            for segment in segments {
                if segment.isMatch, !previousMatch, let last = result.last {
                    result[result.count - 1] = last.lowerBound..<segment.range.upperBound
                } else {
                    result.append(segment.range)
                }
                previousMatch = segment.isMatch
            }
            return result
        case .mergedWithNext:
            var result: [Range<Int>] = []
            var previousMatch = false
            for segment in segments.reversed() {
                if segment.isMatch, !previousMatch, let last = result.last {
                    result[result.count - 1] = segment.range.lowerBound..<last.upperBound
                } else {
                    result.append(segment.range)
                }
                previousMatch = segment.isMatch
            }
            return result.reversed()
        }
    }
}

/// One pre-tokenizer step; byte-level mapping itself is folded into the BPE vocabulary.
enum PreTokenizerStep: Sendable {
    case splitRegex(SplitRegex, SplitBehavior, invert: Bool)
    case splitString([UInt8], SplitBehavior, invert: Bool)
    /// ByteLevel: optional prefix space and GPT-2 regex.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)

    /// Splits every piece of `pieces` (ranges into `buffer`), possibly rewriting the buffer.
    func apply(buffer: inout [UInt8], pieces: [Range<Int>]) -> [Range<Int>] {
        switch self {
        case .splitRegex(let regex, let behavior, let invert):
            return buffer.withUnsafeBufferPointer { bytes in
                pieces.flatMap { piece in
                    behavior.apply(regexSegments(regex, bytes, piece, invert: invert))
                }
            }
        case .splitString(let pattern, let behavior, let invert):
            return buffer.withUnsafeBufferPointer { bytes in
                pieces.flatMap { piece in
                    behavior.apply(tile(occurrences(of: pattern, in: bytes, range: piece), over: piece, invert: invert))
                }
            }
        case .byteLevel(let addPrefixSpace, let useRegex):
            var pieces = pieces
            if addPrefixSpace { pieces = prefixingSpace(buffer: &buffer, pieces: pieces) }
            guard useRegex else { return pieces }
            return PreTokenizerStep.splitRegex(.gpt2, .isolated, invert: false).apply(buffer: &buffer, pieces: pieces)
        }
    }

    /// Rebuilds the buffer so that every piece not starting with a space gets one.
    private func prefixingSpace(buffer: inout [UInt8], pieces: [Range<Int>]) -> [Range<Int>] {
        var rebuilt: [UInt8] = []
        rebuilt.reserveCapacity(buffer.count + pieces.count)
        var ranges: [Range<Int>] = []
        for piece in pieces {
            let start = rebuilt.count
            if buffer[piece].first != 0x20 { rebuilt.append(0x20) }
            rebuilt.append(contentsOf: buffer[piece])
            ranges.append(start..<rebuilt.count)
        }
        buffer = rebuilt
        return ranges
    }
}

private func regexSegments(_ regex: SplitRegex, _ bytes: UnsafeBufferPointer<UInt8>, _ piece: Range<Int>,
                           invert: Bool) -> [(range: Range<Int>, isMatch: Bool)] {
    let text = ScalarText(UnsafeBufferPointer(rebasing: bytes[piece]))
    var segments: [(range: Range<Int>, isMatch: Bool)] = []
    var index = 0
    while index < text.count {
        let end = regex.matchEnd(in: text, from: index)
        let range = (piece.lowerBound + text.offsets[index])..<(piece.lowerBound + text.offsets[end])
        segments.append((range, !invert))
        index = end
    }
    return segments
}

/// Turns matches inside `range` into segments that tile it.
private func tile(_ matches: [Range<Int>], over range: Range<Int>, invert: Bool) -> [(range: Range<Int>, isMatch: Bool)] {
    var segments: [(range: Range<Int>, isMatch: Bool)] = []
    var cursor = range.lowerBound
    for match in matches {
        if cursor < match.lowerBound { segments.append((cursor..<match.lowerBound, invert)) }
        segments.append((match, !invert))
        cursor = match.upperBound
    }
    if cursor < range.upperBound { segments.append((cursor..<range.upperBound, invert)) }
    return segments
}

/// A token added on top of the model vocabulary (HF `AddedToken`).
struct AddedToken: Sendable {
    var id: Int32
    var content: [UInt8]
    var singleWord: Bool
    var leftStrip: Bool
    var rightStrip: Bool
    var normalized: Bool
    var special: Bool
}

/// A piece of input: either text for the model or an added token's id.
enum Segment {
    case text(Range<Int>)
    case token(Int32)
}

/// Leftmost-longest matching of added tokens, as HF's Aho-Corasick `find_matches`.
struct AddedTokenMatcher: Sendable {
    private let tokens: [AddedToken]
    /// Candidate token indices by first byte, longest first.
    private let byFirstByte: [[Int]]

    init(_ tokens: [AddedToken]) {
        let usable = tokens.filter { !$0.content.isEmpty }
        self.tokens = usable
        var table = [[Int]](repeating: [], count: 256)
        for (index, token) in usable.enumerated() { table[Int(token.content[0])].append(index) }
        byFirstByte = table.map { $0.sorted { usable[$0].content.count > usable[$1].content.count } }
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// The ids of `text`: added tokens directly, the text between them through `encodeText`.
    func encode(_ text: String, encodeText: (UnsafeBufferPointer<UInt8>, inout [Int32]) -> Void) -> [Int32] {
        var output: [Int32] = []
        output.reserveCapacity(text.utf8.count / 3 + 4)
        let bytes = Array(text.utf8)
        bytes.withUnsafeBufferPointer { encode($0, into: &output, encodeText: encodeText) }
        return output
    }

    /// Appends the ids of `bytes`: added tokens directly, the text between them through `encodeText`.
    func encode(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout [Int32],
                encodeText: (UnsafeBufferPointer<UInt8>, inout [Int32]) -> Void) {
        for segment in split(bytes, range: 0..<bytes.count) {
            switch segment {
            case .token(let id): output.append(id)
            case .text(let range): encodeText(UnsafeBufferPointer(rebasing: bytes[range]), &output)
            }
        }
    }

    func split(_ bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>) -> [Segment] {
        guard !tokens.isEmpty else { return [.text(range)] }
        var segments: [Segment] = []
        var startOffset = range.lowerBound
        var index = range.lowerBound
        while index < range.upperBound {
            guard let found = longestMatch(bytes, at: index, limit: range.upperBound) else {
                index += 1
                continue
            }
            let token = tokens[found]
            var start = index
            var stop = index + token.content.count
            index = stop
            if token.singleWord {
                let before = start > range.lowerBound && scalarBefore(bytes, start, floor: range.lowerBound)
                    .map { ScalarClass($0).contains(.word) } == true
                let after = stop < range.upperBound && ScalarClass(decodeUTF8(bytes, at: stop).0).contains(.word)
                if before || after { continue }
            }
            if token.leftStrip {
                var newStart = start
                while newStart > range.lowerBound, let scalar = scalarBefore(bytes, newStart, floor: range.lowerBound),
                      scalar.properties.isWhitespace {
                    newStart -= String(scalar).utf8.count
                }
                start = max(newStart, startOffset)
            }
            if token.rightStrip {
                while stop < range.upperBound {
                    let (scalar, length) = decodeUTF8(bytes, at: stop)
                    guard scalar.properties.isWhitespace else { break }
                    stop += length
                }
                index = stop
            }
            if startOffset < start { segments.append(.text(startOffset..<start)) }
            segments.append(.token(token.id))
            startOffset = stop
        }
        if startOffset < range.upperBound { segments.append(.text(startOffset..<range.upperBound)) }
        return segments
    }

    private func longestMatch(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int, limit: Int) -> Int? {
        for candidate in byFirstByte[Int(bytes[index])] {
            let content = tokens[candidate].content
            guard index + content.count <= limit else { continue }
            if content.indices.allSatisfy({ bytes[index + $0] == content[$0] }) { return candidate }
        }
        return nil
    }

    private func scalarBefore(_ bytes: UnsafeBufferPointer<UInt8>, _ end: Int, floor: Int) -> Unicode.Scalar? {
        var start = end - 1
        while start > floor, bytes[start] & 0xC0 == 0x80 { start -= 1 }
        guard start >= floor else { return nil }
        return decodeUTF8(bytes, at: start).0
    }
}

/// Special tokens a post-processor puts around one sequence.
struct PostProcessor: Sendable {
    var prefix: [Int32] = []
    var suffix: [Int32] = []

    /// `prefix + content + suffix`, the content cut from the right so that the whole
    /// holds at most `maxLength` ids.
    func apply(to content: [Int32], addSpecialTokens: Bool, maxLength: Int?) -> [Int32] {
        guard addSpecialTokens else { return Array(content.prefix(max(0, maxLength ?? content.count))) }
        let room = max(0, (maxLength ?? Int.max) - prefix.count - suffix.count)
        var ids: [Int32] = []
        ids.reserveCapacity(prefix.count + min(room, content.count) + suffix.count)
        ids += prefix
        ids += content.prefix(room)
        ids += suffix
        return ids
    }
}
