import Arguments
import Foundation
import XCTest
@testable import QuarryCLI
import TestSupport

/// Every command's argument parser on mutated command lines (seeded from the
/// `Examples:` of its help): it parses to declared names only, or throws an
/// `ArgumentError` that prints as one line. `Benchmarks/fuzz.sh` runs it longer.
final class ArgumentFuzzTests: XCTestCase {
    func testEveryCommandParsesMutatedCommandLines() throws {
        let specs = QuarryCLI.commands.map(\.spec)
        // Arguments travel as NUL-separated bytes, so mutations split, join and damage them.
        let corpus: [[UInt8]] = specs.flatMap { spec in
            spec.helpText.split(separator: "\n")
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { $0.hasPrefix(spec.path + " ") }
                .map { Array(Self.arguments(ofExample: String($0.dropFirst(spec.path.count + 1))).joined(separator: "\u{0}").utf8) }
        }
        XCTAssertGreaterThan(corpus.count, 10, "examples found in --help")
        let names = specs.flatMap { $0.options.flatMap { ["--\($0.name)", "--\($0.name)=", $0.short.map { "-\($0)" } ?? "-"] } }
        let fuzzer = Fuzzer(target: "arguments", corpus: corpus, dictionary: names + ["\u{0}", "--", "-", "\n", "="],
                            maxLength: 16 << 10)
        let report = fuzzer.run(executions: 5_000) { bytes in
            let arguments = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            for spec in specs { try Self.check(spec, arguments) }
        }
        XCTAssertEqual(report.findings, [])
    }

    private static func check(_ spec: CommandSpec, _ arguments: [String]) throws {
        do {
            let parsed = try spec.parse(arguments)
            let declared = Set(spec.options.map(\.name))
            guard Set(parsed.values.keys).isSubset(of: declared), parsed.flags.isSubset(of: declared),
                  Set(parsed.positionals.keys).isSubset(of: Set(spec.positionals.map(\.name))) else {
                throw Fuzzer.Finding("\(spec.path) \(arguments): undeclared names in \(parsed)")
            }
            for option in spec.options where !option.isFlag {
                _ = try? parsed.integer(option.name, default: 0, in: 0...1_000)
            }
        } catch let error as ArgumentError {
            let line = "quarry: \(error)"
            guard !line.contains("\n"), !line.contains("\r") else {
                throw Fuzzer.Finding("\(spec.path): error spans lines: \(line.debugDescription)")
            }
        }
    }

    /// An example's words, with shell quotes removed and its comment dropped.
    private static func arguments(ofExample line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quote: Character?
        for character in line {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == " " {
                if !current.isEmpty { words.append(current) }
                current = ""
            } else if character == "#" && current.isEmpty {
                break
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }
}
