import QuarryCore
import Store

/// Which chunks a search may return.
public struct SearchFilters: Sendable {
    /// Only these languages; nil or empty means all.
    public var languages: Set<Language>?
    /// Keep a path when it matches any of these; empty means all paths.
    public var paths: [PathGlob]
    /// Revision name; nil means the most recently indexed revision.
    public var revision: String?
    /// Which test code to return (see `TestDetection`).
    public var tests: TestPolicy

    public init(languages: Set<Language>? = nil, paths: [PathGlob] = [], revision: String? = nil,
                tests: TestPolicy = .below) {
        self.languages = languages
        self.paths = paths
        self.revision = revision
        self.tests = tests
    }

    /// The languages to keep as the store takes them: nil for all.
    public var languageSet: Set<Language>? {
        guard let languages, !languages.isEmpty else { return nil }
        return languages
    }

    /// Equal for equal filters: what a result computed for one may be reused under.
    var cacheKey: String {
        let names = (languageSet ?? []).map(\.rawValue).sorted().joined(separator: ",")
        return [names, paths.map(\.pattern).joined(separator: "\u{0}"), revision ?? "\u{1}", tests.rawValue]
            .joined(separator: "\u{2}")
    }

    /// The test policy as a predicate for the store: nil when every chunk passes.
    public var chunkFilter: ChunkFilter? {
        switch tests {
        case .below, .include: return nil
        case .exclude: return { path, chunk in !TestDetection.isTest(path: path, chunk: chunk) }
        case .only: return { path, chunk in TestDetection.isTest(path: path, chunk: chunk) }
        }
    }

    /// The path globs as one predicate for the store: nil when every path passes.
    public var pathFilter: (@Sendable (String) -> Bool)? {
        guard !paths.isEmpty else { return nil }
        let globs = paths
        return { path in globs.contains { $0.matches(path) } }
    }
}

/// One search answer: a stored chunk located in a revision (`hit`, whose
/// fields read through: `result.path`, `result.chunk.symbol`, `result.score`),
/// plus the lines to highlight.
///
/// A blob held at several paths of the revision is one result: `path` is its
/// first path (in path order) passing the filters, `otherPaths` the rest.
/// After `ResultMerger`, identical chunk texts elsewhere add their paths to
/// `otherPaths`, the other pieces of a split definition widen `lines`, and a
/// container may be shown through its best member (see `ResultMerger`).
@dynamicMemberLookup
public struct SearchResult: Sendable, Hashable {
    public var hit: ChunkHit
    /// File line numbers within the chunk's lines holding the most query
    /// terms (up to three, ascending). For a split chunk whose text starts
    /// with a repeated signature these are counted from `startLine` too.
    public var relevantLines: [Int]
    /// The file lines this result covers: the chunk's own lines, widened by
    /// the pieces merged into it. Print this range; `chunk.text` remains the
    /// best chunk's text only.
    public var lines: ClosedRange<Int>
    /// Ids of the other pieces of the same definition merged into this one
    /// (best first), not counting `hit` itself.
    public var mergedChunkIDs: [Int64]
    /// When this result is a function shown in place of the type, module or
    /// top-level chunk that ranked here, that container's chunk id.
    public var containerChunkID: Int64?

    public init(hit: ChunkHit, relevantLines: [Int], lines: ClosedRange<Int>? = nil, mergedChunkIDs: [Int64] = [],
                containerChunkID: Int64? = nil) {
        self.hit = hit
        self.relevantLines = relevantLines
        self.lines = lines ?? hit.chunk.startLine...max(hit.chunk.startLine, hit.chunk.endLine)
        self.mergedChunkIDs = mergedChunkIDs
        self.containerChunkID = containerChunkID
    }

    public subscript<Value>(dynamicMember keyPath: KeyPath<ChunkHit, Value>) -> Value { hit[keyPath: keyPath] }
}

