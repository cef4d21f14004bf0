import Foundation
import QuarryCore
import XCTest
@testable import Chunker

/// Inputs that must never crash the chunker or lose a whole file.
final class RobustnessTests: XCTestCase {
    private var chunker: Chunker { Chunker(registry: TestSupport.registry ?? .empty) }

    func testEmptyAndBlankFilesHaveNoChunks() {
        for language in Language.allCases {
            XCTAssertEqual(chunker.chunks(of: "", language: language, path: "x").count, 0)
            XCTAssertEqual(chunker.chunks(of: " \n\t\n\r\n", language: language, path: "x").count, 0)
        }
    }

    func testCommentOnlyFileIsOneTopLevelChunk() throws {
        let registry = try TestSupport.grammarRegistry(for: .c)
        let text = "/* Copyright notice.\n * All rights reserved.\n */\n\n// nothing else here\n"
        let chunks = Chunker(registry: registry).chunks(of: text, language: .c, path: "empty.c")
        XCTAssertEqual(TestSupport.outline(chunks), ["toplevel  1-5"])
    }

    func testDeeplyNestedCodeDoesNotCrash() throws {
        let depth = 20_000
        let samples: [(Language, String)] = [
            (.python, "def f():\n    x = " + String(repeating: "(", count: depth) + "1" + String(repeating: ")", count: depth) + "\n"),
            (.javascript, "function f() { return " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "; }\n"),
            (.c, "int f(void) " + String(repeating: "{", count: depth) + String(repeating: "}", count: depth) + "\n"),
            (.ruby, String(repeating: "module M\n", count: 2_000) + String(repeating: "end\n", count: 2_000)),
            (.cpp, String(repeating: "namespace n {\n", count: 2_000) + "void g() {}\n" + String(repeating: "}\n", count: 2_000)),
        ]
        let options = ChunkingOptions()
        for (language, text) in samples {
            let chunks = Chunker(registry: TestSupport.registry ?? .empty, options: options)
                .chunks(of: text, language: language, path: "deep")
            XCTAssertFalse(chunks.isEmpty, language.rawValue)
            XCTAssertTrue(chunks.allSatisfy { options.measure($0.text) <= options.maxChunkSize }, language.rawValue)
        }
    }

    /// The grammars added with issue 14 on hostile input: 20,000 levels of
    /// brackets, 2,000 nested block quotes, 20,000 open braces. Chunks come
    /// back within budget and reach the last line; nothing crashes.
    func testAddedGrammarsSurviveDeepNesting() throws {
        let added: [Language] = [.typescript, .tsx, .rust, .swift, .kotlin, .csharp, .scala, .bash, .lua, .markdown, .rst]
        let depth = 20_000
        let inputs = [
            "x = " + String(repeating: "(", count: depth) + "1" + String(repeating: ")", count: depth) + "\n",
            String(repeating: "> ", count: 2_000) + "quote\n" + String(repeating: "{", count: depth) + "\n",
        ]
        let options = ChunkingOptions()
        for language in added {
            guard let registry = TestSupport.registry, registry.grammar(for: language) != nil else { continue }
            let chunker = Chunker(registry: registry, options: options)
            for text in inputs {
                let chunks = chunker.chunks(of: text, language: language, path: "hostile")
                XCTAssertFalse(chunks.isEmpty, language.rawValue)
                XCTAssertTrue(chunks.allSatisfy { options.measure($0.text) <= options.maxChunkSize }, language.rawValue)
                XCTAssertEqual(chunks.map(\.endLine).max(), text.split(separator: "\n").count, language.rawValue)
            }
        }
        // Nesting a little below the limit is still parsed as a document.
        let registry = try TestSupport.grammarRegistry(for: .markdown)
        let quoted = "# Notes\n\n" + String(repeating: "> ", count: 100) + "deep quote\n"
        XCTAssertEqual(Chunker(registry: registry).chunks(of: quoted, language: .markdown, path: "q.md").map(\.kind), [.doc])
    }

    /// Regression: 35,000 repetitions of `ab(c)=` give one ERROR node over
    /// 65,535 children, on which Debian's libtree-sitter 0.20.7 freed memory
    /// twice and aborted the process (C, TypeScript, Swift; found by mutating
    /// the fixtures). The 0.24 core Quarry links parses them; chunks stay
    /// within budget and the many-line input keeps its last byte in a chunk.
    func testErrorNodeWithOver65535ChildrenDoesNotAbort() throws {
        let inputs = [
            String(repeating: "ab(c)=", count: 35_000),
            String(repeating: "ab(c)=\n", count: 35_000),
        ]
        let options = ChunkingOptions()
        for language in [Language.c, .typescript, .swift] {
            guard let registry = TestSupport.registry, registry.grammar(for: language) != nil else { continue }
            let chunker = Chunker(registry: registry, options: options)
            for (number, text) in inputs.enumerated() {
                let chunks = chunker.chunks(of: text, language: language, path: "garbage")
                XCTAssertTrue(chunks.allSatisfy { options.measure($0.text) <= options.maxChunkSize }, language.rawValue)
                // One-line inputs yield no chunk here (indexing skips them before
                // chunking, as minified); the many-line one must be covered to its end.
                if number == 1 {
                    XCTAssertGreaterThanOrEqual(chunks.map(\.endByte).max() ?? 0, text.utf8.count - 1, language.rawValue)
                }
            }
        }
    }

