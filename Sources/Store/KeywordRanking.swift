import Foundation

/// Phase 1 of `IndexStore.lexicalSearch`: the best rows of a full-text match
/// by FTS5's bm25, best first (rank, then row id), as (row, score).
///
/// Scoring is nearly all of a keyword search's time (a microsecond or two
/// per matching row, against a tenth of that to walk the matches), so rows
/// that cannot make the list are left unscored when that can be proven, and
/// the list is exactly the one scoring every row gives (MaxScore pruning):
/// bm25 adds, per term, the term's IDF times a frequency factor that stays
/// below k1 + 1 = 2.2 however often the term occurs. A row holding only the
/// commonest term therefore scores below `2.2 * IDF(commonest)`; rows holding
/// any other term are scored, and when the `depth`-th of them scores at
/// least that bound, no unscored row can take its place. Otherwise every
/// row is scored, as before.
struct KeywordRanking {
    private let everyRow: Statement
    private let pruned: (statement: Statement, bound: Double)?

    init(_ store: IndexStore, _ query: LexicalQuery) throws(StoreError) {
        everyRow = try Self.statement(store, query, candidates: nil)
        pruned = try Self.pruning(store, query)
    }

    /// The best `depth` rows; fewer when the match has fewer.
    func best(_ depth: Int) throws(StoreError) -> [(row: Int64, score: Double)] {
        if let pruned {
            let rows = try Self.run(pruned.statement, depth: depth)
            if rows.count == depth, let last = rows.last, last.score >= pruned.bound { return rows }
        }
        return try Self.run(everyRow, depth: depth)
    }

    /// The statement scoring the rows that hold another term than the
    /// commonest, and the score the last of them must reach; nil when
    /// pruning cannot pay (one term, or the commonest matches no more rows
    /// than the others together) or the weights void the bound.
    private static func pruning(_ store: IndexStore, _ query: LexicalQuery)
        throws(StoreError) -> (statement: Statement, bound: Double)?
    {
        let weights = [query.weights.symbol, query.weights.path, query.weights.text]
        guard query.terms.count > 1, weights.allSatisfy({ $0 >= 0 && $0.isFinite }),
              query.match == LexicalQuery.matchExpression(terms: query.terms) else { return nil }
        let counts = try store.documentFrequencies(of: query.terms)
        guard let commonest = counts.indices.max(by: { counts[$0] < counts[$1] }),
              counts[commonest] > counts.reduce(0, +) - counts[commonest] else { return nil }
        // bm25 counts the rows of the table; chunk ids are those rows' ids, so the
        // largest is at least their number (and IDF only grows with it).
        let rows = Double(try store.db.integer("SELECT max(id) FROM chunks"))
        let hits = Double(counts[commonest])
        let idf = max(1e-6, log((rows - hits + 0.5) / (hits + 0.5)))
        // A hair above the bound, so rounding in bm25's own sum cannot cross it.
        let bound = 2.2 * idf * (1 + 1e-9)
        var others = query.terms
        others.remove(at: commonest)
        return (try statement(store, query, candidates: LexicalQuery.matchExpression(terms: others)), bound)
    }

    private static func statement(_ store: IndexStore, _ query: LexicalQuery,
                                  candidates: String?) throws(StoreError) -> Statement {
        // `+rowid` keeps SQLite from handing FTS5 one lookup per candidate:
        // it walks the matches and scores only the candidates.
        let statement = try store.db.prepare("""
            SELECT rowid, bm25(chunks_fts, ?1, ?2, ?3) AS rank FROM chunks_fts
            WHERE chunks_fts MATCH ?4
            \(candidates == nil ? "" : "AND +rowid IN (SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ?6)")
            ORDER BY rank, rowid LIMIT ?5
            """)
        statement.bind(query.weights.symbol, at: 1)
        statement.bind(query.weights.path, at: 2)
        statement.bind(query.weights.text, at: 3)
        statement.bind(query.match, at: 4)
        if let candidates { statement.bind(candidates, at: 6) }
        return statement
    }

    private static func run(_ statement: Statement, depth: Int) throws(StoreError) -> [(row: Int64, score: Double)] {
        statement.bind(depth, at: 5)
        defer { statement.reset() }
        var rows: [(row: Int64, score: Double)] = []
        while try statement.step() { rows.append((statement.int64(0), -statement.double(1))) }
        return rows
    }
}

extension LexicalQuery {
    /// `"a" OR "b" ...` with every term quoted, so no input is read as FTS5
    /// syntax: the expression `terms` describes.
    public static func matchExpression(terms: [String]) -> String {
        terms.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: " OR ")
    }
}
