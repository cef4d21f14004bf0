import Foundation
import QuarryCore
import Store
import XCTest
@testable import Search
import TestSupport

/// `Searcher` resolving container hits through the store (issue 10), on the
/// shape met in a logging library: in `handlers.py`, class
/// `RotatingFileHandler` (119-200) with `__init__` (124-158) and
/// `shouldRollover` (183-200), then class `TimedRotatingFileHandler`
/// (202-453) touching it. Vectors put both classes first, then `__init__`,
/// then `shouldRollover`, then 60 functions of other files, then the
/// remaining methods.
final class MemberResolutionTests: XCTestCase {
    private var store: IndexStore!
    private var model: ModelRecord!
    private let dimension = 8
    private let query: [Float] = [1, 0, 0, 0, 0, 0, 0, 0]

    /// (symbol, kind, lines, similarity to the query, text)
    private let handlers: [(String, ChunkKind, ClosedRange<Int>, Float, String)] = [
        ("RotatingFileHandler", .type, 119...200, 0.95,
         "class RotatingFileHandler(BaseRotatingHandler):\n    def __init__(self, filename, maxBytes=0):\n"
            + "    def doRollover(self):\n    def shouldRollover(self, record):"),
        ("RotatingFileHandler.__init__", .function, 124...158, 0.90,
         "def __init__(self, filename, maxBytes=0):\n    self.maxBytes = maxBytes"),
        ("RotatingFileHandler.doRollover", .function, 160...181, 0.20,
         "def doRollover(self):\n    os.replace(self.baseFilename, self.baseFilename + '.1')"),
        ("RotatingFileHandler.shouldRollover", .function, 183...200, 0.88,
         "def shouldRollover(self, record):\n    return self.stream.tell() + len(record) >= self.maxBytes"),
        ("TimedRotatingFileHandler", .type, 202...453, 0.93,
         "class TimedRotatingFileHandler(BaseRotatingHandler):\n    def computeRollover(self, now):"),
        ("TimedRotatingFileHandler.computeRollover", .function, 230...300, 0.10,
         "def computeRollover(self, now):\n    return now + self.interval"),
    ]

    override func setUpWithError() throws {
        store = try scratchStore("members")

        var similarity: [String: Float] = [:]
        var blobs = [BlobRecord(id: "handlers", path: "handlers.py", language: .python, size: 9_000,
                                chunks: handlers.map { symbol, kind, lines, score, text in
            similarity[text] = score
            return Chunk(language: .python, kind: kind, symbol: symbol, startLine: lines.lowerBound,
                         endLine: lines.upperBound, startByte: 0, endByte: text.utf8.count, text: text)
        })]
        for i in 0..<60 {
            let text = "def other_\(i)():\n    return \(i)"
            similarity[text] = 0.5 - Float(i) / 1_000
            blobs.append(BlobRecord(id: "other\(i)", path: "other/m\(i).py", language: .python, size: 30, chunks: [
                Chunk(language: .python, kind: .function, symbol: "other_\(i)", startLine: 1, endLine: 2,
                      startByte: 0, endByte: text.utf8.count, text: text),
            ]))
        }
        try writeHead(blobs, to: store)

        model = try store.registerModel(name: "synthetic", revision: "1", dimension: dimension)
        var generator = SeededGenerator(seed: 3)
        var vectors: [(hash: ContentHash, vector: [Float])] = []
        for (hash, text) in try store.textsWithoutEmbeddings(model: model, limit: 1_000) {
            // Cosine `s` with the query: s along axis 0, the rest spread over the others.
            let s = try XCTUnwrap(similarity[text])
            var rest = (1..<dimension).map { _ in Float.random(in: -1...1, using: &generator) }
            let norm = rest.reduce(0) { $0 + $1 * $1 }.squareRoot()
            rest = rest.map { $0 / norm * (1 - s * s).squareRoot() }
            vectors.append((hash, [s] + rest))
        }
        try store.writeEmbeddings(vectors, model: model)
    }

    private func semantic(limit: Int) throws -> [SearchResult] {
        try Searcher(store: store, model: model).search("", queryVector: query, mode: .semantic, limit: limit)
    }

    func testTheRotatingHandlerShapeShowsBothMethodsAndTheNextClass() throws {
        let results = try semantic(limit: 5)
        XCTAssertEqual(results.prefix(3).map(\.chunk.symbol), [
            "RotatingFileHandler.__init__", "TimedRotatingFileHandler", "RotatingFileHandler.shouldRollover",
        ])
        XCTAssertEqual(results[0].containerChunkID, 1, "__init__ stands in for its class, at the class's rank")
        XCTAssertEqual(results[0].score, 0.95, accuracy: 1e-5)
        XCTAssertEqual(results[0].lines, 124...158, "the class's lines do not swallow its other methods")
        XCTAssertNil(results[1].containerChunkID,
                     "computeRollover ranks below 60 other functions: the class is shown as itself")
        XCTAssertEqual(results[1].lines, 202...453)
        XCTAssertEqual(results[3].chunk.symbol, "other_0")
        XCTAssertEqual(Set(results.map(\.chunkID)).count, results.count, "nothing is shown twice")
    }

    func testAMemberOutsideTheListStandsInWhenItWouldHaveMadeIt() throws {
        // At limit 1 the list reads 50 hits (the fusion depth): shouldRollover
        // and __init__ are in it; with __init__ shown, the next class's member
        // computeRollover (rank 64) would not be.
        let first = try semantic(limit: 1)
        XCTAssertEqual(first.map(\.chunk.symbol), ["RotatingFileHandler.__init__"])
    }

    func testLexicalModeResolvesByKeywordScore() throws {
        // "shouldRollover record" matches the class header (which lists the
        // method's signature) and the method; the method scores better on
        // its own words than __init__, which does not match at all.
        let results = try Searcher(store: store, model: model).search("shouldRollover record", mode: .lexical, limit: 5)
        XCTAssertEqual(results.first?.chunk.symbol, "RotatingFileHandler.shouldRollover")
        XCTAssertEqual(results.filter { $0.chunk.symbol == "RotatingFileHandler.shouldRollover" }.count, 1)
        XCTAssertFalse(results.contains { $0.chunk.symbol == "RotatingFileHandler.__init__" })
    }

    func testHybridModeKeepsEveryAnswerOnce() throws {
        let results = try Searcher(store: store, model: model).search("rollover", queryVector: query, mode: .hybrid,
                                                                     limit: 6)
        let symbols = results.map(\.chunk.symbol)
        XCTAssertTrue(symbols.contains("RotatingFileHandler.shouldRollover"), "\(symbols)")
        XCTAssertEqual(Set(results.map(\.chunkID)).count, results.count, "nothing is shown twice: \(symbols)")
        XCTAssertFalse(symbols.contains("RotatingFileHandler"), "the class stands aside for a member: \(symbols)")
    }
}