/// Full-text search over an index: the user's words, split like identifiers
/// are at indexing time, OR-ed together and ranked by BM25 with the symbol
/// weighted above the path, and the path above the text.
///
/// Words most chunks hold ("the", "a", "is") are left out of the match when
/// the query's terms together would match too many chunks: stop words, but
/// chosen by frequency in this index rather than from a list, so it works for
/// every language and codebase. Their BM25 weight is small anyway, and
/// scoring each of their hundred thousand matches was most of the time a
/// query took on a large index.
public final class LexicalSearcher {
    public let store: IndexStore
    public var weights = ColumnWeights()
    /// Terms are kept rarest first while the chunks they match add up to at
    /// most this many (scoring costs about a microsecond per match); the
    /// rarest term is always kept. Small indexes never reach it.
    public var matchBudget = 20_000

    public init(store: IndexStore) {
        self.store = store
    }

    /// The best `limit` chunks for `query`. A query without a single letter or
    /// digit has no terms and returns no results.
    public func search(_ query: String, filters: SearchFilters = SearchFilters(), limit: Int = 10)
        throws(SearchError) -> [SearchResult]
    {
        let termSet = Set(Self.terms(of: query))
        return try hits(query, filters: filters, limit: limit).map { hit in
            SearchResult(hit: hit, relevantLines: Self.relevantLines(
                in: hit.chunk.text, firstLine: hit.chunk.startLine, terms: termSet))
        }
    }

    /// The best `limit` hits for `query` by BM25, best first; scores are the negated rank.
    public func hits(_ query: String, filters: SearchFilters = SearchFilters(), limit: Int = 10)
        throws(SearchError) -> [ChunkHit]
    {
        let terms = try matchedTerms(Self.terms(of: query))
        guard let match = Self.matchExpression(terms: terms) else { return [] }
        var lexical = LexicalQuery(match: match, revision: filters.revision, languages: filters.languageSet,
                                   pathFilter: filters.pathFilter, chunkFilter: filters.chunkFilter, limit: limit,
                                   weights: weights)
        lexical.terms = terms
        do {
            return try store.lexicalSearch(lexical)
        } catch {
            throw .store(error)
        }
    }

    /// The FTS5 expression `hits` matches `query` with: its terms less the
    /// commonest beyond `matchBudget`, quoted; nil when it has no terms.
    public func matchExpression(for query: String) throws(SearchError) -> String? {
        Self.matchExpression(terms: try matchedTerms(Self.terms(of: query)))
    }

