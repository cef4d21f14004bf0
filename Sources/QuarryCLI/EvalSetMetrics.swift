import Engine
import Foundation

/// hit@1, hit@5 and MRR@10 over queries with one known answer, in [0, 100].
struct HitMetrics {
    static let depth = 10

    private(set) var queries = 0
    private var hits1 = 0
    private var hits5 = 0
    private var reciprocalRanks = 0.0

    init() {}

    init(ranks: [Int?]) {
        for rank in ranks { add(rank) }
    }

    /// Adds one query whose answer ranked at `rank` (1-based), nil when not in the top `depth`.
    mutating func add(_ rank: Int?) {
        queries += 1
        guard let rank, rank <= Self.depth else { return }
        if rank <= 1 { hits1 += 1 }
        if rank <= 5 { hits5 += 1 }
        reciprocalRanks += 1 / Double(rank)
    }

    var hit1: Double { percent(Double(hits1)) }
    var hit5: Double { percent(Double(hits5)) }
    var mrr10: Double { percent(reciprocalRanks) }

    private func percent(_ value: Double) -> Double { queries == 0 ? 0 : 100 * value / Double(queries) }

    static let header = " hit@1  hit@5 MRR@10"

    var row: String { String(format: "%6.1f %6.1f %6.1f", hit1, hit5, mrr10) }

    var json: JSON {
        .object([("queries", .int(queries)), ("hit@1", .double(EvalCommand.rounded(hit1))),
                 ("hit@5", .double(EvalCommand.rounded(hit5))), ("mrr@10", .double(EvalCommand.rounded(mrr10)))])
    }
}

/// Files that should never answer a question: lock files and checksum lists,
/// keys and certificates, images (issue 11's target: none in any top 10).
enum NoiseFile {
    static let names: Set<String> = [
        "go.sum", "uv.lock", "cargo.lock", "poetry.lock", "pipfile.lock", "package-lock.json", "yarn.lock",
        "pnpm-lock.yaml", "gemfile.lock", "composer.lock", "npm-shrinkwrap.json", "sha256sums", "md5sums",
    ]
    static let extensions: Set<String> = [
        "lock", "sum", "pem", "key", "crt", "cer", "csr", "srl", "der", "p12", "pfx", "jks",
        "svg", "png", "jpg", "jpeg", "gif", "ico", "webp", "bmp",
    ]

    static func matches(_ path: String) -> Bool {
        let name = (path.split(separator: "/").last.map(String.init) ?? path).lowercased()
        if names.contains(name) { return true }
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return false }
        return extensions.contains(String(name[name.index(after: dot)...]))
    }
}

/// Test files by path convention (`tests/`, `test_*.py`, `*_test.go`,
/// `spec/`, `testdata/`…), to count tests that crowd out the code they test.
enum TestFile {
    static func matches(_ path: String) -> Bool {
        let parts = path.lowercased().split(separator: "/")
        guard let name = parts.last else { return false }
        if parts.dropLast().contains(where: { ["test", "tests", "testing", "spec", "specs", "testdata", "__tests__"].contains($0) }) {
            return true
        }
        let stem = name.split(separator: ".").first ?? name
        return stem.hasPrefix("test_") || stem.hasSuffix("_test") || stem.hasSuffix("_spec") || name == "conftest.py"
            || name.contains(".test.") || name.contains(".spec.")
    }
}

/// Documentation files: Markdown, reStructuredText, plain text.
enum DocFile {
    static let extensions: Set<String> = ["md", "markdown", "rst", "txt", "adoc"]

    static func matches(_ path: String) -> Bool {
        let name = path.split(separator: "/").last.map { $0.lowercased() } ?? ""
        guard let dot = name.lastIndex(of: ".") else { return false }
        return extensions.contains(String(name[name.index(after: dot)...]))
    }
}

/// Results of one split and mode, grouped the ways `quarry eval --set` reports them.
struct EvalSetScores {
    var all = HitMetrics()
    var nonEnglish = HitMetrics()
    var byLanguage: [String: HitMetrics] = [:]
    var byCodeLanguage: [String: HitMetrics] = [:]
    /// Queries with a lock file, key, checksum list or image in their top 10.
    var noisyQueries = 0
    /// Queries with a test file, or a documentation file, ranked in the top 5 above the answer.
    var testsAbove = 0
    var docsAbove = 0

    /// Counts one query from its results: the answer's rank and what ranks where.
    mutating func add(rank: Int?, paths: [String], language: String, codeLanguage: String) {
        let above = paths.prefix(min(5, (rank ?? 11) - 1))
        if above.contains(where: TestFile.matches) { testsAbove += 1 }
        if above.contains(where: DocFile.matches) { docsAbove += 1 }
        add(rank: rank, language: language, codeLanguage: codeLanguage,
            noisy: paths.prefix(HitMetrics.depth).contains(where: NoiseFile.matches))
    }

    mutating func add(rank: Int?, language: String, codeLanguage: String, noisy: Bool) {
        all.add(rank)
        if language != "en" { nonEnglish.add(rank) }
        byLanguage[language, default: HitMetrics()].add(rank)
        byCodeLanguage[codeLanguage, default: HitMetrics()].add(rank)
        if noisy { noisyQueries += 1 }
    }

    /// Rows of the table: label and metrics, in a fixed order.
    func rows(languages: [String]) -> [(String, HitMetrics)] {
        [("all", all), ("non-en", nonEnglish)]
            + languages.compactMap { language in byLanguage[language].map { (language, $0) } }
            + byCodeLanguage.keys.sorted().map { ($0, byCodeLanguage[$0]!) }
    }

    func json(languages: [String]) -> JSON {
        .object([
            ("all", all.json), ("non_english", nonEnglish.json),
            ("languages", .object(languages.compactMap { language in byLanguage[language].map { (language, $0.json) } })),
            ("code_languages", .object(byCodeLanguage.keys.sorted().map { ($0, byCodeLanguage[$0]!.json) })),
            ("noise_top10", .int(noisyQueries)),
            ("tests_above_top5", .int(testsAbove)), ("docs_above_top5", .int(docsAbove)),
        ])
    }
}
