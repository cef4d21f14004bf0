import QuarryCore

/// Turns byte ranges of one file into chunks that fit the size budget.
struct ChunkAssembler {
    let source: SourceText
    let options: ChunkingOptions
    let language: Language
    private(set) var chunks: [Chunk] = []

    init(source: SourceText, options: ChunkingOptions, language: Language) {
        self.source = source
        self.options = options
        self.language = language
    }

    private struct Piece {
        var range: Range<Int>
        var cost: Int
    }

    private var limit: Int { options.maxChunkSize }

    private func measure(_ range: Range<Int>) -> Int { options.measure(source.string(range)) }

    /// Emits `ranges` (in file order, possibly discontiguous) as one chunk when
    /// they fit the budget, else as several: at range boundaries first, then at
    /// lines, then inside a line. Parts after the first begin with `prefix`
    /// (a signature), so each part still says what it belongs to.
    /// - Parameter span: the byte range a single chunk reports (a container's
    ///   whole extent, even though its members' bodies are left out of `text`).
    mutating func emit(_ ranges: [Range<Int>], kind: ChunkKind, symbol: String, prefix: String = "",
                       span: Range<Int>? = nil) {
        let ranges = ranges.filter { !$0.isEmpty }
        guard !ranges.isEmpty else { return }
        if var whole = render(ranges[...].map { Piece(range: $0, cost: 0) }[...], prefix: nil),
           options.measure(whole.text) <= limit {
            if let span { whole.range = span }
            append(whole, kind: kind, symbol: symbol)
            return
        }
        var prefix = prefix
        var prefixCost = prefix.isEmpty ? 0 : options.measure(prefix + "\n")
        if prefixCost > limit / 2 {
            // A signature eating half the budget would starve the parts: drop it.
            prefix = ""
            prefixCost = 0
        }
        let available = max(1, limit - prefixCost)
        var pieces: [Piece] = []
        for range in ranges { refine(range, available: available, into: &pieces) }
        var part: [Piece] = []
        var partCost = 0
        var isFirst = true
        for piece in pieces {
            if !part.isEmpty && partCost + piece.cost > available {
                emitVerified(part[...], isFirst: isFirst, prefix: prefix, kind: kind, symbol: symbol)
                isFirst = false
                part.removeAll(keepingCapacity: true)
                partCost = 0
            }
            part.append(piece)
            partCost += piece.cost
        }
        if !part.isEmpty {
            emitVerified(part[...], isFirst: isFirst, prefix: prefix, kind: kind, symbol: symbol)
        }
    }

    /// Line windows of `range` (`lineWindow` lines, `lineOverlap` shared), each within budget.
    mutating func emitLineWindows(_ range: Range<Int>, kind: ChunkKind, symbol: String) {
        let lines = source.lines(in: range)
        var first = 0
        while first < lines.count {
            var last = min(first + options.lineWindow, lines.count)   // exclusive
            // Shrink the window until it fits: halve the excess each round.
            while last - first > 1 && measure(lines[first].lowerBound..<lines[last - 1].upperBound) > limit {
                last = first + max(1, (last - first) / 2)
            }
            let window = lines[first].lowerBound..<lines[last - 1].upperBound
            if !source.isBlank(window) { emit([window], kind: kind, symbol: symbol) }
            if last >= lines.count { break }
            let overlapped = last - options.lineOverlap
            first = overlapped > first ? overlapped : last
        }
    }

    /// Splits `range` into pieces no larger than `available`: lines, then scalar runs.
    private func refine(_ range: Range<Int>, available: Int, into pieces: inout [Piece]) {
        let cost = measure(range)
        if cost <= available {
            pieces.append(Piece(range: range, cost: cost))
            return
        }
        let lines = source.lines(in: range)
        if lines.count > 1 {
            for line in lines { refine(line, available: available, into: &pieces) }
            return
        }
        // One line over budget (minified code, data): cut it between scalars.
        // Piece length from the line's overall density, measured once: measuring
        // the remainder for every piece would be quadratic on a megabyte line.
        let target = max(1, range.count * available / max(1, cost))
        var start = range.lowerBound
        while start < range.upperBound {
            var length = min(range.upperBound - start, target)
            while true {
                var end = start + length
                while end < range.upperBound && !source.isScalarBoundary(end) { end -= 1 }
                if end <= start {   // one scalar wider than `length`: take it whole
                    end = start + 1
                    while end < range.upperBound && !source.isScalarBoundary(end) { end += 1 }
                }
                let pieceCost = measure(start..<end)
                if pieceCost <= available || end - start <= 4 || length == 1 {
                    pieces.append(Piece(range: start..<end, cost: pieceCost))
                    start = end
                    break
                }
                length = max(1, length / 2)
            }
        }
    }