    /// How much of `query` the index's keywords match, from 0 to 1: the
    /// characters of its whole words that some chunk holds, over those of
    /// all its whole words. 1 for "parse config file" in a codebase that
    /// parses config files, 0 for a question in a script the code never uses.
    public func coverage(of query: String) throws(SearchError) -> Double {
        let words = Set(query.split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "_" })
            .map { $0.lowercased() }).sorted()
        let total = words.reduce(0) { $0 + $1.count }
        guard total > 0 else { return 0 }
        let counts: [Int]
        do {
            counts = try store.documentFrequencies(of: words)
        } catch {
            throw .store(error)
        }
        let covered = zip(words, counts).reduce(0) { $0 + ($1.1 > 0 ? $1.0.count : 0) }
        return Double(covered) / Double(total)
    }

    /// BM25 scores (as `hits` scores them) of `chunks` that `match` matches.
    public func scores(of chunks: [Int64], match: String) throws(SearchError) -> [Int64: Double] {
        do {
            return try store.lexicalScores(match: match, weights: weights, chunks: chunks)
        } catch {
            throw .store(error)
        }
    }

    /// `terms`, in their order, less the commonest ones beyond `matchBudget`.
    func matchedTerms(_ terms: [String]) throws(SearchError) -> [String] {
        guard terms.count > 1 else { return terms }
        let counts: [Int]
        do {
            counts = try store.documentFrequencies(of: terms)
        } catch {
            throw .store(error)
        }
        guard counts.reduce(0, +) > matchBudget else { return terms }
        var kept = Set<Int>()
        var matched = 0
        for index in counts.indices.sorted(by: { counts[$0] < counts[$1] }) {
            if !kept.isEmpty && matched + counts[index] > matchBudget { break }
            kept.insert(index)
            matched += counts[index]
        }
        return terms.indices.filter(kept.contains).map { terms[$0] }
    }

    /// The index terms of a query: each word whole and split into its parts,
    /// keeping only terms with a letter or digit.
    public static func terms(of query: String) -> [String] {
        IdentifierSplitter.terms(in: query).filter { term in
            term.unicodeScalars.contains { $0.properties.isAlphabetic || $0.properties.numericType != nil }
        }
    }

    /// The lines of `text` as `text.split(separator: "\n", omittingEmptySubsequences: false)`
    /// gives them. Splitting at newline bytes gives the same lines unless a
    /// CR precedes one (CR LF is one Character, which that split never cuts)
    /// and takes a fraction of the time.
    static func lines(of text: String) -> [Substring] {
        guard !text.utf8.contains(UInt8(ascii: "\r")) else {
            return text.split(separator: "\n", omittingEmptySubsequences: false)
        }
        return text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Substring($0) }
    }

    /// `"a" OR "b" ...` with every term quoted, so no user input is ever read
    /// as FTS5 syntax (operators, column filters, `*`, `^`, parentheses); nil
    /// when there are no terms.
    public static func matchExpression(terms: [String]) -> String? {
        guard !terms.isEmpty else { return nil }
        return LexicalQuery.matchExpression(terms: terms)
    }

    /// Up to `limit` file line numbers of `text` (which starts at `firstLine`)
    /// holding the most distinct query terms, in ascending order; earlier lines
    /// win ties. Lines without any term are never returned.
    public static func relevantLines(in text: String, firstLine: Int, terms: Set<String>, limit: Int = 3) -> [Int] {
        guard !terms.isEmpty, limit > 0 else { return [] }
        let needles = TermNeedles(terms)
        var matcher = TermMatcher(terms: Array(terms))
        var scored: [(line: Int, hits: Int)] = []
        for (offset, line) in Self.lines(of: text).enumerated() where needles.mayOccur(in: line) {
            let hits = matcher?.matches(in: line).map(\.nonzeroBitCount)
                ?? IdentifierSplitter.terms(in: String(line)).reduce(0) { $0 + (terms.contains($1) ? 1 : 0) }
            if hits > 0 { scored.append((firstLine + offset, hits)) }
        }
        let best = scored.enumerated().sorted { a, b in
            a.element.hits != b.element.hits ? a.element.hits > b.element.hits : a.offset < b.offset
        }
        return best.prefix(limit).map(\.element.line).sorted()
    }
}

/// A cheap test that rules out lines holding none of a query's terms before
/// they are split into terms (most of a long chunk's lines, for every hit
/// and container member a search shows). Every term splitting yields is a
/// run of the line's bytes with ASCII letters lowercased, so a line whose
/// lowercased bytes contain no term as a substring holds none of them.
struct TermNeedles {
    private let needles: [[UInt8]]

    init(_ terms: Set<String>) {
        needles = terms.map { Array($0.utf8) }.filter { !$0.isEmpty }
    }

    func mayOccur(in line: Substring) -> Bool {
        var copy = line
        return copy.withUTF8 { bytes in needles.contains { Self.occurs($0, in: bytes) } }
    }

    private static func occurs(_ needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>) -> Bool {
        guard needle.count <= haystack.count, let first = needle.first else { return false }
        var start = 0
        while start + needle.count <= haystack.count {
            if lowercased(haystack[start]) == first {
                var matched = 1
                while matched < needle.count && lowercased(haystack[start + matched]) == needle[matched] { matched += 1 }
                if matched == needle.count { return true }
            }
            start += 1
        }
        return false
    }

    @inline(__always)
    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }
}
