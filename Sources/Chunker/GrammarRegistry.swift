import CTreeSitter
import Foundation
import QuarryCore

/// The role a query capture plays, decided once per grammar from its name.
enum CaptureRole: Sendable {
    case definition(DefinitionKind)
    case name, body, scope, ignored

    init(captureName: String) {
        switch captureName {
        case "function": self = .definition(.function)
        case "type": self = .definition(.type)
        case "module": self = .definition(.module)
        case "statement": self = .definition(.statement)
        case "query": self = .definition(.query)
        case "package": self = .definition(.package)
        case "section": self = .definition(.section)
        case "heading": self = .definition(.heading)
        case "name": self = .name
        case "body": self = .body
        case "scope": self = .scope
        default: self = .ignored
        }
    }
}

/// What a captured definition node is.
enum DefinitionKind: Sendable {
    /// Functions and methods: leaves, whatever they contain stays inside.
    case function
    /// Classes, structs, interfaces: header and fields, members cut out.
    case type
    /// Namespaces and modules: containers like types.
    case module
    /// CREATE TABLE/VIEW/FUNCTION ...: always a chunk.
    case statement
    /// Other SQL statements: a chunk only when large.
    case query
    /// A file-wide name prefix (Go/Java package, PHP `namespace X;`): no chunk.
    case package
    /// A document section whose node holds its subsections (Markdown).
    case section
    /// A heading alone (reStructuredText): its section runs to the next heading
    /// of the same or a higher level, and becomes a `.section`.
    case heading

    var isContainer: Bool { self == .type || self == .module || self == .section || self == .heading }

    var chunkKind: ChunkKind {
        switch self {
        case .function: return .function
        case .type: return .type
        case .module, .package: return .module
        case .statement, .query: return .statement
        case .section, .heading: return .doc
        }
    }
}

/// A tree-sitter grammar loaded from a shared object, with its compiled chunk query.
/// Immutable after loading; the query may be shared by chunkers on several threads.
public final class Grammar: @unchecked Sendable {
    public let language: Language
    public let libraryPath: String
    public let queryPath: String
    /// The ABI version the grammar was generated for.
    public let abiVersion: Int
    /// Line comment markers (`//`, `#`, `--`) whose comments above a definition belong to it.
    let lineComments: [[UInt8]]
    /// Whether `/* ... */` comments above a definition belong to it.
    let blockComments: Bool
    /// Starts of attribute lines that belong to the definition below them (`#[`).
    let attributePrefixes: [[UInt8]]
    let tsLanguage: OpaquePointer
    let query: OpaquePointer
    /// Role of each capture, indexed by capture id.
    let roles: [CaptureRole]
    /// Indexed by node symbol: can a definition pattern start at such a node?
    /// Nil when the query's shape does not allow walking the tree ourselves.
    let candidateSymbols: [Bool]?

    init(language: Language, libraryPath: String, symbol: String, queryPath: String,
         lineComments: [String] = ["//"], blockComments: Bool = true,
         attributePrefixes: [String] = []) throws(ChunkerError) {
        let name = language.rawValue
        guard let handle = dlopen(libraryPath, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            throw .libraryLoadFailed(language: name, path: libraryPath, reason: reason)
        }
        // The handle stays open for the life of the process: the TSLanguage
        // tables and external scanner live in it.
        guard let entry = dlsym(handle, symbol) else {
            throw .symbolMissing(language: name, symbol: symbol, path: libraryPath)
        }
        typealias LanguageFunction = @convention(c) () -> OpaquePointer?
        guard let tsLanguage = unsafeBitCast(entry, to: LanguageFunction.self)() else {
            throw .symbolMissing(language: name, symbol: symbol, path: libraryPath)
        }
        let version = Int(ts_language_version(tsLanguage))
        let supported = Int(TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION)...Int(TREE_SITTER_LANGUAGE_VERSION)
        guard supported.contains(version) else {
            throw .incompatibleABI(language: name, path: libraryPath, version: version, supported: supported)
        }
        guard let source = FileManager.default.contents(atPath: queryPath) else {
            throw .queryUnreadable(language: name, path: queryPath)
        }
        var errorOffset: UInt32 = 0
        var errorType = TSQueryErrorNone
        let compiled = source.withUnsafeBytes { raw -> OpaquePointer? in
            let base = raw.baseAddress?.assumingMemoryBound(to: CChar.self)
            return ts_query_new(tsLanguage, base, UInt32(raw.count), &errorOffset, &errorType)
        }
        guard let query = compiled else {
            throw .queryInvalid(language: name, path: queryPath, offset: Int(errorOffset),
                                problem: Grammar.describe(errorType))
        }
        var roles: [CaptureRole] = []
        for id in 0..<ts_query_capture_count(query) {
            var length: UInt32 = 0
            let namePointer = ts_query_capture_name_for_id(query, id, &length)
            let captureName = namePointer.map {
                String(decoding: UnsafeRawBufferPointer(start: $0, count: Int(length)), as: UTF8.self)
            } ?? ""
            roles.append(CaptureRole(captureName: captureName))
        }
        guard roles.contains(where: { if case .definition(let kind) = $0 { kind != .package } else { false } }) else {
            ts_query_delete(query)
            throw .queryWithoutDefinitions(language: name, path: queryPath)
        }
        self.candidateSymbols = Grammar.candidateSymbols(query: [UInt8](source), language: tsLanguage)
        self.language = language
        self.libraryPath = libraryPath
        self.queryPath = queryPath
        self.abiVersion = version
        self.lineComments = lineComments.filter { !$0.isEmpty }.map { Array($0.utf8) }
        self.blockComments = blockComments
        self.attributePrefixes = attributePrefixes.filter { !$0.isEmpty }.map { Array($0.utf8) }
        self.tsLanguage = tsLanguage
        self.query = query
        self.roles = roles
    }

