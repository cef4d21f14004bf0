import QuarryCore

/// The copy of a Markdown or reStructuredText document that its grammar parses:
/// the same length, lines and block structure, with the running text of
/// ordinary lines fused (Markdown) or blanked (reStructuredText).
///
/// Why: both grammars lex running text word by word and punctuation mark by
/// punctuation mark (tree-sitter-markdown's block grammar too, though it only
/// builds blocks), so a prose parse made a node every three or four bytes and
/// ran at a third of the speed of code. Sections depend only on how lines
/// start, on lines made of punctuation alone (underlines, fences, transitions,
/// table borders) and on a few constructs kept whole below; inside other lines,
/// Markdown's ASCII spaces and punctuation become `x`, and reStructuredText's
/// ASCII text becomes blanks except around inline markup. Offsets are unchanged,
/// and since only ASCII becomes ASCII, so is every line's length in characters
/// (reStructuredText compares a title's length with its underline's). Chunk
/// text, names and ranges are always read from the original bytes.
/// `ProseMaskTests` and `Benchmarks/languages.sh` check that chunks do not change.
enum ProseMask {
    /// The masked copy, or nil for a language that is parsed as written.
    static func masked(_ bytes: UnsafeBufferPointer<UInt8>, language: Language) -> [UInt8]? {
        guard language.isProse else { return nil }
        let lines = lineRanges(bytes)
        // Markdown's running text becomes one word (`x` joins its words); the
        // reStructuredText scanner looks each character up in a table of
        // hundreds of delimiters, so its running text becomes blanks after the
        // first character, which it skips without a look-up.
        let mask = language == .markdown ? UInt8(ascii: "x") : UInt8(ascii: " ")
        let keepsWords = language == .markdown
        var copy = Array(bytes)
        var markdown = MarkdownState()
        for (number, line) in lines.enumerated() {
            let start: Int?
            let next = number + 1 < lines.count ? lines[number + 1] : line.upperBound..<line.upperBound
            if language == .markdown {
                start = markdown.maskStart(bytes, line, next: next)
            } else {
                // A title (a line over an underline) keeps its text: its node ends at its last word.
                start = isAdornment(bytes, next) ? nil : restructuredTextMaskStart(bytes, line)
            }
            guard let start, hasWordCharacter(bytes, line) else { continue }
            for index in start..<max(start, maskEnd(bytes, line)) where isPrintableASCII(bytes[index]) {
                if keepsWords ? !isAlphanumeric(bytes[index]) : !nearInlineMarkup(bytes, index, line) {
                    copy[index] = mask
                }
            }
        }
        return copy
    }