    func testParseErrorsKeepTheDefinitionsThatParsed() throws {
        let registry = try TestSupport.grammarRegistry(for: .python)
        let text = """
        def first(a):
            return a + 1

        def broken(:
            return ]]]

        class Later:
            def method(self):
                return 2

        def last():
            pass
        """
        let chunks = Chunker(registry: registry).chunks(of: text, language: .python, path: "bad.py")
        let symbols = Set(chunks.map(\.symbol))
        for expected in ["bad.first", "bad.Later", "bad.Later.method", "bad.last"] {
            XCTAssertTrue(symbols.contains(expected), "\(expected) missing from \(symbols)")
        }
        XCTAssertTrue(chunks.contains { $0.text.contains("return ]]]") }, "broken text is still indexed")
    }

    func testTrailingCommentsOnSharedLastLines() throws {
        let registry = try TestSupport.grammarRegistry(for: .python)
        let text = "class A:\n    def f(self): pass  # done\nclass B: x = 1; y = 2  # one line\n"
        let chunks = Chunker(registry: registry).chunks(of: text, language: .python, path: "t.py")
        XCTAssertEqual(TestSupport.outline(chunks), ["type t.A 1-2", "function t.A.f 2-2", "type t.B 3-3"])
        XCTAssertEqual(chunks[1].text, "def f(self): pass  # done")
    }

    func testWindowsLineEndingsAndNulBytes() throws {
        let registry = try TestSupport.grammarRegistry(for: .go)
        let text = "package p\r\n\r\n// Add adds.\r\nfunc Add(a, b int) int {\r\n\treturn a + b\r\n}\r\n\u{0}\u{0}garbage\r\n"
        let chunks = Chunker(registry: registry).chunks(of: text, language: .go, path: "p.go")
        let add = try XCTUnwrap(chunks.first { $0.symbol == "p.Add" })
        XCTAssertEqual(add.startLine, 3)
        XCTAssertEqual(add.endLine, 6)
        XCTAssertTrue(add.text.hasPrefix("// Add adds.\r\nfunc Add"))
    }

    func testChunkTextMatchesTheFileSliceForDefinitions() throws {
        let registry = try TestSupport.grammarRegistry(for: .java)
        let text = try TestSupport.fixture("java/LoginController.java")
        let bytes = Array(text.utf8)
        for chunk in Chunker(registry: registry).chunks(of: text, language: .java, path: "L.java")
        where chunk.kind == .function {
            XCTAssertEqual(chunk.text, String(decoding: bytes[chunk.startByte..<chunk.endByte], as: UTF8.self))
        }
    }

    func testChunkersOnSeveralThreadsShareOneRegistry() throws {
        let registry = try TestSupport.grammarRegistry(for: .java)
        let text = try TestSupport.fixture("java/LoginController.java")
        let expected = Chunker(registry: registry).chunks(of: text, language: .java, path: "L.java")
        let results = ResultBox(count: 4)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            let chunker = Chunker(registry: registry)
            var last: [Chunk] = []
            for _ in 0..<50 { last = chunker.chunks(of: text, language: .java, path: "L.java") }
            results.set(worker, last)
        }
        for worker in 0..<4 { XCTAssertEqual(results.get(worker), expected) }
    }

    func testOneChunkerServesSeveralLanguagesInTurn() throws {
        let registry = try TestSupport.grammarRegistry(for: .python)
        _ = try TestSupport.grammarRegistry(for: .go)
        let chunker = Chunker(registry: registry)
        for _ in 0..<3 {
            XCTAssertEqual(chunker.chunks(of: "def f():\n    pass\n", language: .python, path: "f.py").first?.symbol, "f.f")
            XCTAssertEqual(chunker.chunks(of: "package m\nfunc G() {}\n", language: .go, path: "g.go")
                .first { $0.kind == .function }?.symbol, "m.G")
        }
    }
}

/// Collects per-thread results for the concurrency test.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [[Chunk]]

    init(count: Int) { values = Array(repeating: [], count: count) }

    func set(_ index: Int, _ value: [Chunk]) {
        lock.lock()
        values[index] = value
        lock.unlock()
    }

    func get(_ index: Int) -> [Chunk] {
        lock.lock()
        defer { lock.unlock() }
        return values[index]
    }
}
