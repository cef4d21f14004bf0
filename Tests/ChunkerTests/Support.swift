import Foundation
import QuarryCore
import XCTest
@testable import Chunker

/// Paths and shared objects the tests use.
enum TestSupport {
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let fixtures = repositoryRoot + "/Fixtures/chunker"
    static let queries = repositoryRoot + "/Grammars/queries"

    /// Grammars from the build directory with the queries from this source tree,
    /// so query edits are tested without rerunning Grammars/build.sh.
    static let registry: GrammarRegistry? = try? GrammarRegistry(
        directory: GrammarRegistry.defaultDirectory(), queryDirectory: queries)

    static func grammarRegistry(for language: Language) throws -> GrammarRegistry {
        guard let registry else {
            throw XCTSkip("no grammar directory at \(GrammarRegistry.defaultDirectory()); run Grammars/build.sh")
        }
        guard registry.grammar(for: language) != nil else {
            let reason = registry.problem(for: language)?.description ?? "not in the manifest"
            throw XCTSkip("\(language.rawValue) grammar unavailable: \(reason)")
        }
        return registry
    }

    static func fixture(_ relativePath: String) throws -> String {
        try String(contentsOfFile: fixtures + "/" + relativePath, encoding: .utf8)
    }

    /// One line per chunk, for assertions and for reading failures.
    static func outline(_ chunks: [Chunk]) -> [String] {
        chunks.map { "\($0.kind.rawValue) \($0.symbol) \($0.startLine)-\($0.endLine)" }
    }

    static func dump(_ chunks: [Chunk]) {
        guard ProcessInfo.processInfo.environment["CHUNKER_DUMP"] != nil else { return }
        for chunk in chunks {
            print("=== \(chunk.kind.rawValue) \(chunk.symbol) \(chunk.startLine)-\(chunk.endLine) [\(chunk.startByte)..<\(chunk.endByte)]")
            print(chunk.text)
        }
    }
}
