import Foundation
import QuarryCore
import XCTest
@testable import Chunker

/// Chunking real files found on this machine; each test skips when its files are absent.
final class RealSourceTests: XCTestCase {
    private func chunks(ofFile path: String, _ language: Language, as logicalPath: String? = nil) throws -> [Chunk] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw XCTSkip("\(path) not present") }
        let registry = try TestSupport.grammarRegistry(for: language)
        return Chunker(registry: registry).chunks(of: text, language: language, path: logicalPath ?? path)
    }

    private func pythonLibrary() throws -> String {
        let candidates = ["/root/.pyenv/versions/3.11.7/lib/python3.11", "/usr/lib/python3.11", "/usr/lib/python3"]
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0 + "/json/decoder.py") }) else {
            throw XCTSkip("no CPython standard library found")
        }
        return found
    }

    func testPythonStandardLibraryModule() throws {
        let library = try pythonLibrary()
        let result = try chunks(ofFile: library + "/json/decoder.py", .python)
        let symbols = Set(result.map(\.symbol))
        for expected in ["json.decoder.JSONDecoder", "json.decoder.JSONDecoder.decode",
                         "json.decoder.JSONDecoder.raw_decode", "json.decoder.JSONDecodeError.__init__",
                         "json.decoder.py_scanstring"] {
            XCTAssertTrue(symbols.contains(expected), "\(expected) not in \(symbols.sorted())")
        }
        let decode = try XCTUnwrap(result.first { $0.symbol == "json.decoder.JSONDecoder.decode" })
        XCTAssertTrue(decode.text.hasPrefix("def decode(self, s, _w=WHITESPACE.match):"))
        XCTAssertTrue(decode.text.contains("Return the Python representation"), "docstring stays with its function")
        let type = try XCTUnwrap(result.first { $0.symbol == "json.decoder.JSONDecoder" && $0.kind == .type })
        XCTAssertFalse(type.text.contains("obj, end = self.raw_decode"), "method bodies are not repeated in the class")
        XCTAssertTrue(type.text.contains("def decode(self, s, _w=WHITESPACE.match):"), "method signatures are")
        XCTAssertEqual(result.filter { $0.kind == .toplevel }.count, 1)
    }

    func testCSource() throws {
        let result = try chunks(ofFile: "/root/.pyenv/src/realpath.c", .c)
        XCTAssertTrue(result.contains { $0.symbol == "realpath_builtin" && $0.kind == .function })
    }

    func testGoSource() throws {
        let result = try chunks(ofFile: "/usr/share/doc/git/contrib/persistent-https/client.go", .go)
        let symbols = Set(result.map(\.symbol))
        for expected in ["main.Client", "main.Client.Run", "main.Client.connect", "main.Client.startProxy"] {
            XCTAssertTrue(symbols.contains(expected), "\(expected) not in \(symbols.sorted())")
        }
    }

    func testJavaScriptSource() throws {
        let result = try chunks(ofFile: "/usr/lib/node_modules/npm/lib/npm.js", .javascript)
        let symbols = Set(result.map(\.symbol))
        for expected in ["Npm", "Npm.load", "Npm.exec"] {
            XCTAssertTrue(symbols.contains(expected), "\(expected) not in \(symbols.sorted())")
        }
    }

    func testPHPSource() throws {
        let path = "/usr/lib/google-cloud-sdk/platform/google_appengine/google/appengine/tools/devappserver2/php/runtime/setup.php"
        let result = try chunks(ofFile: path, .php)
        XCTAssertTrue(result.contains { $0.symbol == "_gae_stderr_log" && $0.kind == .function })
    }

    func testSQLSource() throws {
        let result = try chunks(ofFile: "/usr/share/postgresql-common/t/foo/foo-123/sql/foo.sql", .sql)
        XCTAssertFalse(result.isEmpty)
        XCTAssertTrue(result.allSatisfy { $0.language == .sql })
    }

    private static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Prints single-threaded throughput over the standard library (not asserted:
    /// the machine is shared). Chunking targets 15 MB/s in release builds.
    func testThroughputOverPythonStandardLibrary() throws {
        let library = try pythonLibrary()
        try measureThroughput(root: library, suffix: ".py", language: .python, minimumFiles: 100) {
            !$0.hasPrefix("site-packages") && !$0.hasPrefix("test")
        }
    }

    func testThroughputOverNpmJavaScript() throws {
        let root = "/usr/lib/node_modules/npm"
        guard FileManager.default.fileExists(atPath: root) else { throw XCTSkip("\(root) not present") }
        try measureThroughput(root: root, suffix: ".js", language: .javascript, minimumFiles: 100) { _ in true }
    }

    /// Per-language throughput over the corpora `Benchmarks/languages.sh` assembles
    /// (`$QUARRY_LANGUAGE_CORPUS/<language>/...`); skipped when the variable is unset.
    func testThroughputOverLanguageCorpora() throws {
        guard let root = ProcessInfo.processInfo.environment["QUARRY_LANGUAGE_CORPUS"] else {
            throw XCTSkip("QUARRY_LANGUAGE_CORPUS not set (see Benchmarks/languages.sh)")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: root).sorted()
        for name in names {
            guard let language = Language(rawValue: name) else { continue }
            try measureThroughput(root: root + "/" + name, suffix: "", language: language, minimumFiles: 0) { _ in true }
        }
    }

    /// Writes every chunk of the corpora to `$QUARRY_CHUNK_LISTS` (file, kind, symbol, lines,
    /// bytes, FNV-1a of the text), so two builds' chunk lists can be compared with `diff`
    /// (Benchmarks/languages.sh does, when given an older test binary).
    func testChunkListsOfLanguageCorpora() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let root = environment["QUARRY_LANGUAGE_CORPUS"], let output = environment["QUARRY_CHUNK_LISTS"] else {
            throw XCTSkip("QUARRY_LANGUAGE_CORPUS and QUARRY_CHUNK_LISTS not set (see Benchmarks/languages.sh)")
        }
        var lines: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: root).sorted() {
            guard let language = Language(rawValue: name) else { continue }
            let chunker = Chunker(registry: try TestSupport.grammarRegistry(for: language))
            for file in try FileManager.default.contentsOfDirectory(atPath: root + "/" + name).sorted() {
                guard let text = try? String(contentsOfFile: root + "/" + name + "/" + file, encoding: .utf8) else { continue }
                for chunk in chunker.chunks(of: text, language: language, path: file) {
                    let hash = chunk.text.utf8.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
                    lines.append("\(name)/\(file)\t\(chunk.kind.rawValue)\t\(chunk.symbol)\t\(chunk.startLine)-\(chunk.endLine)"
                                 + "\t\(chunk.startByte)..<\(chunk.endByte)\t\(String(hash, radix: 16))")
                }
            }
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: output, atomically: true, encoding: .utf8)
        XCTAssertFalse(lines.isEmpty)
    }

    private func measureThroughput(root: String, suffix: String, language: Language, minimumFiles: Int,
                                   include: (String) -> Bool) throws {
        let registry = try TestSupport.grammarRegistry(for: language)
        var files: [(String, String)] = []
        var total = 0
        let budget = 12 << 20
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String, total < budget {
            guard relative.hasSuffix(suffix), include(relative),
                  let text = try? String(contentsOfFile: root + "/" + relative, encoding: .utf8) else { continue }
            files.append((relative, text))
            total += text.utf8.count
        }
        XCTAssertGreaterThan(files.count, minimumFiles)
        let chunker = Chunker(registry: registry)
        var chunkCount = 0
        var oversized = 0
        let start = Date()
        let cpuStart = Self.threadCPUSeconds()
        for (path, text) in files {
            let chunks = chunker.chunks(of: text, language: language, path: path)
            chunkCount += chunks.count
            oversized += chunks.filter { chunker.options.measure($0.text) > chunker.options.maxChunkSize }.count
        }
        let seconds = Date().timeIntervalSince(start)
        let cpuSeconds = Self.threadCPUSeconds() - cpuStart
        let megabytes = Double(total) / 1_048_576
        // CPU time too: on a shared machine wall time mostly measures the neighbours.
        print(String(format: "chunker throughput (%@): %d files, %.1f MB, %d chunks in %.2f s wall (%.1f MB/s), %.2f s CPU (%.1f MB/s)",
                     language.rawValue, files.count, megabytes, chunkCount, seconds, megabytes / seconds,
                     cpuSeconds, megabytes / cpuSeconds))
        XCTAssertEqual(oversized, 0)
        XCTAssertGreaterThan(chunkCount, files.count)
    }
}
