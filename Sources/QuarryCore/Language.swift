/// A source language Quarry knows how to recognise.
///
/// The nine languages with tree-sitter grammars are chunked by function;
/// every other text file is chunked by line windows under `.other`.
public enum Language: String, Sendable, Codable, CaseIterable, Hashable {
    case python, go, java, javascript, php, ruby, sql, c, cpp
    case other

    /// Languages chunked with a tree-sitter grammar.
    public static let parsed: [Language] = [.python, .go, .java, .javascript, .php, .ruby, .sql, .c, .cpp]

    /// Whether this language is chunked with a grammar (as opposed to line windows).
    public var hasGrammar: Bool { self != .other }
}
