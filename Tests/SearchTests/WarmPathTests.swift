import Foundation
import QuarryCore
import Store
import XCTest
@testable import Search
import TestSupport

/// The shortcuts that keep a warm search fast must not change what it
/// finds: containers' members scored in one statement, document frequencies
/// kept between searches, lines ruled out before they are split into terms,
/// and coverage counted from the vector file. Each is checked against the
/// way it was computed before.
final class WarmPathTests: XCTestCase {
    private var store: IndexStore!
    private var model: ModelRecord!
    private let dimension = 8
    private var generator = SeededGenerator(seed: 11)

    /// Classes with methods (containers and their members) spread over many
    /// files, sharing common words so that many chunks match a query.
    override func setUpWithError() throws {
        store = try scratchStore("warm")
        let words = ["parse", "date", "string", "config", "file", "read", "open", "socket", "retry", "timeout"]
        var blobs: [BlobRecord] = []
        for file in 0..<40 {
            var chunks: [Chunk] = []
            let name = "Handler\(file)"
            var text = "class \(name):\n"
            var methods: [Chunk] = []
            for method in 0..<6 {
                let first = words[(file + method) % words.count], second = words[(file * 3 + method) % words.count]
                let body = "def \(first)_\(second)(self, value):\n    # \(first) the \(second) of a value\n"
                    + "    return self.\(second)(value) or \(method)"
                let start = 2 + method * 4
                methods.append(Chunk(language: .python, kind: .function, symbol: "\(name).\(first)_\(second)",
                                     startLine: start, endLine: start + 2, startByte: 0, endByte: body.utf8.count,
                                     text: body))
                text += "    def \(first)_\(second)(self, value):\n"
            }
            chunks.append(Chunk(language: .python, kind: .type, symbol: name, startLine: 1, endLine: 26,
                                startByte: 0, endByte: text.utf8.count, text: text))
            chunks += methods
            blobs.append(BlobRecord(id: "blob\(file)", path: "pkg/m\(file).py", language: .python, size: 900,
                                    chunks: chunks))
        }
        try store.write(blobs)
        try record(blobs, name: "HEAD")
        model = try store.registerModel(name: "synthetic", revision: "1", dimension: dimension)
        try embed(limit: 1_000)
    }

    private func record(_ blobs: [BlobRecord], name: String) throws {
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        try store.recordRevision(RevisionRecord(name: name, commitID: name, treeID: name, commitTime: date,
                                                author: "a", subject: "s", indexedAt: date),
                                 files: blobs.map { FileRecord(path: $0.path, blobID: $0.id) })
    }