    /// Emits `part` if its rendered text fits; otherwise halves it until it does
    /// (a tokenizer's count is not exactly additive over pieces).
    private mutating func emitVerified(_ part: ArraySlice<Piece>, isFirst: Bool, prefix: String,
                                       kind: ChunkKind, symbol: String) {
        let usePrefix = isFirst || prefix.isEmpty ? nil : prefix
        guard let rendered = render(part, prefix: usePrefix) else { return }
        if options.measure(rendered.text) <= limit {
            append(rendered, kind: kind, symbol: symbol)
            return
        }
        if part.count > 1 {
            let middle = part.startIndex + part.count / 2
            emitVerified(part[..<middle], isFirst: isFirst, prefix: prefix, kind: kind, symbol: symbol)
            emitVerified(part[middle...], isFirst: false, prefix: prefix, kind: kind, symbol: symbol)
            return
        }
        guard let only = part.first else { return }
        if usePrefix != nil, let bare = render(part, prefix: nil), options.measure(bare.text) <= limit {
            append(bare, kind: kind, symbol: symbol)
            return
        }
        // A single piece over budget: cut it in two between scalars, or give up
        // on a lone scalar (only a budget smaller than one character gets here).
        var middle = (only.range.lowerBound + only.range.upperBound) / 2
        while middle > only.range.lowerBound && !source.isScalarBoundary(middle) { middle -= 1 }
        guard middle > only.range.lowerBound else {
            if let bare = render(part, prefix: nil) { append(bare, kind: kind, symbol: symbol) }
            return
        }
        let halves = [Piece(range: only.range.lowerBound..<middle, cost: 0),
                      Piece(range: middle..<only.range.upperBound, cost: 0)]
        emitVerified(halves[..<1], isFirst: isFirst, prefix: prefix, kind: kind, symbol: symbol)
        emitVerified(halves[1...], isFirst: false, prefix: prefix, kind: kind, symbol: symbol)
    }

    private struct Rendered {
        var text: String
        var range: Range<Int>
    }

    /// Joins the pieces' bytes (a newline between discontiguous ones), trimmed
    /// of leading blank lines and trailing whitespace; nil when blank.
    private func render(_ part: ArraySlice<Piece>, prefix: String?) -> Rendered? {
        guard let first = part.first, let last = part.last else { return nil }
        let head = source.trimmed(first.range)
        let start = head.isEmpty ? first.range.lowerBound : head.lowerBound
        var end = last.range.upperBound
        while end > start && SourceText.isSpace(source.bytes[end - 1]) { end -= 1 }
        guard end > start else { return nil }
        if prefix == nil && isContiguous(part) {
            return Rendered(text: source.string(start..<end), range: start..<end)
        }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(end - start + (prefix?.utf8.count ?? 0) + 1)
        if let prefix, !prefix.isEmpty {
            buffer.append(contentsOf: prefix.utf8)
            buffer.append(0x0A)
        }
        var previousEnd = -1
        for piece in part {
            let lower = max(piece.range.lowerBound, start)
            let upper = min(piece.range.upperBound, end)
            guard lower < upper else { continue }
            if previousEnd >= 0 && lower != previousEnd && buffer.last != 0x0A { buffer.append(0x0A) }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: source.bytes[lower..<upper]))
            previousEnd = upper
        }
        if source.isBlank(start..<end) { return nil }
        return Rendered(text: String(decoding: buffer, as: UTF8.self), range: start..<end)
    }

    private func isContiguous(_ part: ArraySlice<Piece>) -> Bool {
        var previous: Int?
        for piece in part {
            if let previous, previous != piece.range.lowerBound { return false }
            previous = piece.range.upperBound
        }
        return true
    }

    private mutating func append(_ rendered: Rendered, kind: ChunkKind, symbol: String) {
        let range = rendered.range
        chunks.append(Chunk(language: language, kind: kind, symbol: symbol,
                            startLine: source.line(ofByte: range.lowerBound),
                            endLine: source.line(ofByte: max(range.lowerBound, range.upperBound - 1)),
                            startByte: range.lowerBound, endByte: range.upperBound,
                            text: rendered.text))
    }
}