    deinit { ts_query_delete(query) }

    private static func candidateSymbols(query: [UInt8], language: OpaquePointer) -> [Bool]? {
        let kinds: Set<String> = ["function", "type", "module", "statement", "query", "package", "section", "heading"]
        guard let roots = QueryRoots.nodeTypes(in: query, definitionCaptures: kinds) else { return nil }
        var table = [Bool](repeating: false, count: Int(UInt16.max) + 1)
        for id in 0..<ts_language_symbol_count(language) {
            let symbol = TSSymbol(truncatingIfNeeded: id)
            guard ts_language_symbol_type(language, symbol) == TSSymbolTypeRegular,
                  let name = ts_language_symbol_name(language, symbol) else { continue }
            if roots.contains(String(cString: name)) { table[Int(symbol)] = true }
        }
        if roots.contains("ERROR") { table[Int(UInt16.max)] = true }   // ts_builtin_sym_error
        return table
    }

    private static func describe(_ error: TSQueryError) -> String {
        switch error {
        case TSQueryErrorSyntax: return "syntax"
        case TSQueryErrorNodeType: return "unknown node type"
        case TSQueryErrorField: return "unknown field"
        case TSQueryErrorCapture: return "capture"
        case TSQueryErrorStructure: return "impossible pattern"
        case TSQueryErrorLanguage: return "language"
        default: return "query"
        }
    }
}

/// The grammars found in a grammar directory, loaded at run time.
///
/// The directory holds `manifest.json` plus, per language, a shared object
/// and a chunk query. A language whose entry fails to load is reported by
/// `problem(for:)` and chunked by line windows; only an unreadable directory
/// or manifest is an error for the registry as a whole.
public final class GrammarRegistry: @unchecked Sendable {
    public let directory: String
    private let grammars: [Language: Grammar]
    private let problems: [Language: ChunkerError]
    /// Manifest entries whose language is not a valid name (kept for diagnostics).
    public let unknownLanguages: [String]
    /// The manifest's entries that loaded, for their detection rules (extensions, interpreters).
    public let entries: [Language: GrammarManifestEntry]

    /// A registry without grammars: every language is chunked by line windows.
    public static let empty = GrammarRegistry()

    private init() {
        directory = ""
        grammars = [:]
        problems = [:]
        unknownLanguages = []
        entries = [:]
    }

    /// Loads every grammar listed in `<directory>/manifest.json`.
    /// - Parameter queryDirectory: where the `.scm` chunk queries are read from
    ///   instead of the manifest's paths (used to test queries from the source tree).
    public init(directory: String, queryDirectory: String? = nil) throws(ChunkerError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .directoryMissing(path: directory)
        }
        let manifestPath = (directory as NSString).appendingPathComponent("manifest.json")
        let entries = try GrammarManifest.read(path: manifestPath)
        var grammars: [Language: Grammar] = [:]
        var problems: [Language: ChunkerError] = [:]
        var unknown: [String] = []
        var loaded: [Language: GrammarManifestEntry] = [:]
        for entry in entries {
            guard let language = Language(rawValue: entry.language), language.hasGrammar else {
                unknown.append(entry.language)
                continue
            }
            let library = GrammarManifest.resolve(entry.library, in: directory)
            let query = queryDirectory.map {
                ($0 as NSString).appendingPathComponent(entry.querySource ?? "\(language.rawValue).scm")
            }
                ?? GrammarManifest.resolve(entry.query, in: directory)
            do {
                grammars[language] = try Grammar(language: language, libraryPath: library,
                                                 symbol: entry.symbol, queryPath: query,
                                                 lineComments: entry.lineComments ?? ["//"],
                                                 blockComments: entry.blockComments ?? true,
                                                 attributePrefixes: entry.attributePrefixes)
                loaded[language] = entry
            } catch {
                problems[language] = error
            }
        }
        self.directory = directory
        self.grammars = grammars
        self.problems = problems
        self.unknownLanguages = unknown
        self.entries = loaded
    }

    /// The loaded grammar for `language`, or nil when it is chunked by line windows.
    public func grammar(for language: Language) -> Grammar? { grammars[language] }

    /// Why `language` has no grammar: the load error, or nil when it loaded
    /// (or was never listed, see `loadedLanguages`).
    public func problem(for language: Language) -> ChunkerError? { problems[language] }

    /// Languages with a usable grammar.
    public var loadedLanguages: [Language] { grammars.keys.sorted() }

    /// The languages `<directory>/manifest.json` lists, without loading their
    /// grammars; empty when there is no readable manifest.
    public static func listedLanguages(directory: String) -> [Language] {
        let path = (directory as NSString).appendingPathComponent("manifest.json")
        let entries = (try? GrammarManifest.read(path: path)) ?? []
        return entries.compactMap { Language(rawValue: $0.language) }
    }

    /// `$QUARRY_GRAMMARS`, else `$QUARRY_HOME/grammars`, else `~/.cache/quarry/grammars`.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit = environment["QUARRY_GRAMMARS"], !explicit.isEmpty { return explicit }
        let home = environment["QUARRY_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) as NSString).appendingPathComponent(".cache/quarry")
        return (home as NSString).appendingPathComponent("grammars")
    }
}
