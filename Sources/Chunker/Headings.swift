extension Outline {
    /// Turns `.heading` definitions (a title and its adornment lines, as
    /// reStructuredText grammars give them) into `.section`s that run to the
    /// next heading of the same or a higher level, so they nest like Markdown
    /// sections. Levels follow reStructuredText's rule: each new adornment
    /// style (underline character, with or without an overline) is one level
    /// deeper than the styles seen before it.
    static func extendHeadings(_ found: inout [Definition], source: SourceText) {
        let headings = found.indices.filter { found[$0].kind == .heading }
            .sorted { found[$0].node.lowerBound < found[$1].node.lowerBound }
        guard !headings.isEmpty else { return }
        var styles: [[UInt8]] = []
        var levels: [Int] = []
        for index in headings {
            let style = adornmentStyle(of: found[index].node, source: source)
            if !styles.contains(style) { styles.append(style) }
            levels.append(styles.firstIndex(of: style) ?? 0)
        }
        for (position, index) in headings.enumerated() {
            let next = headings[(position + 1)...].indices.first { levels[$0] <= levels[position] }
            let end = next.map { found[headings[$0]].node.lowerBound } ?? source.count
            found[index].kind = .section
            found[index].node = found[index].node.lowerBound..<max(found[index].node.upperBound, end)
            found[index].end = found[index].node.upperBound
        }
    }

    /// The adornment character of a heading's last line, marked when the
    /// heading also has an overline (`=` over and under is not `=` under only).
    private static func adornmentStyle(of node: Range<Int>, source: SourceText) -> [UInt8] {
        let lines = source.lines(in: node).map { source.trimmed($0) }.filter { !$0.isEmpty }
        guard let last = lines.last, let character = isAdornment(last, source) else { return [] }
        let overlined = lines.count > 1 && lines.first.flatMap { isAdornment($0, source) } == character
        return overlined ? [character, UInt8(ascii: "^")] : [character]
    }

    /// The character a line of repeated punctuation is made of, or nil.
    private static func isAdornment(_ line: Range<Int>, _ source: SourceText) -> UInt8? {
        var character: UInt8?
        for index in line {
            let byte = source.bytes[index]
            if SourceText.isSpace(byte) { continue }
            guard byte < 0x80, !(byte >= 0x30 && byte <= 0x39), !((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A),
                  character == nil || character == byte else { return nil }
            character = byte
        }
        return character
    }
}
