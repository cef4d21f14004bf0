// Hand-written equivalents of the pre-tokenizer regexes, following the regex engine's
// leftmost-first alternation and greedy backtracking exactly.

/// The pre-tokenizer regexes recognised in tokenizer.json.
enum SplitRegex: Sendable {
    /// tiktoken's o200k_base pattern (GPT-4o), used by Granite R2 97m.
    case o200k
    /// GPT-2's pattern (ByteLevel pre-tokenizer with `use_regex`).
    case gpt2
    /// tiktoken's cl100k_base pattern (GPT-4, Llama 3).
    case cl100k

    static let o200kPattern =
        #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"#
        + #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"#
        + #"\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let cl100kPattern =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    init?(pattern: String) {
        switch pattern {
        case Self.o200kPattern: self = .o200k
        case Self.gpt2Pattern: self = .gpt2
        case Self.cl100kPattern: self = .cl100k
        default: return nil
        }
    }

    /// End (scalar index) of the match starting at `start`; both patterns match at
    /// every position, so the result is always greater than `start`.
    func matchEnd(in text: ScalarText, from start: Int) -> Int {
        let end: Int?
        switch self {
        case .o200k: end = O200kScanner(text: text).match(at: start)
        case .gpt2: end = GPT2Scanner(text: text).match(at: start)
        case .cl100k: end = CL100kScanner(text: text).match(at: start)
        }
        return max(end ?? start + 1, start + 1)
    }
}

private struct O200kScanner {
    let text: ScalarText

    func match(at i: Int) -> Int? {
        // Alternatives 1 and 2, each first with the optional prefix character taken.
        if text.isPrefix(i), let end = casedRunThenLower(i + 1) { return contraction(after: end) }
        if let end = casedRunThenLower(i) { return contraction(after: end) }
        if text.isPrefix(i), let end = upperThenLower(i + 1) { return contraction(after: end) }
        if let end = upperThenLower(i) { return contraction(after: end) }
        if let end = text.digitsEnd(i) { return end }
        // ` ?[^\s\p{L}\p{N}]+[\r\n/]*`
        if let end = text.symbolsEnd(i, trailing: { $0 == 0x0D || $0 == 0x0A || $0 == 0x2F }) { return end }
        return whitespaceMatchEnd(text, at: i)
    }

    /// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+`
    private func casedRunThenLower(_ j: Int) -> Int? {
        var k = j
        while text.has(k, .upperish) { k += 1 }
        if text.has(k, .lowerish) {
            var end = k + 1
            while text.has(end, .lowerish) { end += 1 }
            return end
        }
        // Backtrack: give back the run's last character that can start the lower part;
        // everything after it was not lower-ish, so the match ends right after it.
        var m = k - 1
        while m >= j {
            if text.has(m, .lowerish) { return m + 1 }
            m -= 1
        }
        return nil
    }

    /// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*`
    private func upperThenLower(_ j: Int) -> Int? {
        guard text.has(j, .upperish) else { return nil }
        var end = j + 1
        while text.has(end, .upperish) { end += 1 }
        while text.has(end, .lowerish) { end += 1 }
        return end
    }

    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)?`
    private func contraction(after end: Int) -> Int {
        contractionEnd(text, at: end) ?? end
    }
}

private struct GPT2Scanner {
    let text: ScalarText

    func match(at i: Int) -> Int? {
        if let end = contractionEnd(text, at: i, caseSensitive: true) { return end }
        let afterSpace = text.values[i] == 0x20 ? i + 1 : i
        for cls in [ScalarClass.letter, .number] where text.has(afterSpace, cls) {
            var end = afterSpace + 1
            while text.has(end, cls) { end += 1 }
            return end
        }
        if text.isSymbol(afterSpace) {
            var end = afterSpace + 1
            while text.isSymbol(end) { end += 1 }
            return end
        }
        guard text.has(i, .whitespace) else { return nil }
        var runEnd = i
        while text.has(runEnd, .whitespace) { runEnd += 1 }
        if runEnd == text.count { return runEnd }
        return runEnd - 1 > i ? runEnd - 1 : runEnd
    }
}

private struct CL100kScanner {
    let text: ScalarText

    func match(at i: Int) -> Int? {
        if let end = contractionEnd(text, at: i) { return end }
        // `[^\r\n\p{L}\p{N}]?\p{L}+`
        let prefixed = text.isPrefix(i) && text.has(i + 1, .letter)
        if prefixed || text.has(i, .letter) {
            var end = prefixed ? i + 2 : i + 1
            while text.has(end, .letter) { end += 1 }
            return end
        }
        if let end = text.digitsEnd(i) { return end }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        if let end = text.symbolsEnd(i, trailing: { $0 == 0x0D || $0 == 0x0A }) { return end }
        return whitespaceMatchEnd(text, at: i)
    }
}

/// `\s*[\r\n]+|\s+(?!\S)|\s+` at `i`, shared by the tiktoken-style patterns.
private func whitespaceMatchEnd(_ text: ScalarText, at i: Int) -> Int? {
    guard text.has(i, .whitespace) else { return nil }
    var runEnd = i
    while text.has(runEnd, .whitespace) { runEnd += 1 }
    // `\s*[\r\n]+` backtracks to the last line break of the run.
    if let lastBreak = (i..<runEnd).last(where: { text.classes[$0].contains(.lineBreak) }) { return lastBreak + 1 }
    if runEnd == text.count { return runEnd }
    return runEnd - 1 > i ? runEnd - 1 : runEnd
}

/// End of `'s|'t|'re|'ve|'m|'ll|'d` at `index` (ASCII apostrophe), if present.
private func contractionEnd(_ text: ScalarText, at index: Int, caseSensitive: Bool = false) -> Int? {
    guard index + 1 < text.count, text.values[index] == 0x27 else { return nil }
    func letter(_ offset: Int) -> UInt32? {
        guard index + offset < text.count else { return nil }
        let value = text.values[index + offset]
        if !caseSensitive, value >= 0x41, value <= 0x5A { return value + 0x20 }
        return value
    }
    switch letter(1) {
    case 0x73, 0x74, 0x6D, 0x64: return index + 2  // s t m d
    case 0x72, 0x76: return letter(2) == 0x65 ? index + 3 : nil  // re ve
    case 0x6C: return letter(2) == 0x6C ? index + 3 : nil  // ll
    default: return nil
    }
}

extension ScalarText {
    func has(_ index: Int, _ cls: ScalarClass) -> Bool {
        index < count && classes[index].contains(cls)
    }

    /// `[^\r\n\p{L}\p{N}]`
    func isPrefix(_ index: Int) -> Bool {
        index < count && classes[index].isDisjoint(with: [.lineBreak, .letter, .number])
    }

    /// `[^\s\p{L}\p{N}]`
    func isSymbol(_ index: Int) -> Bool {
        index < count && classes[index].isDisjoint(with: [.whitespace, .letter, .number])
    }

    /// `\p{N}{1,3}`
    func digitsEnd(_ i: Int) -> Int? {
        guard has(i, .number) else { return nil }
        var end = i + 1
        while end < i + 3, has(end, .number) { end += 1 }
        return end
    }

    /// ` ?[^\s\p{L}\p{N}]+` then a run of scalars accepted by `trailing`.
    func symbolsEnd(_ i: Int, trailing: (UInt32) -> Bool) -> Int? {
        var end: Int
        if values[i] == 0x20, isSymbol(i + 1) {
            end = i + 1
        } else if isSymbol(i) {
            end = i
        } else {
            return nil
        }
        while isSymbol(end) { end += 1 }
        while end < count, trailing(values[end]) { end += 1 }
        return end
    }
}