    private func embed(limit: Int) throws {
        let texts = try store.textsWithoutEmbeddings(model: model, limit: limit)
        try store.writeEmbeddings(texts.map { hash, _ in
            (hash, (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) })
        }, model: model)
    }

    private var queryVector: [Float] { [1, 0.5, 0, 0, -0.25, 0, 0, 0.5] }

    func testMembersScoredTogetherScoreAsEachContainerAlone() throws {
        let lexical = LexicalSearcher(store: store)
        let match = try XCTUnwrap(try lexical.matchExpression(for: "parse the date string"))
        let searcher = Searcher(store: store, model: model)
        let ranked = try searcher.search("parse the date string", queryVector: queryVector, mode: .hybrid, limit: 40)
        XCTAssertFalse(ranked.isEmpty)
        let containers = (1...Int64(40 * 7)).filter { $0 % 7 == 1 }
        XCTAssertEqual(try store.memberFunctions(ofChunk: containers[0]).count, 6, "chunk 1 is a class of six methods")

        func members(loadingAll: Bool) throws -> [[SearchResult]] {
            var members = ContainerMembers(store: store, lexical: lexical, k: 60)
            let hits = try lexical.hits("parse the date string", limit: 50)
            members.keywords = (ContainerMembers.Ranking(hits, depth: 50, weight: 1), match)
            let semantic = try searcher.vectorSearcher().search(queryVector, in: store, limit: 50)
            members.meaning = (ContainerMembers.Ranking(semantic, depth: 50, weight: 1), model,
                               VectorSearcher.normalised(queryVector), nil)
            if loadingAll { try members.load(containers) }
            let chunk = Chunk(language: .python, kind: .type, symbol: "C", startLine: 1, endLine: 26, startByte: 0,
                              endByte: 1, text: "class C:")
            return try containers.map { id in
                let hit = ChunkHit(chunkID: id, blobID: "b", path: "p", otherPaths: [], revision: "HEAD", chunk: chunk,
                                   contentHash: ContentHash(of: chunk.text), score: 1)
                return try members.members(of: SearchResult(hit: hit, relevantLines: []))
            }
        }
        let together = try members(loadingAll: true), alone = try members(loadingAll: false)
        XCTAssertEqual(together, alone)
        XCTAssertGreaterThan(together.joined().count, 10, "members do score: the comparison is not vacuous")
    }

    func testBatchedKeywordScoresAreTheRankingsOwn() throws {
        let lexical = LexicalSearcher(store: store)
        lexical.matchBudget = .max
        let hits = try lexical.hits("retry timeout socket", limit: 1_000)
        XCTAssertGreaterThan(hits.count, 50)
        let match = try XCTUnwrap(try lexical.matchExpression(for: "retry timeout socket"))
        let unmatched: Int64 = 1  // a class header: its words are method names only, never "retry" alone
        let scores = try lexical.scores(of: hits.map(\.chunkID) + [unmatched], match: match)
        for hit in hits { XCTAssertEqual(scores[hit.chunkID], hit.score, "chunk \(hit.chunkID)") }
        XCTAssertEqual(scores.count, hits.count + (scores[unmatched] == nil ? 0 : 1))
    }

    func testRowsLeftUnscoredNeverChangeTheKeywordRanking() throws {
        // "value" and "self" are in every method: rows holding only them are
        // the ones the store may leave unscored.
        let queries = ["parse value", "value self date", "retry self", "value of the string", "open socket value",
                       "timeout", "self", "config value read file"]
        let lexical = LexicalSearcher(store: store)
        var compared = 0
        for query in queries {
            let terms = try lexical.matchedTerms(LexicalSearcher.terms(of: query))
            let match = try XCTUnwrap(LexicalSearcher.matchExpression(terms: terms))
            for limit in [1, 3, 10, 40] {
                for revision in [nil, IndexStore.allRevisions] {
                    var pruned = LexicalQuery(match: match, revision: revision, limit: limit)
                    pruned.terms = terms
                    let every = LexicalQuery(match: match, revision: revision, limit: limit)
                    let expected = try store.lexicalSearch(every)
                    XCTAssertEqual(try store.lexicalSearch(pruned), expected, "\(query) at \(limit)")
                    compared += expected.count
                }
            }
        }
        XCTAssertGreaterThan(compared, 500)
    }

    func testKeptDocumentFrequenciesFollowWritesAndOtherConnections() throws {
        let reader = try IndexStore(path: store.path, mode: .readOnly)
        let parse = try reader.documentFrequencies(of: ["parse"])[0]
        XCTAssertGreaterThan(parse, 10)
        XCTAssertEqual(try reader.documentFrequencies(of: ["zebra", "parse"]), [0, parse])
        XCTAssertEqual(try store.documentFrequencies(of: ["zebra"]), [0])
        let before = try Searcher(store: reader).search("zebra parse", mode: .lexical, limit: 5)
        XCTAssertFalse(before.contains { $0.chunk.symbol == "zebra_parse" })

        let text = "def zebra_parse(value):\n    return zebra(value)"
        let blob = BlobRecord(id: "zebra", path: "pkg/zebra.py", language: .python, size: 60, chunks: [
            Chunk(language: .python, kind: .function, symbol: "zebra_parse", startLine: 1, endLine: 2, startByte: 0,
                  endByte: text.utf8.count, text: text),
        ])
        try store.write([blob])
        XCTAssertEqual(try store.documentFrequencies(of: ["zebra"]), [1], "this connection's own write")
        XCTAssertEqual(try reader.documentFrequencies(of: ["zebra", "parse"]), [1, parse + 1],
                       "another connection's commit")

        try record([blob], name: "HEAD")
        let warm = try Searcher(store: reader).search("zebra parse", mode: .lexical, limit: 5)
        let fresh = try Searcher(store: try IndexStore(path: store.path, mode: .readOnly))
            .search("zebra parse", mode: .lexical, limit: 5)
        XCTAssertEqual(warm.first?.chunk.symbol, "zebra_parse")
        XCTAssertEqual(warm, fresh)
    }

    func testLinesWithoutAQueryTermAreRuledOutAsSplittingWould() {
        let text = """
            def parseDate(value):
                # PARSE the date; no match here: parsing? dates?
                return HTTPServer(value).open_socket()
            x = 1
            naïve_parse = "déjà"
            _date_ = sha256sum
            """
        let queries: [Set<String>] = [["parse", "date"], ["http", "server"], ["sha", "256", "sum"], ["déjà"],
                                      ["naïve"], ["1"], ["value"], ["nothing"], ["open", "socket", "date"]]
        for (text, terms) in [text, text.replacingOccurrences(of: "\n", with: "\r\n"), "a\n\u{301}parse\n\ndate\r"]
            .flatMap({ text in queries.map { (text, $0) } }) {
            XCTAssertEqual(LexicalSearcher.relevantLines(in: text, firstLine: 10, terms: terms, limit: 3),
                           Self.relevantLinesBySplittingEveryLine(text, firstLine: 10, terms: terms, limit: 3),
                           "\(terms) in \(text.debugDescription)")
        }
        for text in [text, "\n\nx\n", "", "one", "a\n\u{301}b\n", "crlf\r\nline\n"] {
            XCTAssertEqual(LexicalSearcher.lines(of: text), text.split(separator: "\n", omittingEmptySubsequences: false),
                           text.debugDescription)
        }
    }

    /// The computation before lines were ruled out first.
    private static func relevantLinesBySplittingEveryLine(_ text: String, firstLine: Int, terms: Set<String>,
                                                          limit: Int) -> [Int] {
        var scored: [(line: Int, hits: Int)] = []
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let hits = IdentifierSplitter.terms(in: String(line)).reduce(0) { $0 + (terms.contains($1) ? 1 : 0) }
            if hits > 0 { scored.append((firstLine + offset, hits)) }
        }
        let best = scored.enumerated().sorted { a, b in
            a.element.hits != b.element.hits ? a.element.hits > b.element.hits : a.offset < b.offset
        }
        return best.prefix(limit).map(\.element.line).sorted()
    }

    func testCoverageFromTheVectorFileMatchesTheEmbeddingsTable() throws {
        XCTAssertEqual(try store.countTextsWithoutVectors(model: model), 0)
        let text = "def fresh_parse(value):\n    return value"
        let blob = BlobRecord(id: "fresh", path: "pkg/fresh.py", language: .python, size: 50, chunks: [
            Chunk(language: .python, kind: .function, symbol: "fresh_parse", startLine: 1, endLine: 2, startByte: 0,
                  endByte: text.utf8.count, text: text),
        ])
        try store.write([blob])
        try record([blob], name: "v2")
        XCTAssertTrue(try store.isVectorFileCurrent(for: model), "the fast count is the one under test")
        for revision in ["HEAD", "v2", IndexStore.allRevisions] {
            XCTAssertEqual(try store.countTextsWithoutVectors(model: model, revision: revision),
                           try store.countTextsWithoutEmbeddings(model: model, revision: revision), revision)
        }
        XCTAssertEqual(try store.countTextsWithoutVectors(model: model, revision: "v2"), 1)
        XCTAssertEqual(try store.countTextsWithoutVectors(model: model, revision: "HEAD"), 0)
    }
}
