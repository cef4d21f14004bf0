import Foundation
import QuarryCore
import XCTest
@testable import Chunker
import TestSupport

/// Every grammar's chunker on mutated real source (the fixtures): chunks stay
/// inside the file, within budget and in order; nothing crashes or hangs.
/// `Benchmarks/fuzz.sh` runs the same targets for longer.
final class ChunkerFuzzTests: XCTestCase {
    func testEveryGrammarOnMutatedSource() throws {
        guard let registry = TestSupport.registry else { throw XCTSkip("no grammars built") }
        let options = ChunkingOptions(maxChunkSize: 64, parseTimeoutMicroseconds: 2_000_000)
        let chunker = Chunker(registry: registry, options: options)
        let directories = try FileManager.default.contentsOfDirectory(atPath: TestSupport.fixtures).sorted()
        var fuzzed = 0
        for name in directories {
            guard let language = Language(rawValue: name), registry.grammar(for: language) != nil else { continue }
            let corpus = try sources(in: TestSupport.fixtures + "/" + name)
            let fuzzer = Fuzzer(target: "chunker-\(name)", corpus: corpus, maxLength: 128 << 10)
            let report = fuzzer.run(executions: 12) { bytes in
                try Self.checkChunks(of: bytes, language: language, chunker: chunker, options: options)
            }
            XCTAssertEqual(report.findings, [], "\(name) (replay with QUARRY_FUZZ_SEED=\(fuzzer.seed) QUARRY_FUZZ_REPLAY=<iteration>)")
            fuzzed += 1
        }
        XCTAssertGreaterThanOrEqual(fuzzed, 9, "grammars fuzzed")
    }

    static func checkChunks(of bytes: [UInt8], language: Language, chunker: Chunker,
                            options: ChunkingOptions) throws {
        let chunks = bytes.withUnsafeBufferPointer { chunker.chunks(ofUTF8: $0, language: language, path: "fuzz") }
        var previousStart = -1
        for chunk in chunks {
            guard 0 <= chunk.startByte, chunk.startByte < chunk.endByte, chunk.endByte <= bytes.count,
                  chunk.startLine <= chunk.endLine, chunk.startByte >= previousStart else {
                throw Fuzzer.Finding("chunk \(chunk.startByte)..<\(chunk.endByte) lines \(chunk.startLine)-\(chunk.endLine) out of place")
            }
            guard options.measure(chunk.text) <= options.maxChunkSize else {
                throw Fuzzer.Finding("chunk of \(options.measure(chunk.text)) over the budget")
            }
            previousStart = chunk.startByte
        }
    }

    private func sources(in directory: String) throws -> [[UInt8]] {
        let files = FileManager.default.enumerator(atPath: directory)?.compactMap { $0 as? String } ?? []
        return try files.sorted().compactMap { relative in
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: directory + "/" + relative, isDirectory: &isDirectory)
            return isDirectory.boolValue ? nil : [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/" + relative)))
        }
    }
}
