import Foundation
import QuarryCore
import Store
import XCTest
@testable import Search

/// The cross-lingual keyword bridge (issue 11): a question whose words match
/// no keyword reaches the identifiers named by its nearest vocabulary words.
final class KeywordBridgeTests: XCTestCase {
    private let dimension = 4

    func testWordVectorsRoundTripAndNearestWordsLeaveOutTheQuestionsOwn() throws {
        let store = try scratchStore("words")
        let model = try store.registerModel(name: "synthetic", revision: "1", dimension: dimension)
        XCTAssertEqual(try store.wordsWithoutVectors(["cookie", "session"], model: model), ["cookie", "session"],
                       "an index without the table lacks every word")
        try store.writeWordVectors([("cookie", [1, 0, 0, 0]), ("session", [0.8, 0.6, 0, 0]), ("render", [0, 0, 1, 0])],
                                   model: model)
        XCTAssertEqual(try store.wordsWithoutVectors(["cookie", "template"], model: model), ["template"])
        let words = try WordVectors(store: store, model: model)
        XCTAssertEqual(words.words, ["cookie", "render", "session"])
        XCTAssertEqual(words.nearest(to: [1, 0, 0, 0], count: 2, minimum: -1, excluding: []), ["cookie", "session"])
        XCTAssertEqual(words.nearest(to: [1, 0, 0, 0], count: 2, minimum: -1, excluding: ["cookie"]),
                       ["session", "render"])
        XCTAssertEqual(words.nearest(to: [1, 0, 0, 0], count: 5, minimum: 0.5, excluding: []), ["cookie", "session"])
        XCTAssertThrowsError(try store.writeWordVectors([("bad", [1, .nan, 0, 0])], model: model))
    }

    func testAQuestionWithoutKeywordsFindsTheFunctionThroughItsNearestWords() throws {
        let store = try scratchStore("bridge")
        let texts = ["def set_cookie(response, name, value):\n    response.headers.append(name, value)",
                     "def render_template(name):\n    return load(name).render()"]
        try store.write([BlobRecord(id: "b", path: "app/http.py", language: .python, size: 100, chunks: [
            Chunk(language: .python, kind: .function, symbol: "http.set_cookie", startLine: 1, endLine: 2,
                  startByte: 0, endByte: texts[0].utf8.count, text: texts[0]),
            Chunk(language: .python, kind: .function, symbol: "http.render_template", startLine: 4, endLine: 5,
                  startByte: 0, endByte: texts[1].utf8.count, text: texts[1]),
        ])])
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        try store.recordRevision(RevisionRecord(name: "HEAD", commitID: "c", treeID: "t", commitTime: date, author: "a",
                                                subject: "s", indexedAt: date),
                                 files: [FileRecord(path: "app/http.py", blobID: "b")])
        let model = try store.registerModel(name: "synthetic", revision: "1", dimension: dimension)
        // Vectors that put the template function nearer the question: only the bridge brings the cookie one up.
        try store.writeEmbeddings([(ContentHash(of: texts[0]), [0, 1, 0, 0]), (ContentHash(of: texts[1]), [0.6, 0.8, 0, 0])],
                                  model: model)
        try store.writeWordVectors([("cookie", [1, 0, 0, 0]), ("template", [0, 0, 1, 0])], model: model)
        let question = "クッキーを設定する"
        let searcher = Searcher(store: store, model: model)
        searcher.bridge = KeywordBridge(words: 1, weight: 5)
        let bridged = try searcher.search(question, queryVector: [1, 0, 0, 0], mode: .hybrid, limit: 2)
        XCTAssertEqual(bridged.first?.chunk.symbol, "http.set_cookie")
        // Covered questions are not bridged: "render template" is all keywords of the index.
        let lexical = LexicalSearcher(store: store)
        XCTAssertEqual(try lexical.coverage(of: question), 0)
        XCTAssertEqual(try lexical.coverage(of: "render_template"), 1)
        XCTAssertEqual(try lexical.coverage(of: "set cookie quickly"), 9.0 / 16.0, accuracy: 1e-9)
        XCTAssertEqual(try lexical.coverage(of: "?!"), 0)
        searcher.bridge = KeywordBridge(words: 1, weight: 5, maximumCoverage: 0.5)
        let covered = try searcher.search("render template", queryVector: [1, 0, 0, 0], mode: .hybrid, limit: 2)
        XCTAssertEqual(covered.first?.chunk.symbol, "http.render_template")
        let plain = Searcher(store: store, model: model)
        plain.bridge = nil
        XCTAssertEqual(try plain.search(question, queryVector: [1, 0, 0, 0], mode: .hybrid, limit: 2).first?.chunk.symbol,
                       "http.render_template")
    }
}
