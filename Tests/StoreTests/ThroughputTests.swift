import Foundation
import QuarryCore
import XCTest
@testable import Store

/// Prints write throughput; asserts only that everything was stored.
final class ThroughputTests: XCTestCase {
    func testWriteThroughput() throws {
        #if DEBUG
        let targetBytes = 2_000_000  // debug builds are an order of magnitude slower
        #else
        let targetBytes = 20_000_000
        #endif
        var generator = SyntheticCode(seed: 42)
        var batches: [[BlobRecord]] = []
        var batch: [BlobRecord] = []
        var textBytes = 0
        var chunkCount = 0
        while textBytes < targetBytes {
            let blob = generator.blob()
            textBytes += blob.chunks.reduce(0) { $0 + $1.text.utf8.count }
            chunkCount += blob.chunks.count
            batch.append(blob)
            if batch.count == 200 { batches.append(batch); batch = [] }
        }
        if !batch.isEmpty { batches.append(batch) }

        let path = try makeTemporaryDirectory(self) + "/index.db"
        let store = try IndexStore(path: path, mode: .create)
        let start = Date()
        for batch in batches { try store.write(batch) }
        let seconds = Date().timeIntervalSince(start)
        let stats = try store.statistics()
        XCTAssertEqual(stats.chunks, chunkCount)
        let megabytes = Double(textBytes) / 1_000_000
        print(String(format: "Store write throughput: %.1f MB of chunk text, %d chunks, %d blobs in %.2f s = %.1f MB/s; file %.1f MB",
                     megabytes, chunkCount, stats.blobs, seconds, megabytes / seconds, Double(stats.fileSize) / 1_000_000))

        // Query latency over the same index: every blob is in the revision, common terms match most chunks.
        try store.recordRevision(revision("HEAD"), files: batches.joined().map { FileRecord(path: $0.path, blobID: $0.id) })
        for match in [orMatch("login", "user"), orMatch("parse", "http", "request", "timeout"), orMatch("return")] {
            let queryStart = Date()
            let hits = try store.lexicalSearch(LexicalQuery(match: match, limit: 10))
            XCTAssertEqual(hits.count, 10)
            print(String(format: "Store query %@: %.1f ms", match, Date().timeIntervalSince(queryStart) * 1000))
        }
    }
}

/// Deterministic, code-like text: Python and Go functions over a vocabulary of
/// identifiers in mixed styles, so the identifier splitter has real work.
struct SyntheticCode {
    private var state: UInt64
    private var blobNumber = 0
    private static let words = ["user", "login", "session", "token", "request", "response", "cache", "index", "query",
                                "parse", "render", "config", "handler", "server", "client", "buffer", "stream", "file",
                                "path", "commit", "tree", "blob", "chunk", "vector", "model", "encode", "decode", "http",
                                "json", "sql", "retry", "timeout", "error", "result", "value", "count", "limit", "offset"]

    init(seed: UInt64) { state = seed }

    private mutating func next(_ bound: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(bound))
    }

    private mutating func word() -> String { Self.words[next(Self.words.count)] }

    private mutating func identifier() -> String {
        let parts = (0...next(3)).map { _ in word() }
        switch next(4) {
        case 0: return parts.joined(separator: "_")
        case 1: return parts.enumerated().map { $0 == 0 ? $1 : $1.capitalized }.joined()
        case 2: return parts.map(\.capitalized).joined()
        default: return parts.joined(separator: "_").uppercased() + String(next(100))
        }
    }

    private mutating func function(python: Bool) -> (String, String) {
        let name = identifier()
        var lines: [String] = []
        if python {
            lines.append("def \(name)(\(identifier()), \(identifier())=None):")
            lines.append("    \"\"\"\(word().capitalized) the \(word()) for the given \(word()).\"\"\"")
            for _ in 0..<(8 + next(30)) {
                lines.append("    \(identifier()) = \(identifier())(\(identifier()), \(next(1000)), '\(word())')")
            }
            lines.append("    return \(identifier())")
        } else {
            lines.append("func \(name)(\(identifier()) *\(identifier().capitalized)) (\(identifier().capitalized), error) {")
            for _ in 0..<(8 + next(30)) {
                lines.append("\tif \(identifier()) := \(identifier()).\(identifier())(\(next(1000))); err != nil {")
                lines.append("\t\treturn nil, fmt.Errorf(\"\(word()) \(word()): %w\", err)")
                lines.append("\t}")
            }
            lines.append("\treturn \(identifier()), nil\n}")
        }
        return (name, lines.joined(separator: "\n"))
    }

    mutating func blob() -> BlobRecord {
        blobNumber += 1
        let python = next(2) == 0
        let functions = (0..<(1 + next(8))).map { _ in function(python: python) }
        let id = String(format: "%040x", blobNumber)
        let path = "src/\(word())/\(identifier())\(blobNumber).\(python ? "py" : "go")"
        return StoreTests.blob(id, path: path, language: python ? .python : .go,
                               chunks: functions.map { (symbol: $0.0, text: $0.1) })
    }
}

