/// Splits source text into the terms the full-text index holds, so that a
/// query for `login user` finds `loginUser`, `login_user` and `LoginUser`,
/// and a query for `loginuser` finds them too.
///
/// A token is a run of ASCII letters, digits and `_`, plus any non-ASCII bytes
/// (left for SQLite's unicode61 tokenizer to fold). Each token yields its whole
/// lowercased form and, when that differs, its parts: split at `_`, at
/// lower-to-upper (`loginUser`), before the last capital of an acronym
/// (`HTTPServer` -> `http server`) and between letters and digits
/// (`sha256sum` -> `sha 256 sum`). Kebab-case (`foo-bar`) needs no rule: `-`
/// already ends a token. The index and the query side use this same code,
/// which is what makes the terms meet.
public enum IdentifierSplitter {
    /// The lowercased parts of one identifier; `["http", "server"]` for `HTTPServer`.
    public static func parts(of identifier: String) -> [String] {
        var expander = TermExpander()
        var parts: [String] = []
        expander.forEachToken(in: identifier) { whole, tokenParts in
            parts.append(contentsOf: tokenParts.isEmpty ? [whole] : tokenParts)
        }
        return parts
    }

    /// The space-separated term list the full-text index holds for `text`:
    /// each token whole and then its parts, repeats kept (other full-text
    /// engines, e.g. a team database, index this same form).
    public static func indexForm(of text: String) -> String {
        var expander = TermExpander()
        expander.expand(text)
        return String(decoding: expander.output, as: UTF8.self)
    }

    /// Every term of `text` in order, each token whole and then its parts,
    /// duplicates removed; what a query for `text` looks for.
    public static func terms(in text: String) -> [String] {
        var expander = TermExpander()
        var seen = Set<String>()
        var terms: [String] = []
        expander.forEachToken(in: text) { whole, parts in
            for term in [whole] + parts where seen.insert(term).inserted { terms.append(term) }
        }
        return terms
    }
}

/// Which of a few terms each of many lines holds, as `IdentifierSplitter.terms(in:)`
/// would list the line's terms, without a string per term: for marking the
/// lines of search results. Lines with non-ASCII text are left to the
/// caller (their terms compare as Unicode strings); an ASCII word equals a
/// term as a string exactly when their bytes are equal.
public struct TermMatcher {
    private var expander = TermExpander()
    private let terms: [[UInt8]]

    /// Nil for more than 64 terms (the matches are one bit each).
    public init?(terms: [String]) {
        guard terms.count <= 64 else { return nil }
        self.terms = terms.map { Array($0.utf8) }
    }

    /// Bit `i` set when the line holds `terms[i]`; nil when the line is not ASCII.
    public mutating func matches(in line: Substring) -> UInt64? {
        var copy = line
        return copy.withUTF8 { bytes -> UInt64? in
            guard !bytes.contains(where: { $0 >= 0x80 }) else { return nil }
            expander.expand(bytes)
            var found: UInt64 = 0
            expander.output.withUnsafeBufferPointer { output in
                var start = 0
                while start < output.count {
                    var end = start
                    while end < output.count && output[end] != UInt8(ascii: " ") { end += 1 }
                    let word = UnsafeBufferPointer(rebasing: output[start..<end])
                    for (index, term) in terms.enumerated() where term.count == word.count && term.elementsEqual(word) {
                        found |= 1 << UInt64(index)
                    }
                    start = end + 1
                }
            }
            return found
        }
    }
}

/// Rewrites text into the space-separated term list the FTS columns index.
/// Keeps its buffer between calls so the indexing loop does not allocate.
struct TermExpander {
    private(set) var output: [UInt8] = []
    private var partStarts: [Int] = []

    private enum CharacterClass { case upper, lower, digit, separator }

    @inline(__always)
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), 0x80...0xff:
            return true
        default:
            return false
        }
    }

    @inline(__always)
    private static func characterClass(_ byte: UInt8) -> CharacterClass {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return .upper
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return .digit
        case UInt8(ascii: "_"): return .separator
        default: return .lower  // ASCII lowercase and any non-ASCII byte
        }
    }

    @inline(__always)
    private static func lowercased(_ byte: UInt8) -> UInt8 {
        characterClass(byte) == .upper ? byte | 0x20 : byte
    }

    /// Replaces `output` with the index form of `text`: for each token its
    /// whole lowercased form, then its parts when they differ from it.
    mutating func expand(_ text: String) {
        var copy = text
        copy.withUTF8 { bytes in expand(bytes) }
    }

    mutating func expand(_ bytes: UnsafeBufferPointer<UInt8>) {
        output.removeAll(keepingCapacity: true)
        Self.forEachTokenRange(in: bytes) { appendToken(UnsafeBufferPointer(rebasing: bytes[$0])) }
    }

    /// Calls `body` with each token's whole form and its parts (empty when the
    /// token is a single part equal to itself). Used on short query text only.
    mutating func forEachToken(in text: String, _ body: (String, [String]) -> Void) {
        var copy = text
        copy.withUTF8 { bytes in
            Self.forEachTokenRange(in: bytes) { range in
                output.removeAll(keepingCapacity: true)
                appendToken(UnsafeBufferPointer(rebasing: bytes[range]))
                let words = output.split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
                guard let whole = words.first else { return }
                body(whole, Array(words.dropFirst()))
            }
        }
    }

    @inline(__always)
    private static func forEachTokenRange(in bytes: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        var index = 0
        while index < bytes.count {
            guard isTokenByte(bytes[index]) else { index += 1; continue }
            let start = index
            while index < bytes.count, isTokenByte(bytes[index]) { index += 1 }
            body(start..<index)
        }
    }

    /// Appends `token` whole, then its parts if splitting changed anything.
    private mutating func appendToken(_ token: UnsafeBufferPointer<UInt8>) {
        if !output.isEmpty { output.append(UInt8(ascii: " ")) }
        for byte in token { output.append(Self.lowercased(byte)) }

        // Find part boundaries: [start, end) pairs collected in partStarts.
        partStarts.removeAll(keepingCapacity: true)
        var partStart = -1
        for i in 0..<token.count {
            let current = Self.characterClass(token[i])
            if current == .separator {
                if partStart >= 0 { partStarts.append(partStart); partStarts.append(i); partStart = -1 }
                continue
            }
            if partStart < 0 { partStart = i; continue }
            let previous = Self.characterClass(token[i - 1])
            let next: CharacterClass? = i + 1 < token.count ? Self.characterClass(token[i + 1]) : nil
            let boundary =
                (previous == .lower && current == .upper)
                || (previous == .upper && current == .upper && next == .lower)
                || ((previous == .digit) != (current == .digit))
            if boundary {
                partStarts.append(partStart); partStarts.append(i)
                partStart = i
            }
        }
        if partStart >= 0 { partStarts.append(partStart); partStarts.append(token.count) }

        // A single part equal to the token (or none, for `___`) adds nothing.
        if partStarts.isEmpty || (partStarts.count == 2 && partStarts[0] == 0 && partStarts[1] == token.count) {
            return
        }
        var pair = 0
        while pair < partStarts.count {
            output.append(UInt8(ascii: " "))
            for i in partStarts[pair]..<partStarts[pair + 1] { output.append(Self.lowercased(token[i])) }
            pair += 2
        }
    }
}
