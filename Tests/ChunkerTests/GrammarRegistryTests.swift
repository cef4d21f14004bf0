import Foundation
import QuarryCore
import XCTest
@testable import Chunker

/// Loading grammars from a directory, and the errors when that fails.
final class GrammarRegistryTests: XCTestCase {
    private var scratch = ""

    override func setUpWithError() throws {
        scratch = NSTemporaryDirectory() + "chunker-registry-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: scratch)
    }

    private func write(_ text: String, to name: String) throws {
        try text.write(toFile: scratch + "/" + name, atomically: true, encoding: .utf8)
    }

    /// A real grammar's shared object, for manifests that point at it.
    private func pythonLibrary() throws -> String {
        let registry = try TestSupport.grammarRegistry(for: .python)
        return try XCTUnwrap(registry.grammar(for: .python)?.libraryPath)
    }

    func testMissingDirectoryIsAnError() {
        XCTAssertThrowsError(try GrammarRegistry(directory: scratch + "/absent")) { error in
            XCTAssertEqual(error as? ChunkerError, .directoryMissing(path: scratch + "/absent"))
            XCTAssertTrue("\(error)".contains("Grammars/build.sh"))
        }
    }

    func testMissingOrCorruptManifestIsAnError() throws {
        XCTAssertThrowsError(try GrammarRegistry(directory: scratch)) { error in
            guard case .manifestUnreadable(_, let reason)? = error as? ChunkerError else { return XCTFail("\(error)") }
            XCTAssertEqual(reason, "file missing or unreadable")
        }
        try write("{\"grammars\": [", to: "manifest.json")
        XCTAssertThrowsError(try GrammarRegistry(directory: scratch)) { error in
            XCTAssertTrue("\(error)".hasPrefix("grammar manifest \(scratch)/manifest.json is unusable: not JSON"), "\(error)")
        }
        try write("{\"grammars\": 3}", to: "manifest.json")
        XCTAssertThrowsError(try GrammarRegistry(directory: scratch))
    }

    func testBrokenEntriesFallBackToLineWindowsWithAReason() throws {
        let library = try pythonLibrary()
        try write("(function_definition name: (identifier) @name) @function", to: "good.scm")
        try write("(function_definition nonsense: (identifier)) @function", to: "bad.scm")
        try write("""
        {"grammars": [
          {"language": "python", "library": "\(library)", "query": "good.scm"},
          {"language": "go", "library": "missing.so"},
          {"language": "ruby", "library": "\(library)", "symbol": "tree_sitter_nope"},
          {"language": "java", "library": "\(library)", "symbol": "tree_sitter_python", "query": "bad.scm"},
          {"language": "c", "library": "\(library)", "symbol": "tree_sitter_python", "query": "absent.scm"},
          {"language": "Not A Language", "library": "kotlin.so"}
        ]}
        """, to: "manifest.json")
        let registry = try GrammarRegistry(directory: scratch)
        XCTAssertEqual(registry.loadedLanguages, [.python])
        XCTAssertEqual(registry.unknownLanguages, ["Not A Language"])
        guard case .libraryLoadFailed(let language, let path, _)? = registry.problem(for: .go) else {
            return XCTFail("\(String(describing: registry.problem(for: .go)))")
        }
        XCTAssertEqual(language, "go")
        XCTAssertEqual(path, scratch + "/missing.so")
        XCTAssertEqual(registry.problem(for: .ruby), .symbolMissing(language: "ruby", symbol: "tree_sitter_nope", path: library))
        guard case .queryInvalid(_, _, let offset, let problem)? = registry.problem(for: .java) else {
            return XCTFail("\(String(describing: registry.problem(for: .java)))")
        }
        XCTAssertEqual(offset, 21)
        XCTAssertEqual(problem, "unknown field")
        XCTAssertEqual(registry.problem(for: .c), .queryUnreadable(language: "c", path: scratch + "/absent.scm"))
        for language in [Language.go, .ruby, .java, .c] {
            XCTAssertFalse(registry.problem(for: language)!.description.contains("\n"))
        }

        let chunker = Chunker(registry: registry)
        XCTAssertNil(chunker.fallbackReason(for: .python))
        XCTAssertEqual(chunker.fallbackReason(for: .ruby), "ruby grammar \(library) does not export tree_sitter_nope")
        XCTAssertEqual(chunker.fallbackReason(for: .sql), "no sql grammar in the manifest")
        let lines = chunker.chunks(of: "package main\nfunc main() {}\n", language: .go, path: "m.go")
        XCTAssertEqual(lines.map(\.kind), [.lines])
        let parsed = chunker.chunks(of: "def f():\n    return 1\n", language: .python, path: "f.py")
        XCTAssertEqual(parsed.map(\.kind), [.function])
    }

