import CTreeSitter
import QuarryCore

/// A definition captured by the chunk query.
struct Definition {
    var kind: DefinitionKind
    /// Byte range of the captured node.
    var node: Range<Int>
    /// Where the chunk starts: the node, or the doc comments right above it.
    var start: Int
    /// Where the chunk ends: the node, or a `;` / line comment right after it on its last line.
    var end: Int
    var name: Range<Int>?
    var scope: Range<Int>?
    var body: TSNode?
    /// Index of the query pattern that matched: among equal ranges the first pattern wins.
    var pattern: Int
    var parent = -1
    var children: [Int] = []
    var symbol = ""
}

/// The definitions of one parsed file, nested, named and turned into chunks.
struct Outline {
    let source: SourceText
    let grammar: Grammar
    let options: ChunkingOptions
    /// Prefix of every symbol in the file (Python module path); a `@package` overrides it.
    let filePrefix: String
    private(set) var definitions: [Definition] = []
    private var packages: [(start: Int, name: String)] = []

    init(source: SourceText, grammar: Grammar, options: ChunkingOptions, filePrefix: String) {
        self.source = source
        self.grammar = grammar
        self.options = options
        self.filePrefix = filePrefix
    }

    // MARK: Collecting

    mutating func collect(root: TSNode, cursor: OpaquePointer) {
        var found: [Definition] = []
        if let candidates = grammar.candidateSymbols {
            walk(root: root, cursor: cursor, candidates: candidates, into: &found)
        } else {
            ts_query_cursor_exec(cursor, grammar.query, root)
            var match = TSQueryMatch()
            while ts_query_cursor_next_match(cursor, &match) {
                if let definition = definition(in: match, rootedAt: nil) { found.append(definition) }
            }
        }
        Outline.extendHeadings(&found, source: source)
        // Outer definitions first; among equal ranges the earlier pattern wins.
        let ordered = found.enumerated().sorted {
            ($0.element.node.lowerBound, -$0.element.node.upperBound, $0.element.pattern, $0.offset)
                < ($1.element.node.lowerBound, -$1.element.node.upperBound, $1.element.pattern, $1.offset)
        }
        nest(ordered.map(\.element))
        // A braced `namespace X { }` matches both as a module and a package: it is a module.
        let moduleStarts = Set(definitions.filter { $0.kind == .module }.map(\.node.lowerBound))
        packages.removeAll { moduleStarts.contains($0.start) }
        attachCommentsAndNames()
    }

    /// Walks the tree, running the query only on nodes that can start a
    /// definition and not descending into functions or statements: whatever
    /// they contain stays in their text, and bodies are most of a file's nodes.
    private mutating func walk(root: TSNode, cursor: OpaquePointer, candidates: [Bool],
                               into found: inout [Definition]) {
        var walker = ts_tree_cursor_new(root)
        defer { ts_tree_cursor_delete(&walker) }
        var match = TSQueryMatch()
        var parents: [TSNode] = []
        traversal: while true {
            let node = ts_tree_cursor_current_node(&walker)
            var descend = true
            if candidates[Int(ts_node_symbol(node))] {
                // Limited to the node's first byte, the query only matches
                // patterns starting here (their captures may lie beyond).
                let start = ts_node_start_byte(node)
                ts_query_cursor_set_byte_range(cursor, start, start &+ 1)
                ts_query_cursor_exec(cursor, grammar.query, Outline.queryScope(of: node, parent: parents.last))
                while ts_query_cursor_next_match(cursor, &match) {
                    guard let definition = definition(in: match, rootedAt: node) else { continue }
                    if !definition.kind.isContainer { descend = false }
                    found.append(definition)
                }
            }
            if descend && ts_tree_cursor_goto_first_child(&walker) {
                parents.append(node)
                continue
            }
            while !ts_tree_cursor_goto_next_sibling(&walker) {
                guard ts_tree_cursor_goto_parent(&walker) else { break traversal }
                parents.removeLast()
            }
        }
        ts_query_cursor_set_byte_range(cursor, 0, UInt32.max)
    }

