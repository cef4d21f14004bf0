/// A path pattern in the style of `.gitignore`, for `--path` filters:
///
/// - `*` matches any run of characters within one path segment, `?` one
///   character, `[a-z]` / `[!a-z]` one character in (or not in) a set, and
///   `\x` the character `x` literally.
/// - `**` as a whole segment matches zero or more segments: `src/**/*.py`
///   matches `src/a.py` and `src/x/y/a.py`.
/// - `{a,b}` matches either alternative (nesting allowed): `*.{js,ts}`.
/// - A pattern without `/` matches a segment at any depth (`*.go`, `vendor`);
///   one with `/` is anchored at the repository root (a leading `/` is
///   dropped).
/// - A pattern that matches a directory matches everything below it, so
///   `src`, `src/` and `src/**` all select the files under `src`.
///
/// Matching is case-sensitive, like Git paths.
public struct PathGlob: Sendable, Hashable, CustomStringConvertible {
    public let pattern: String
    /// One segment list per brace alternative.
    private let alternatives: [[Segment]]

    private enum Segment: Sendable, Hashable {
        case anyDepth                 // **
        case pattern([Token])
    }

    private enum Token: Sendable, Hashable {
        case literal(UInt8)
        case anyOne                   // ?
        case anyRun                   // *
        case set(ranges: [ClosedRange<UInt8>], negated: Bool)
    }

    public init(_ pattern: String) throws(SearchError) {
        self.pattern = pattern
        let expanded = try Self.expandBraces(Array(pattern.utf8), pattern: pattern)
        var alternatives: [[Segment]] = []
        for alternative in expanded { alternatives.append(try Self.parse(alternative, pattern: pattern)) }
        self.alternatives = alternatives
    }

    public var description: String { pattern }

    /// Whether `path` (relative, `/`-separated) or one of its directories matches.
    public func matches(_ path: String) -> Bool {
        let components = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
        return alternatives.contains { Self.match($0[...], components[...]) }
    }

    // MARK: Matching

    private static func match(_ segments: ArraySlice<Segment>, _ components: ArraySlice<Substring.UTF8View.SubSequence>) -> Bool {
        guard let segment = segments.first else {
            // Pattern used up: the path itself, or a directory holding it, matched.
            return true
        }
        switch segment {
        case .anyDepth:
            let rest = segments.dropFirst()
            for skip in 0...components.count where match(rest, components.dropFirst(skip)) { return true }
            return false
        case .pattern(let tokens):
            guard let component = components.first else { return false }
            return match(tokens[...], Array(component)[...]) && match(segments.dropFirst(), components.dropFirst())
        }
    }

    /// Wildcard match of one segment; a `*` backtracks to its last position only,
    /// which is enough because `*` cannot cross a `/`.
    private static func match(_ tokens: ArraySlice<Token>, _ bytes: ArraySlice<UInt8>) -> Bool {
        var t = tokens.startIndex
        var b = bytes.startIndex
        var starToken: Int?
        var starByte = 0
        while b < bytes.endIndex {
            if t < tokens.endIndex {
                switch tokens[t] {
                case .anyRun:
                    starToken = t
                    starByte = b
                    t += 1
                    continue
                case .anyOne:
                    t += 1; b += 1
                    continue
                case .literal(let byte) where byte == bytes[b]:
                    t += 1; b += 1
                    continue
                case .set(let ranges, let negated) where ranges.contains { $0.contains(bytes[b]) } != negated:
                    t += 1; b += 1
                    continue
                default:
                    break
                }
            }
            guard let star = starToken else { return false }
            t = star + 1
            starByte += 1
            b = starByte
        }
        while t < tokens.endIndex, tokens[t] == .anyRun { t += 1 }
        return t == tokens.endIndex
    }

    // MARK: Parsing