    /// Each line's range, without its newline.
    private static func lineRanges(_ bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var lines: [Range<Int>] = []
        var lineStart = 0
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
            lines.append(lineStart..<lineEnd)
            lineStart = lineEnd + 1
        }
        return lines
    }

    /// Where masking stops: the line's end, or before a final ` ::` (a
    /// reStructuredText paragraph ending so announces a literal block).
    private static func maskEnd(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Int {
        var end = line.upperBound
        while end > line.lowerBound && SourceText.isSpace(bytes[end - 1]) { end -= 1 }
        let colons = end - 2 > line.lowerBound && bytes[end - 1] == UInt8(ascii: ":") && bytes[end - 2] == UInt8(ascii: ":")
        return colons ? end - 3 : line.upperBound
    }

    /// What Markdown lines before the current one leave open: a table (its rows
    /// run to a blank line) or an HTML declaration (`<!DOCTYPE`, up to a `>`).
    private struct MarkdownState {
        var inTable = false
        var inDeclaration = false

        /// Where masking may begin in a Markdown line: past its indentation, block
        /// quote and list markers, and the first character of its content. Nil
        /// keeps the line whole: headings, fences, HTML starts and ends, link
        /// reference definitions, and a table's rows.
        mutating func maskStart(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>, next: Range<Int>) -> Int? {
            if isBlankLine(bytes, line) { inTable = false }
            if isTableDelimiterRow(bytes, next) || isTableDelimiterRow(bytes, line) { inTable = true }
            if inDeclaration {
                inDeclaration = !line.contains { bytes[$0] == UInt8(ascii: ">") }
                return nil
            }
            guard !inTable, !endsHTMLBlock(bytes, line) else { return nil }
            let index = ProseMask.markdownContentStart(bytes, line)
            guard index < line.upperBound else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "<"):
                // An HTML block may start here; a declaration runs to its `>`.
                inDeclaration = index + 2 < line.upperBound && bytes[index + 1] == UInt8(ascii: "!")
                    && ProseMask.isAlphanumeric(bytes[index + 2]) && !line.contains { bytes[$0] == UInt8(ascii: ">") }
                return nil
            case UInt8(ascii: "`"), UInt8(ascii: "~"):
                // Three or more open a fence, whose info string matters; fewer are inline code.
                let fence = index + 2 < line.upperBound && bytes[index + 1] == bytes[index] && bytes[index + 2] == bytes[index]
                return fence ? nil : index + 1
            case UInt8(ascii: "#"), UInt8(ascii: "["): return nil
            default: return index + 1
            }
        }

        /// `</`, `-->`, `?>` and `]]>` end HTML blocks wherever they are in a line.
        private func endsHTMLBlock(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
            var index = line.lowerBound
            while index + 1 < line.upperBound {
                let pair = (bytes[index], bytes[index + 1])
                if pair == (UInt8(ascii: "<"), UInt8(ascii: "/")) || pair == (UInt8(ascii: "?"), UInt8(ascii: ">"))
                    || (pair == (UInt8(ascii: "-"), UInt8(ascii: "-")) || pair == (UInt8(ascii: "]"), UInt8(ascii: "]")))
                    && index + 2 < line.upperBound && bytes[index + 2] == UInt8(ascii: ">") {
                    return true
                }
                index += 1
            }
            return false
        }

        /// A GFM table's delimiter row: only `|`, `-`, `:` and blanks, with a `|` and a `-`.
        private func isTableDelimiterRow(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
            var pipe = false, dash = false
            for index in line {
                switch bytes[index] {
                case UInt8(ascii: "|"): pipe = true
                case UInt8(ascii: "-"): dash = true
                case UInt8(ascii: ":"), 0x20, 0x09, 0x0D: break
                default: return false
                }
            }
            return pipe && dash
        }

        private func isBlankLine(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
            !line.contains { !SourceText.isSpace(bytes[$0]) }
        }
    }

    /// Past a Markdown line's indentation, block quote markers and list markers.
    private static func markdownContentStart(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Int {
        var index = skipBlanks(bytes, from: line.lowerBound, to: line.upperBound)
        while index < line.upperBound {
            let byte = bytes[index]
            if byte == UInt8(ascii: ">") {
                index = skipBlanks(bytes, from: index + 1, to: line.upperBound)
                continue
            }
            let listMarker = byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "*")
            if listMarker && index + 1 < line.upperBound && isBlank(bytes[index + 1]) {
                index = skipBlanks(bytes, from: index + 1, to: line.upperBound)
                continue
            }
            var digitsEnd = index
            while digitsEnd < line.upperBound && digitsEnd - index < 10 && isDigit(bytes[digitsEnd]) { digitsEnd += 1 }
            if digitsEnd > index && digitsEnd + 1 < line.upperBound
                && (bytes[digitsEnd] == UInt8(ascii: ".") || bytes[digitsEnd] == UInt8(ascii: ")"))
                && isBlank(bytes[digitsEnd + 1]) {
                index = skipBlanks(bytes, from: digitsEnd + 1, to: line.upperBound)
                continue
            }
            break
        }
        return index
    }

    /// Where masking may begin in a reStructuredText line: past its indentation
    /// and the first letter of a plain word, past a first word with punctuation
    /// (a bullet, an enumerator) and the character after it, past a field marker (`:param name:`) or a directive's `::`. Nil keeps
    /// the line whole: other explicit markup (targets, comments), option lists,
    /// line blocks and tables, whose layout within the line matters.
    private static func restructuredTextMaskStart(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Int? {
        let first = skipBlanks(bytes, from: line.lowerBound, to: line.upperBound)
        guard first < line.upperBound else { return nil }
        let second = first + 1 < line.upperBound ? bytes[first + 1] : 0x20
        switch bytes[first] {
        case UInt8(ascii: "."):
            guard second == UInt8(ascii: "."), let marker = find("::", bytes, first + 2..<line.upperBound) else { return nil }
            return contentStart(bytes, from: marker + 2, to: line.upperBound)
        case UInt8(ascii: ":"):
            // A field marker is `:name:` and a blank; without one this is text (`:ref:`...).
            var index = first + 2
            while index < line.upperBound {
                if bytes[index] == UInt8(ascii: ":") && (index + 1 == line.upperBound || isBlank(bytes[index + 1])) {
                    return contentStart(bytes, from: index + 1, to: line.upperBound)
                }
                index += 1
            }
        case UInt8(ascii: "-"), UInt8(ascii: "+"):
            guard isBlank(second) else { return nil }   // an option list, not a bullet
        case UInt8(ascii: "/"), UInt8(ascii: "|"), UInt8(ascii: "="):
            return nil
        default: break
        }
        var index = first
        var plainWord = true   // letters and digits only: not a bullet or an enumerator
        while index < line.upperBound && !isBlank(bytes[index]) {
            plainWord = plainWord && isAlphanumeric(bytes[index])
            index += 1
        }
        // A word of letters and digits is never a marker: its first letter keeps the line's text.
        return plainWord ? first + 1 : contentStart(bytes, from: index, to: line.upperBound)
    }

    /// Past the blanks from `start` and the character after them: a bullet's or
    /// a field's text must not become blank.
    private static func contentStart(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int {
        min(end, skipBlanks(bytes, from: start, to: end) + 1)
    }

    /// Whether byte `index` is within two of a reStructuredText inline markup
    /// character: markup may open on one line and close on a later one, and the
    /// scanner tells start and end strings by the characters next to them
    /// (`` `a `` opens, `` ` a `` does not), so those stay as written.
    private static func nearInlineMarkup(_ bytes: UnsafeBufferPointer<UInt8>, _ index: Int, _ line: Range<Int>) -> Bool {
        for position in max(line.lowerBound, index - 2)..<min(line.upperBound, index + 3) {
            switch bytes[position] {
            case UInt8(ascii: "`"), UInt8(ascii: "*"), UInt8(ascii: "|"), UInt8(ascii: "_"), UInt8(ascii: "["),
                 UInt8(ascii: "]"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: ":"), UInt8(ascii: "\\"):
                return true
            default: continue
            }
        }
        return false
    }

    private static func find(_ marker: StaticString, _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        let pattern = UnsafeBufferPointer(start: marker.utf8Start, count: marker.utf8CodeUnitCount)
        var index = range.lowerBound
        while index + pattern.count <= range.upperBound {
            if pattern.indices.allSatisfy({ bytes[index + $0] == pattern[$0] }) { return index }
            index += 1
        }
        return nil
    }

    /// A line of one punctuation character repeated (trailing blanks aside).
    private static func isAdornment(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        var end = line.upperBound
        while end > line.lowerBound && SourceText.isSpace(bytes[end - 1]) { end -= 1 }
        guard end > line.lowerBound else { return false }
        let character = bytes[line.lowerBound]
        guard isPrintableASCII(character), !isAlphanumeric(character), !isBlank(character) else { return false }
        return (line.lowerBound..<end).allSatisfy { bytes[$0] == character }
    }

    /// Whether a line holds a letter, digit or non-ASCII character: lines of
    /// punctuation alone are underlines, fences, breaks or borders, kept whole.
    private static func hasWordCharacter(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        line.contains { bytes[$0] >= 0x80 || isAlphanumeric(bytes[$0]) }
    }

    /// Printable ASCII, spaces and tabs: never control characters, and never
    /// part of a multi-byte character (a line keeps its length in characters).
    private static func isPrintableASCII(_ byte: UInt8) -> Bool {
        byte == 0x09 || (byte >= 0x20 && byte < 0x7F)
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isDigit(byte) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    private static func skipBlanks(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int {
        var index = start
        while index < end && isBlank(bytes[index]) { index += 1 }
        return index
    }
}