    /// The node to run the query on for matches rooted at `node`: the node
    /// itself, or its parent when the node is an alias (Markdown's nested
    /// sections are hidden rules aliased to `section`). A query run on an
    /// aliased node sees the hidden name (libtree-sitter 0.20 starts the
    /// query's tree cursor without the parent's alias) and matches nothing.
    private static func queryScope(of node: TSNode, parent: TSNode?) -> TSNode {
        guard let parent else { return node }
        var probe = ts_tree_cursor_new(node)
        defer { ts_tree_cursor_delete(&probe) }
        return ts_node_symbol(ts_tree_cursor_current_node(&probe)) == ts_node_symbol(node) ? node : parent
    }

    /// The definition a match captures; nil for packages (recorded aside),
    /// small `@query` statements, and matches not rooted at `root` when given.
    private mutating func definition(in match: TSQueryMatch, rootedAt root: TSNode?) -> Definition? {
        var kind: DefinitionKind?
        var node: Range<Int>?
        var name: Range<Int>?
        var scope: Range<Int>?
        var body: TSNode?
        var definitionNode: TSNode?
        for index in 0..<Int(match.capture_count) {
            let capture = match.captures[index]
            let role = Int(capture.index) < grammar.roles.count ? grammar.roles[Int(capture.index)] : .ignored
            switch role {
            case .definition(let captured):
                if let root, !ts_node_eq(root, capture.node) { return nil }
                kind = captured
                node = Outline.range(of: capture.node)
                definitionNode = capture.node
            case .name where name == nil: name = Outline.range(of: capture.node)
            case .scope where scope == nil: scope = Outline.range(of: capture.node)
            case .body where body == nil: body = capture.node
            default: break
            }
        }
        guard let kind, let node, !node.isEmpty else { return nil }
        if body == nil, let definitionNode {
            // A pattern may leave the body out to stay cheap to compile (a Swift
            // pattern with both name and body takes libtree-sitter 16 s to analyse).
            let field = ts_node_child_by_field_name(definitionNode, "body", 4)
            if !ts_node_is_null(field) { body = field }
        }
        switch kind {
        case .package:
            if let name { packages.append((node.lowerBound, symbolText(name))) }
            return nil
        case .query:
            let lines = source.line(ofByte: node.upperBound - 1) - source.line(ofByte: node.lowerBound) + 1
            if lines < options.largeStatementLines { return nil }   // small: stays top-level code
        default: break
        }
        return Definition(kind: kind, node: node, start: node.lowerBound, end: node.upperBound, name: name, scope: scope, body: body,
                          pattern: Int(match.pattern_index))
    }

    /// Keeps definitions that are top level or members of a container; drops
    /// those inside functions or statements (they stay in their parent's text)
    /// wrapper duplicates (an export or decorator around the same definition)
    /// and matches inside a container's header (`typedef struct tag {...} name`).
    private mutating func nest(_ ordered: [Definition]) {
        var stack: [Int] = []
        for var candidate in ordered {
            while let top = stack.last, definitions[top].node.upperBound <= candidate.node.lowerBound {
                stack.removeLast()
            }
            if let top = stack.last {
                let parent = definitions[top]
                guard candidate.node.upperBound <= parent.node.upperBound,
                      parent.kind.isContainer,
                      candidate.node != parent.node,
                      candidate.name == nil || candidate.name != parent.name,
                      parent.body.map({ Int(ts_node_start_byte($0)) <= candidate.node.lowerBound }) ?? true
                else { continue }
                candidate.parent = top
            }
            definitions.append(candidate)
            let index = definitions.count - 1
            if candidate.parent >= 0 { definitions[candidate.parent].children.append(index) }
            stack.append(index)
        }
    }

    private mutating func attachCommentsAndNames() {
        // Definitions are in pre-order, so a parent is named before its members
        // and the previous sibling has been seen when a definition is reached.
        var previousEnd = [Int](repeating: -1, count: definitions.count + 1)
        for index in definitions.indices {
            let definition = definitions[index]
            let slot = definition.parent + 1
            let bound = previousEnd[slot] >= 0 ? previousEnd[slot]
                : definition.parent >= 0 ? source.lineEnd(containing: definitions[definition.parent].node.lowerBound) : 0
            previousEnd[slot] = definition.node.upperBound
            let outer = definition.parent >= 0 ? definitions[definition.parent].symbol
                : prefix(at: definition.node.lowerBound)
            if definition.kind == .section {
                // Prose headings keep their words: `Contributing > Adding a language`.
                let heading = definition.name.map(headingText) ?? ""
                definitions[index].symbol = [outer, heading].filter { !$0.isEmpty }.joined(separator: " > ")
                continue
            }
            definitions[index].start = commentStart(above: definition.node.lowerBound, notBefore: bound)
            definitions[index].end = trailerEnd(after: definition.node.upperBound)
            definitions[index].symbol = qualify(outer, scope: definition.scope, name: definition.name)
        }
    }