    private static func parse(_ bytes: [UInt8], pattern: String) throws(SearchError) -> [Segment] {
        var text = bytes[...]
        if text.first == UInt8(ascii: "/") {
            text = text.dropFirst()
        } else if !text.contains(UInt8(ascii: "/")) {
            // No slash: the pattern may sit at any depth.
            text = [UInt8]("**/".utf8)[...] + text
        }
        var segments: [Segment] = []
        for piece in text.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            if piece.elementsEqual("**".utf8) {
                if segments.last != .anyDepth { segments.append(.anyDepth) }
            } else {
                segments.append(.pattern(try tokens(Array(piece), pattern: pattern)))
            }
        }
        if segments.isEmpty { throw .invalidGlob(pattern: pattern, reason: "it matches no path") }
        return segments
    }

    private static func tokens(_ bytes: [UInt8], pattern: String) throws(SearchError) -> [Token] {
        var tokens: [Token] = []
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            switch byte {
            case UInt8(ascii: "*"):
                // `**` inside a segment (`a**b`) is the same as `*`.
                if tokens.last != .anyRun { tokens.append(.anyRun) }
            case UInt8(ascii: "?"):
                tokens.append(.anyOne)
            case UInt8(ascii: "\\"):
                i += 1
                guard i < bytes.count else { throw .invalidGlob(pattern: pattern, reason: "it ends with a lone \\") }
                tokens.append(.literal(bytes[i]))
            case UInt8(ascii: "["):
                let (token, end) = try set(bytes, from: i, pattern: pattern)
                tokens.append(token)
                i = end
            default:
                tokens.append(.literal(byte))
            }
            i += 1
        }
        return tokens
    }

    /// Parses `[...]` starting at `start`; returns the token and the index of `]`.
    private static func set(_ bytes: [UInt8], from start: Int, pattern: String) throws(SearchError) -> (Token, Int) {
        var i = start + 1
        var negated = false
        if i < bytes.count, bytes[i] == UInt8(ascii: "!") || bytes[i] == UInt8(ascii: "^") {
            negated = true
            i += 1
        }
        var ranges: [ClosedRange<UInt8>] = []
        var first = true
        while i < bytes.count {
            var low = bytes[i]
            // A `]` right after `[` or `[!` is a member, not the end.
            if low == UInt8(ascii: "]") && !first { return (.set(ranges: ranges, negated: negated), i) }
            first = false
            if low == UInt8(ascii: "\\"), i + 1 < bytes.count { i += 1; low = bytes[i] }
            if i + 2 < bytes.count, bytes[i + 1] == UInt8(ascii: "-"), bytes[i + 2] != UInt8(ascii: "]") {
                let high = bytes[i + 2]
                guard low <= high else {
                    throw .invalidGlob(pattern: pattern, reason: "range \(Character(Unicode.Scalar(low)))-\(Character(Unicode.Scalar(high))) is reversed")
                }
                ranges.append(low...high)
                i += 3
            } else {
                ranges.append(low...low)
                i += 1
            }
        }
        throw .invalidGlob(pattern: pattern, reason: "[ is never closed")
    }

    /// Expands `{a,b}` alternatives into separate patterns (nested braces allowed).
    private static func expandBraces(_ bytes: [UInt8], pattern: String) throws(SearchError) -> [[UInt8]] {
        var depth = 0
        var open: Int?
        var commas: [Int] = []
        var i = 0
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\\"): i += 1
            case UInt8(ascii: "{"):
                if depth == 0 { open = i; commas = [] }
                depth += 1
            case UInt8(ascii: ","):
                if depth == 1 { commas.append(i) }
            case UInt8(ascii: "}"):
                guard depth > 0 else { throw .invalidGlob(pattern: pattern, reason: "} without {") }
                depth -= 1
                if depth == 0, let start = open {
                    let prefix = Array(bytes[..<start])
                    let suffix = Array(bytes[(i + 1)...])
                    let bounds = [start] + commas + [i]
                    var result: [[UInt8]] = []
                    for k in 0..<(bounds.count - 1) {
                        let choice = Array(bytes[(bounds[k] + 1)..<bounds[k + 1]])
                        result += try expandBraces(prefix + choice + suffix, pattern: pattern)
                    }
                    return result
                }
            default: break
            }
            i += 1
        }
        if depth > 0 { throw .invalidGlob(pattern: pattern, reason: "{ is never closed") }
        return [bytes]
    }
}
