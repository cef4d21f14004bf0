import Foundation

/// A seeded random-mutation fuzzer for the parsers' tests: each input is derived
/// from a seed corpus by stacked byte mutations, and input `i` depends only on
/// the seed and `i`, so any input replays on its own.
///
/// Environment (read once per run):
/// - `QUARRY_FUZZ_SECONDS`: run each target this long instead of its default count
///   (`Benchmarks/fuzz.sh` sets it).
/// - `QUARRY_FUZZ_SEED`: the base seed (default 1).
/// - `QUARRY_FUZZ_REPLAY`: `ITERATION` (with the seed above) or a file: run that one input.
/// - `QUARRY_FUZZ_SAVE`: a file each input is written to before it runs, so a crash
///   leaves the input that caused it there.
/// - `QUARRY_FUZZ_REPORT`: a file to which each target appends
///   `target executions seconds findings`.
public struct Fuzzer {
    /// A property the target broke on one input (a crash ends the process instead).
    public struct Finding: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    public struct Report {
        public var target: String
        public var executions = 0
        public var seconds = 0.0
        /// "iteration: what" for the first 20 inputs whose check threw.
        public var findings: [String] = []
        /// How many inputs' checks threw.
        public var findingCount = 0
    }

    public let target: String
    public let corpus: [[UInt8]]
    /// Tokens worth inserting whole (keywords, delimiters of the format).
    public let dictionary: [[UInt8]]
    /// Inputs grow to at most this many bytes.
    public let maxLength: Int
    private let environment = ProcessInfo.processInfo.environment

    public init(target: String, corpus: [[UInt8]], dictionary: [String] = [], maxLength: Int = 1 << 20) {
        self.target = target
        self.corpus = corpus.isEmpty ? [[]] : corpus
        self.dictionary = dictionary.map { Array($0.utf8) } + Fuzzer.formatTokens
        self.maxLength = maxLength
    }

    public var seed: UInt64 { environment["QUARRY_FUZZ_SEED"].flatMap { UInt64($0) } ?? 1 }

    /// Runs `check` on `executions` inputs (or for `QUARRY_FUZZ_SECONDS`); an
    /// error thrown by `check` is a finding, saved and reported, never fatal.
    @discardableResult
    public func run(executions: Int, _ check: ([UInt8]) throws -> Void) -> Report {
        var report = Report(target: target)
        let started = DispatchTime.now().uptimeNanoseconds
        let seconds = environment["QUARRY_FUZZ_SECONDS"].flatMap { Double($0) }
        let deadline = seconds.map { started + UInt64($0 * 1e9) }
        // Opened once: creating and closing a file per input cost more than many targets' checks.
        let save = environment["QUARRY_FUZZ_SAVE"].map { open($0, O_WRONLY | O_CREAT | O_TRUNC, 0o644) } ?? -1
        defer { if save >= 0 { close(save) } }
        var iteration = 0
        while true {
            if let deadline {
                if DispatchTime.now().uptimeNanoseconds >= deadline { break }
            } else if iteration >= executions { break }
            let data: [UInt8]
            if let replay = environment["QUARRY_FUZZ_REPLAY"] {
                guard iteration == 0 else { break }
                data = Int(replay).map { input(iteration: $0) }
                    ?? ((try? Data(contentsOf: URL(fileURLWithPath: replay))).map { [UInt8]($0) } ?? [])
            } else {
                data = input(iteration: iteration)
            }
            if save >= 0 { Fuzzer.overwrite(save, with: data) }
            do {
                try check(data)
            } catch {
                // Short and few: a finding names its iteration, which replays it.
                if report.findings.count < 20 { report.findings.append("\(iteration): \(String(describing: error).prefix(300))") }
                report.findingCount += 1
            }
            iteration += 1
        }
        report.executions = iteration
        report.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        append(report)
        return report
    }