    /// A language Quarry has never heard of works from its manifest entry alone:
    /// its name, detection rules and comment markers are data.
    func testManifestAddsALanguageWithoutASwiftChange() throws {
        let library = try pythonLibrary()
        try write("(function_definition name: (identifier) @name body: (block) @body) @function", to: "snake.scm")
        try write("""
        {"grammars": [{"language": "snake", "library": "\(library)", "symbol": "tree_sitter_python",
          "query": "snake.scm", "extensions": ["snk"], "interpreters": ["snake"],
          "line_comments": ["#"], "block_comments": false}]}
        """, to: "manifest.json")
        let registry = try GrammarRegistry(directory: scratch)
        let snake = try XCTUnwrap(Language(rawValue: "snake"))
        XCTAssertEqual(registry.loadedLanguages, [snake])
        XCTAssertEqual(registry.entries[snake]?.extensions, ["snk"])
        XCTAssertEqual(registry.entries[snake]?.interpreters, ["snake"])
        XCTAssertEqual(GrammarRegistry.listedLanguages(directory: scratch), [snake])
        let chunks = Chunker(registry: registry).chunks(of: "x = 1\n\n# Doubles n.\ndef double(n):\n    return 2 * n\n",
                                                        language: snake, path: "a.snk")
        XCTAssertEqual(TestSupport.outline(chunks), ["toplevel  1-1", "function double 3-5"])
        XCTAssertEqual(chunks.last?.text.hasPrefix("# Doubles n."), true, "the manifest's comment marker applies")
    }

    func testQueryWithoutDefinitionCapturesIsRejected() throws {
        let library = try pythonLibrary()
        try write("(identifier) @name", to: "python.scm")
        try write("[{\"language\": \"python\", \"library\": \"\(library)\"}]", to: "manifest.json")
        let registry = try GrammarRegistry(directory: scratch)
        XCTAssertEqual(registry.problem(for: .python),
                       .queryWithoutDefinitions(language: "python", path: scratch + "/python.scm"))
    }

    func testKeyedManifestWithConventionalFileNames() throws {
        let library = try pythonLibrary()
        try FileManager.default.createSymbolicLink(atPath: scratch + "/python.so", withDestinationPath: library)
        try FileManager.default.copyItem(atPath: TestSupport.queries + "/python.scm", toPath: scratch + "/python.scm")
        try write("{\"languages\": {\"python\": {}}}", to: "manifest.json")
        let registry = try GrammarRegistry(directory: scratch)
        let grammar = try XCTUnwrap(registry.grammar(for: .python))
        XCTAssertEqual(grammar.libraryPath, scratch + "/python.so")
        XCTAssertEqual(grammar.queryPath, scratch + "/python.scm")
        XCTAssertEqual(grammar.abiVersion, 14)
    }

    func testDefaultDirectoryPrecedence() {
        XCTAssertEqual(GrammarRegistry.defaultDirectory(environment: ["QUARRY_GRAMMARS": "/g", "QUARRY_HOME": "/h"]), "/g")
        XCTAssertEqual(GrammarRegistry.defaultDirectory(environment: ["QUARRY_HOME": "/h", "HOME": "/u"]), "/h/grammars")
        XCTAssertEqual(GrammarRegistry.defaultDirectory(environment: ["HOME": "/u"]), "/u/.cache/quarry/grammars")
    }

    func testEveryShippedQueryCompilesAgainstItsGrammar() throws {
        guard let registry = TestSupport.registry else { throw XCTSkip("no grammar directory; run Grammars/build.sh") }
        for language in Language.parsed {
            if let problem = registry.problem(for: language) { XCTFail("\(problem)") }
            // Shipped queries must allow the fast walk (definition capture on the pattern root).
            XCTAssertNotNil(registry.grammar(for: language)?.candidateSymbols, language.rawValue)
        }
    }

    func testQueryRootsNeedTheDefinitionCaptureOnTheOutermostNode() {
        let kinds: Set<String> = ["function", "type"]
        func roots(_ query: String) -> Set<String>? {
            QueryRoots.nodeTypes(in: Array(query.utf8), definitionCaptures: kinds)
        }
        XCTAssertEqual(roots("""
            ; comment with (parens
            (function_definition name: (identifier) @name body: (block) @body) @function
            [(class_definition) (struct_item "(" @x)] @type
            (call (#eq? @f "x)")) @function
            """), ["function_definition", "class_definition", "struct_item", "call"])
        XCTAssertNil(roots("(module (function_definition) @function)"), "capture on a child")
        XCTAssertNil(roots("(_ (identifier)) @function"), "wildcard root")
        XCTAssertNil(roots("((identifier) @function (#eq? @function \"x\"))"), "grouped root")
        XCTAssertNil(roots("(function_definition) @name"), "no definition capture")
        XCTAssertEqual(roots(""), [])
    }

    func testWholeTreeMatchingStillWorksForOtherQueryShapes() throws {
        let library = try pythonLibrary()
        try write("(module (function_definition name: (identifier) @name body: (block) @body) @function)", to: "python.scm")
        try write("[{\"language\": \"python\", \"library\": \"\(library)\"}]", to: "manifest.json")
        let registry = try GrammarRegistry(directory: scratch)
        XCTAssertNil(registry.grammar(for: .python)?.candidateSymbols)
        let chunks = Chunker(registry: registry).chunks(of: "def f():\n    return 1\n\nx = 2\n", language: .python, path: "m.py")
        XCTAssertEqual(TestSupport.outline(chunks), ["function m.f 1-2", "toplevel m 4-4"])
    }
}
