import CTreeSitter
import QuarryCore

/// Splits source files into function-level chunks using tree-sitter grammars
/// and their chunk queries; files without a usable grammar get line windows.
///
/// Not thread-safe: it reuses one parser and one query cursor. Create one per
/// worker thread (the registry may be shared).
public final class Chunker {
    public let registry: GrammarRegistry
    public let options: ChunkingOptions
    private let parser: OpaquePointer
    private let cursor: OpaquePointer
    private var activeLanguage: OpaquePointer?
    /// Whether prose is parsed through its `ProseMask` copy; tests turn it off
    /// to check that masking leaves every chunk as it was.
    var masksProse = true

    public init(registry: GrammarRegistry = .empty, options: ChunkingOptions = ChunkingOptions()) {
        self.registry = registry
        self.options = options
        parser = ts_parser_new()
        cursor = ts_query_cursor_new()
        ts_parser_set_timeout_micros(parser, options.parseTimeoutMicroseconds)
    }

    deinit {
        ts_query_cursor_delete(cursor)
        ts_parser_delete(parser)
    }

    /// Why `language` is chunked by line windows, or nil when its grammar is in use.
    public func fallbackReason(for language: Language) -> String? {
        guard language.hasGrammar else { return "no grammar for this language" }
        if registry.grammar(for: language) != nil { return nil }
        return registry.problem(for: language)?.description ?? "no \(language.rawValue) grammar in the manifest"
    }

    /// The chunks of one file, in file order. Never fails: a file that does not
    /// parse still yields the definitions that did, and a language without a
    /// grammar (or a parse that times out) yields line windows.
    public func chunks(of text: String, language: Language, path: String) -> [Chunk] {
        var text = text
        return text.withUTF8 { chunks(ofUTF8: $0, language: language, path: path) }
    }

    /// `chunks(of:language:path:)` over UTF-8 bytes already in memory.
    public func chunks(ofUTF8 bytes: UnsafeBufferPointer<UInt8>, language: Language, path: String) -> [Chunk] {
        let source = SourceText(bytes)
        guard !source.isBlank(0..<source.count) else { return [] }
        var assembler = ChunkAssembler(source: source, options: options, language: language)
        guard let grammar = registry.grammar(for: language), !Chunker.nestsTooDeep(source, language: language),
              let tree = parseMasked(bytes, language: language, grammar: grammar) else {
            assembler.emitLineWindows(0..<source.count, kind: .lines, symbol: "")
            return assembler.chunks
        }
        defer { ts_tree_delete(tree) }
        var outline = Outline(source: source, grammar: grammar, options: options,
                              filePrefix: Outline.modulePath(path: path, language: language))
        outline.collect(root: ts_tree_root_node(tree), cursor: cursor)
        outline.emit(into: &assembler)
        // Containers are emitted before their members and top-level code last:
        // present everything in file order.
        return assembler.chunks.enumerated()
            .sorted { ($0.element.startByte, $0.offset) < ($1.element.startByte, $1.offset) }
            .map(\.element)
    }

    /// Whether a document nests block quotes or indentation deeper than its
    /// grammar's scanner survives: tree-sitter-markdown aborts the process
    /// (an assertion in libtree-sitter 0.20's stack) at about 500 nested block
    /// quotes, so such a file gets line windows instead.
    static func nestsTooDeep(_ source: SourceText, language: Language) -> Bool {
        guard language.isProse else { return false }
        var markers = 0
        var index = 0
        while index < source.count {
            let byte = source.bytes[index]
            if byte == 0x0A {
                markers = 0
            } else if byte == UInt8(ascii: ">") || byte == 0x20 || byte == 0x09 {
                if markers >= 0 { markers += 1 }
                if markers > 256 { return true }
            } else {
                markers = -1   // past the line's leading markers
            }
            index += 1
        }
        return false
    }

    /// Parses prose through its masked copy (`ProseMask`), other languages as written.
    private func parseMasked(_ bytes: UnsafeBufferPointer<UInt8>, language: Language, grammar: Grammar) -> OpaquePointer? {
        guard masksProse, let masked = ProseMask.masked(bytes, language: language) else {
            return parse(bytes, grammar: grammar)
        }
        return masked.withUnsafeBufferPointer { parse($0, grammar: grammar) }
    }

    private func parse(_ bytes: UnsafeBufferPointer<UInt8>, grammar: Grammar) -> OpaquePointer? {
        guard bytes.count < Int(UInt32.max), let base = bytes.baseAddress else { return nil }
        if activeLanguage != grammar.tsLanguage {
            guard ts_parser_set_language(parser, grammar.tsLanguage) else { return nil }
            activeLanguage = grammar.tsLanguage
        }
        let tree = UnsafeRawPointer(base).withMemoryRebound(to: CChar.self, capacity: bytes.count) {
            ts_parser_parse_string(parser, nil, $0, UInt32(bytes.count))
        }
        // A timed-out parse leaves state behind that would resume on the next file.
        if tree == nil { ts_parser_reset(parser) }
        return tree
    }
}