    /// Input `iteration`: a corpus entry, or two spliced, under 1-8 mutations.
    public func input(iteration: Int) -> [UInt8] {
        var random = SeededGenerator(seed: seed ^ (UInt64(iteration) &* 0xD1B5_4A32_D192_ED03) ^ Fuzzer.hash(target))
        var bytes = corpus[Int.random(in: 0..<corpus.count, using: &random)]
        for _ in 0..<Int.random(in: 1...8, using: &random) {
            mutate(&bytes, using: &random)
        }
        if bytes.count > maxLength { bytes.removeSubrange(maxLength...) }
        return bytes
    }

    private func mutate(_ bytes: inout [UInt8], using random: inout SeededGenerator) {
        let position = Int.random(in: 0...bytes.count, using: &random)
        let span = Int.random(in: 0...min(64, bytes.count - position), using: &random)
        switch Int.random(in: 0..<9, using: &random) {
        case 0 where position < bytes.count:
            bytes[position] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &random)
        case 1 where position < bytes.count:
            bytes[position] = Fuzzer.interestingBytes.randomElement(using: &random) ?? 0
        case 2:
            bytes.removeSubrange(position..<position + span)
        case 3:
            bytes.insert(contentsOf: bytes[position..<position + span], at: position)
        case 4:
            bytes.insert(contentsOf: (0..<Int.random(in: 1...16, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) },
                         at: position)
        case 5:
            bytes.insert(contentsOf: dictionary.randomElement(using: &random) ?? [], at: position)
        case 6:
            let other = corpus[Int.random(in: 0..<corpus.count, using: &random)]
            let from = Int.random(in: 0...other.count, using: &random)
            let length = Int.random(in: 0...min(4096, other.count - from), using: &random)
            bytes.insert(contentsOf: other[from..<from + length], at: position)
        case 7:
            bytes.removeSubrange(position...)
        default:
            // Repeat a slice many times: deep nesting, long runs, large counts.
            let slice = bytes[position..<position + span]
            let times = Int.random(in: 2...2_000, using: &random)
            if !slice.isEmpty, slice.count * times < maxLength {
                bytes.insert(contentsOf: Array(repeating: Array(slice), count: times).joined(), at: position)
            }
        }
    }

    /// Leaves exactly `bytes` in the file behind `descriptor`, so a crash leaves its input there.
    private static func overwrite(_ descriptor: Int32, with bytes: [UInt8]) {
        var written = 0
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            while written < buffer.count {
                let count = pwrite(descriptor, base + written, buffer.count - written, off_t(written))
                guard count > 0 else { return }
                written += count
            }
        }
        _ = ftruncate(descriptor, off_t(written))
    }

    private func append(_ report: Report) {
        guard let path = environment["QUARRY_FUZZ_REPORT"] else { return }
        let line = "\(report.target) \(report.executions) \(String(format: "%.1f", report.seconds)) \(report.findingCount)\n"
        guard let handle = FileHandle(forWritingAtPath: path) ?? {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            return FileHandle(forWritingAtPath: path)
        }() else { return }
        handle.seekToEndOfFile()
        handle.write(Data(line.utf8))
        handle.closeFile()
    }

    private static let interestingBytes: [UInt8] = [0, 1, 0x7F, 0x80, 0xFF, 0xC0, 0xED, 0xF4, 0x22, 0x5C, 0x0A, 0x0D, 0x7B, 0x7D, 0x5B, 0x5D]
    /// Numbers and delimiters that break parsers of every format here.
    private static let formatTokens: [[UInt8]] = [
        "-1", "0", "4294967296", "18446744073709551616", "1e309", "NaN", "-0", "9223372036854775807",
        "\"", "\\", "\\u0000", "\\ud800", "{", "}", "[", "]", ",", ":", "null", "\u{0}", "\u{FEFF}",
    ].map { Array($0.utf8) } + [[0xC3], [0xF0, 0x9F], [0xFF, 0xFE]]

    /// FNV-1a, so each target draws different inputs from one seed.
    private static func hash(_ text: String) -> UInt64 {
        text.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
    }
}