    private func prefix(at offset: Int) -> String {
        packages.last(where: { $0.start <= offset })?.name ?? filePrefix
    }

    private func qualify(_ outer: String, scope: Range<Int>?, name: Range<Int>?) -> String {
        var parts: [String] = outer.isEmpty ? [] : [outer]
        if let scope {
            let text = symbolText(scope)
            if !text.isEmpty && text != "self" && text != "this" { parts.append(text) }
        }
        if let name {
            let text = symbolText(name)
            if !text.isEmpty { parts.append(text) }
        }
        return parts.joined(separator: ".")
    }

    /// A name as it appears in symbols: `::` and `\` separators become `.`,
    /// quotes, whitespace and template arguments (`Cache<K, V>::find`) go.
    private func symbolText(_ range: Range<Int>) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(range.count)
        let keepsAngles = contains("operator", range)
        var angleDepth = 0
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = source.bytes[index]
            if !keepsAngles && (byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">") || angleDepth > 0) {
                if byte == UInt8(ascii: "<") { angleDepth += 1 }
                if byte == UInt8(ascii: ">") { angleDepth = max(0, angleDepth - 1) }
                index += 1
                continue
            }
            if byte == UInt8(ascii: ":") && index + 1 < range.upperBound && source.bytes[index + 1] == byte {
                bytes.append(UInt8(ascii: "."))
                index += 2
                continue
            }
            switch byte {
            case UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(UInt8(ascii: "."))
            case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"): break
            case _ where SourceText.isSpace(byte): break
            default: bytes.append(byte)
            }
            index += 1
        }
        while bytes.first == UInt8(ascii: ".") { bytes.removeFirst() }
        while bytes.last == UInt8(ascii: ".") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A heading's words on one line: whitespace runs become one space, and
    /// the `#` markers and closing sequence of an ATX heading go.
    private func headingText(_ range: Range<Int>) -> String {
        let words = source.string(range).split(whereSeparator: \.isWhitespace)
        let kept = words.drop { $0.allSatisfy { $0 == "#" } }
        let text = kept.reversed().drop { $0.allSatisfy { $0 == "#" } }.reversed()
        return text.joined(separator: " ")
    }

    // MARK: Doc comments

    /// Just past what trails a definition on its last line and belongs to it:
    /// a `;` (`struct S {...};`, a SQL terminator) and a line comment
    /// (`}  // namespace auth`); else `offset`.
    private func trailerEnd(after offset: Int) -> Int {
        var index = skipSpaces(from: offset)
        var end = offset
        if index < source.count && source.bytes[index] == UInt8(ascii: ";") {
            end = index + 1
            index = skipSpaces(from: end)
        }
        if index < source.count && isLineComment(at: index) {
            end = source.lineEnd(containing: index)
            while end > index && SourceText.isSpace(source.bytes[end - 1]) { end -= 1 }
        }
        return end
    }

    private func skipSpaces(from offset: Int) -> Int {
        var index = offset
        while index < source.count && (source.bytes[index] == 0x20 || source.bytes[index] == 0x09) { index += 1 }
        return index
    }

    /// Start of the comment lines directly above `offset` (no blank line
    /// between), not reaching above `bound`; `offset` itself when there are none.
    private func commentStart(above offset: Int, notBefore bound: Int) -> Int {
        guard source.onlyIndentation(before: offset) else { return offset }
        var result = offset
        var lineStart = source.lineStart(containing: offset)
        var budget = 256   // lines: a pathological comment block must not cost much
        while lineStart > bound && budget > 0 {
            budget -= 1
            let previous = source.lineStart(containing: lineStart - 1)
            guard previous >= bound else { break }
            let text = source.trimmed(previous..<lineStart)
            guard !text.isEmpty else { break }
            let first = firstNonSpace(in: text)
            if isLineComment(at: first) || isAttributeLine(at: first) {
                result = first
                lineStart = previous
                continue
            }
            guard allowsBlockComments, endsWith("*/", text) else { break }
            // Walk up to the line opening the block comment.
            var opening = previous
            while true {
                let openingText = source.trimmed(opening..<source.lineEnd(containing: opening))
                if contains("/*", openingText) {
                    let openingFirst = firstNonSpace(in: openingText)
                    guard startsWith("/*", at: openingFirst) else { return result }
                    result = openingFirst
                    break
                }
                guard opening > bound, budget > 0 else { return result }
                budget -= 1
                opening = source.lineStart(containing: opening - 1)
                if opening < bound { return result }
            }
            lineStart = opening
        }
        return result
    }

    private var allowsBlockComments: Bool { grammar.blockComments }

    private func isLineComment(at offset: Int) -> Bool {
        for marker in grammar.lineComments where startsWith(marker, at: offset) {
            // `#[Attribute]` is a PHP 8 attribute, not a comment.
            if marker == [UInt8(ascii: "#")] && startsWith("#[", at: offset) { continue }
            return true
        }
        return false
    }

    /// An attribute written on its own line above a definition that the
    /// grammar keeps outside the definition's node (Rust's `#[derive(...)]`).
    private func isAttributeLine(at offset: Int) -> Bool {
        grammar.attributePrefixes.contains { startsWith($0, at: offset) }
    }

    private func startsWith(_ marker: [UInt8], at offset: Int) -> Bool {
        guard offset + marker.count <= source.count else { return false }
        for index in marker.indices where source.bytes[offset + index] != marker[index] { return false }
        return true
    }

    private func firstNonSpace(in range: Range<Int>) -> Int {
        var index = range.lowerBound
        while index < range.upperBound && SourceText.isSpace(source.bytes[index]) { index += 1 }
        return index
    }

    private func startsWith(_ marker: StaticString, at offset: Int) -> Bool {
        let count = marker.utf8CodeUnitCount
        guard offset + count <= source.count else { return false }
        let pointer = marker.utf8Start
        for index in 0..<count where source.bytes[offset + index] != pointer[index] { return false }
        return true
    }

    private func endsWith(_ marker: StaticString, _ range: Range<Int>) -> Bool {
        let start = range.upperBound - marker.utf8CodeUnitCount
        return start >= range.lowerBound && startsWith(marker, at: start)
    }

    private func contains(_ marker: StaticString, _ range: Range<Int>) -> Bool {
        var index = range.lowerBound
        while index + marker.utf8CodeUnitCount <= range.upperBound {
            if startsWith(marker, at: index) { return true }
            index += 1
        }
        return false
    }

    // MARK: Emitting

    func emit(into assembler: inout ChunkAssembler) {
        var topLevel: [Range<Int>] = []
        var cursor = 0
        for definition in definitions {
            let signature = signatureText(of: definition)
            if definition.kind.isContainer {
                assembler.emit(containerRanges(of: definition), kind: definition.kind.chunkKind,
                               symbol: definition.symbol, prefix: signature,
                               span: definition.start..<definition.end)
            } else {
                assembler.emit(statementRanges(of: definition), kind: definition.kind.chunkKind,
                               symbol: definition.symbol, prefix: signature)
            }
            if definition.parent < 0 {
                topLevel.append(cursor..<max(cursor, cutStart(of: definition)))
                cursor = definition.end
            }
        }
        topLevel.append(cursor..<source.count)
        let leftovers = topLevel.map { source.trimmed($0) }.filter(hasWordCharacter)
        assembler.emit(leftovers, kind: .toplevel, symbol: packages.first?.name ?? filePrefix)
    }

    /// Where a definition's text is cut from its surroundings: the start of its
    /// line when only indentation precedes it, so the gap keeps whole lines.
    private func cutStart(of definition: Definition) -> Int {
        source.onlyIndentation(before: definition.start) ? source.lineStart(containing: definition.start) : definition.start
    }

    /// Whether a leftover holds anything but punctuation (a lone `};` is not worth a chunk).
    private func hasWordCharacter(_ range: Range<Int>) -> Bool {
        for index in range {
            let byte = source.bytes[index]
            if byte >= 0x80 || (byte >= 0x30 && byte <= 0x39) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A) {
                return true
            }
        }
        return false
    }

    /// The container's text with each member replaced by its signature line(s).
    private func containerRanges(of definition: Definition) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var cursor = definition.start
        for childIndex in definition.children {
            let child = definitions[childIndex]
            let gap = source.trimmed(cursor..<max(cursor, cutStart(of: child)))
            if !gap.isEmpty { ranges.append(gap) }
            let signature = signatureRange(of: child)
            let stubStart = source.onlyIndentation(before: signature.lowerBound)
                ? source.lineStart(containing: signature.lowerBound) : signature.lowerBound
            ranges.append(stubStart..<signature.upperBound)
            cursor = child.end
        }
        ranges.append(source.trimmed(cursor..<max(cursor, definition.end)))
        return ranges
    }

    /// The definition cut at the end of each body statement: the places an
    /// oversized function may be split.
    private func statementRanges(of definition: Definition) -> [Range<Int>] {
        let end = definition.end
        guard let body = definition.body else { return [definition.start..<end] }
        var ranges: [Range<Int>] = []
        var cursor = definition.start
        for boundary in statementEnds(in: body) where boundary > cursor && boundary < end {
            ranges.append(cursor..<boundary)
            cursor = boundary
        }
        ranges.append(cursor..<end)
        return ranges
    }

    private func statementEnds(in body: TSNode) -> [Int] {
        var node = body
        var ends: [Int] = []
        // A body that wraps a single list (Go's statement_list) is looked through.
        for _ in 0..<3 {
            ends.removeAll(keepingCapacity: true)
            var only: TSNode?
            var walker = ts_tree_cursor_new(node)
            defer { ts_tree_cursor_delete(&walker) }
            if ts_tree_cursor_goto_first_child(&walker) {
                repeat {
                    let child = ts_tree_cursor_current_node(&walker)
                    if ts_node_is_named(child) {
                        ends.append(Int(ts_node_end_byte(child)))
                        only = ends.count == 1 ? child : nil
                    }
                } while ts_tree_cursor_goto_next_sibling(&walker)
            }
            guard ends.count == 1, let only else { break }
            node = only
        }
        return ends
    }

    /// The definition's header: from its node start to its body (or the end of
    /// its name's line), trimmed; at most a few lines.
    private func signatureRange(of definition: Definition) -> Range<Int> {
        let start = definition.node.lowerBound
        let nameLineEnd = source.lineEnd(containing: definition.name?.upperBound ?? start)
        var end = definition.body.map { Int(ts_node_start_byte($0)) } ?? nameLineEnd
        if end <= start || end > definition.node.upperBound { end = nameLineEnd }
        let lines = source.line(ofByte: max(start, end - 1)) - source.line(ofByte: start)
        if lines > 6 || end - start > 600 { end = min(nameLineEnd, start + 600) }
        while end > start && SourceText.isSpace(source.bytes[end - 1]) { end -= 1 }
        while end > start && !source.isScalarBoundary(end) { end -= 1 }
        return start..<end
    }

    private func signatureText(of definition: Definition) -> String {
        source.string(signatureRange(of: definition))
    }

    // MARK: Helpers

    static func range(of node: TSNode) -> Range<Int> {
        let start = Int(ts_node_start_byte(node))
        return start..<max(start, Int(ts_node_end_byte(node)))
    }

    /// The dotted module path of a Python file (`auth/views.py` -> `auth.views`):
    /// the trailing path components that are identifiers, stopping at `src`,
    /// `lib` and `site-packages`. Empty for other languages.
    static func modulePath(path: String, language: Language) -> String {
        guard language == .python else { return "" }
        var components = path.split(separator: "/")
        guard let file = components.popLast() else { return "" }
        let stem = file.split(separator: ".", omittingEmptySubsequences: false).first ?? file
        var parts: [Substring] = stem == "__init__" || !isIdentifier(stem) ? [] : [stem]
        let roots: Set<Substring> = ["src", "lib", "Lib", "site-packages", "dist-packages"]
        while let component = components.popLast(), !roots.contains(component), isIdentifier(component) {
            parts.insert(component, at: 0)
        }
        return parts.joined(separator: ".")
    }

    private static func isIdentifier(_ text: Substring) -> Bool {
        guard let first = text.utf8.first, !(first >= 0x30 && first <= 0x39) else { return false }
        return text.utf8.allSatisfy { $0 == 0x5F || ($0 >= 0x30 && $0 <= 0x39) || (($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A) }
    }
}
