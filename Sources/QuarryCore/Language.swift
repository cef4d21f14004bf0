/// A source language, named as in the grammar manifest (`python`, `rust`, `csharp`).
///
/// An open set rather than an enum: a language whose grammar, query and
/// detection rules come from `Grammars/manifest.json` works without a change
/// to Quarry. The constants below are the languages Quarry ships grammars for
/// (or recognises); `.other` is every text file without a language, chunked by
/// line windows.
public struct Language: RawRepresentable, Sendable, Codable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: String

    /// Nil unless `rawValue` is a plausible language name: 1-32 lowercase
    /// ASCII letters, digits, `_`, `-` or `+`, starting with a letter.
    public init?(rawValue: String) {
        let bytes = rawValue.utf8
        guard let first = bytes.first, (0x61...0x7A).contains(first), bytes.count <= 32,
              bytes.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0)
                  || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") })
        else { return nil }
        self.rawValue = rawValue
    }

    private init(known: String) { rawValue = known }

    public static let python = Language(known: "python")
    public static let go = Language(known: "go")
    public static let java = Language(known: "java")
    public static let javascript = Language(known: "javascript")
    public static let php = Language(known: "php")
    public static let ruby = Language(known: "ruby")
    public static let sql = Language(known: "sql")
    public static let c = Language(known: "c")
    public static let cpp = Language(known: "cpp")
    public static let typescript = Language(known: "typescript")
    public static let tsx = Language(known: "tsx")
    public static let rust = Language(known: "rust")
    public static let swift = Language(known: "swift")
    public static let kotlin = Language(known: "kotlin")
    public static let csharp = Language(known: "csharp")
    public static let scala = Language(known: "scala")
    public static let bash = Language(known: "bash")
    public static let lua = Language(known: "lua")
    public static let markdown = Language(known: "markdown")
    public static let rst = Language(known: "rst")
    public static let objectiveC = Language(known: "objc")
    public static let other = Language(known: "other")

    /// Languages Quarry ships a grammar for (`Grammars/manifest.json`).
    public static let parsed: [Language] = [
        .python, .go, .java, .javascript, .php, .ruby, .sql, .c, .cpp,
        .typescript, .tsx, .rust, .swift, .kotlin, .csharp, .scala, .bash, .lua, .markdown, .rst,
    ]

    /// Every language Quarry recognises without a grammar manifest, `.other` last.
    public static let allCases: [Language] = parsed + [.objectiveC, .other]

    /// Whether this language could be chunked with a grammar (as opposed to
    /// line windows); whether one is loaded is the grammar registry's business.
    public var hasGrammar: Bool { self != .other }

    /// Documents rather than code: chunked by heading section, and long lines are normal.
    public var isProse: Bool { self == .markdown || self == .rst }

    public var description: String { rawValue }

    public static func < (lhs: Language, rhs: Language) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let language = Language(rawValue: name) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "not a language name: \(name)"))
        }
        self = language
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
