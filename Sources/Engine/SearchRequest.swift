import Foundation
import QuarryCore
import Search
import Store

/// One search as every front end states it. Validation happens in the
/// engine, so the CLI, the MCP server and the HTTP server refuse the same
/// inputs with the same words.
package struct SearchRequest: Sendable {
    package var query: String
    package var mode: SearchMode = .hybrid
    package var limit = 10
    /// Only these languages; empty means all.
    package var languages: Set<Language> = []
    /// Keep a path when it matches any of these; empty means all.
    package var paths: [PathGlob] = []
    /// An indexed revision's name; nil means HEAD when indexed, else the newest.
    package var revision: String?
    /// Search every indexed revision and tell where each version first appeared.
    package var allRevisions = false
    /// A model name or directory; nil means the library's default.
    package var model: String?
    /// Which test code to return, and whether it yields to the code it tests.
    package var tests: TestPolicy = .below
    /// With `allRevisions`: list the revisions in which each result's function changed.
    package var changes = false
    /// With a team database: only these repositories; empty means all.
    package var repositories: [String] = []

    package static let limits = 1...10_000
    /// Longer queries are refused: no question needs 4 KB, and the tokenizer
    /// and FTS5 would only spend time on them.
    package static let maximumQueryBytes = 4096

    package init(query: String) {
        self.query = query
    }

    /// The first reason this request cannot run, before any index work.
    package func validate() throws(EngineError) {
        guard query.contains(where: { !$0.isWhitespace }) else {
            throw EngineError(.invalidRequest, "the query is empty; give words or a question, e.g. \"parse config\"")
        }
        guard query.utf8.count <= Self.maximumQueryBytes else {
            throw EngineError(.invalidRequest, "the query is \(query.utf8.count) bytes; at most "
                              + "\(Self.maximumQueryBytes) are searched")
        }
        guard !query.unicodeScalars.contains("\0") else {
            throw EngineError(.invalidRequest, "the query contains a NUL character")
        }
        guard Self.limits.contains(limit) else {
            throw EngineError(.invalidRequest, "the limit must be between 1 and \(Self.limits.upperBound), not \(limit)")
        }
        if mode == .lexical && LexicalSearcher.terms(of: query).isEmpty {
            throw EngineError(.invalidRequest, "the query has no terms to match by keywords (no letters or digits); "
                              + "try mode semantic or hybrid")
        }
        if allRevisions && revision != nil {
            throw EngineError(.invalidRequest, "a revision and all revisions exclude each other")
        }
        if changes && !allRevisions {
            throw EngineError(.invalidRequest, "changes are listed across all revisions: add --all-revs")
        }
    }

    package var filters: SearchFilters {
        SearchFilters(languages: languages.isEmpty ? nil : languages, paths: paths,
                      revision: allRevisions ? IndexStore.allRevisions : revision, tests: tests)
    }
}

/// A result, with where its version first and last appeared when every revision was searched.
package struct SearchHit: Sendable {
    package var result: SearchResult
    package var lifetime: BlobLifetime?
    /// The revisions, oldest first, in which the result's function changed (when asked for).
    package var changes: [RevisionRecord]?
    /// The repository holding the result, when a team database was searched.
    package var repository: String?

    /// The object `quarry search --json` prints per result (and the HTTP API
    /// and MCP `search` return). With a lifetime (all revisions), `rev` is the
    /// newest revision holding the chunk's blob, and `first_commit` and
    /// `last_rev` are added.
    package var json: JSON {
        let chunk = result.chunk
        var pairs: [(String, JSON)] = [
            ("path", .string(result.path)),
            ("start_line", .int(chunk.startLine)),
            ("end_line", .int(chunk.endLine)),
            ("language", .string(chunk.language.rawValue)),
            ("kind", .string(chunk.kind.rawValue)),
            ("symbol", .string(chunk.symbol)),
            ("score", .double(result.score)),
            ("blob", .string(result.blobID)),
            ("rev", .string(lifetime?.last.name ?? result.revision)),
            ("text", .string(chunk.text)),
        ]
        if let repository { pairs.insert(("repo", .string(repository)), at: 0) }
        if let lifetime {
            let first = lifetime.first
            pairs.append(("first_commit", .object([
                ("id", .string(first.commitID)),
                ("date", .string(ISO8601DateFormatter().string(from: first.commitTime))),
                ("author", .string(first.author)),
                ("subject", .string(first.subject)),
            ])))
            pairs.append(("last_rev", .string(lifetime.last.name)))
        }
        if let changes {
            pairs.append(("changes", .array(changes.map { revision in
                .object([
                    ("rev", .string(revision.name)),
                    ("id", .string(revision.commitID)),
                    ("date", .string(ISO8601DateFormatter().string(from: revision.commitTime))),
                    ("author", .string(revision.author)),
                    ("subject", .string(revision.subject)),
                ])
            })))
        }
        return .object(pairs)
    }
}

/// What a search found, with what it wants said about how it searched.
package struct SearchResponse: Sendable {
    package var hits: [SearchHit]
    /// Remarks for a person, e.g. that the index has no vectors and keywords alone were used.
    package var notes: [String] = []
    package var timings: SearchTimings
}

/// The phases of one search, for `--stats`.
package struct SearchTimings: Sendable {
    package let started = monotonicSeconds()
    package var modelLoadSeconds = 0.0
    package var queryEmbeddingSeconds = 0.0
    package var search = SearchStatistics()
    /// A team database: connecting (or taking a kept connection) and resolving the revisions searched.
    package var databaseSeconds = 0.0
    package var totalSeconds = 0.0

    package init() {}

    package func summary(results: Int) -> String {
        func ms(_ seconds: Double) -> String { String(format: "%.1f ms", seconds * 1000) }
        var parts: [String] = []
        if modelLoadSeconds > 0 {
            parts.append("model load \(ms(modelLoadSeconds))")
            parts.append("query embedding \(ms(queryEmbeddingSeconds))")
        }
        if let source = search.vectorSource {
            let from = source == .database ? "database (vector file out of date: run 'quarry index')" : "mapped vector file"
            parts.append("\(search.vectorRows) vectors from the \(from) in \(ms(search.vectorLoadSeconds))")
            parts.append("vector scoring \(ms(search.vectorScoringSeconds))")
            parts.append("semantic ranking \(ms(search.semanticSeconds))")
        }
        if databaseSeconds > 0 { parts.append("database connection and scope \(ms(databaseSeconds))") }
        if search.vectorSource == nil && search.semanticSeconds > 0 {
            parts.append("semantic ranking in the database \(ms(search.semanticSeconds))")
        }
        if search.lexicalSeconds > 0 { parts.append("lexical ranking \(ms(search.lexicalSeconds))") }
        if search.bridgeSeconds > 0 {
            parts.append("keyword bridge \(ms(search.bridgeSeconds)) (coverage \(ms(search.coverageSeconds)))")
        }
        if search.mergingSeconds > 0 { parts.append("merging \(ms(search.mergingSeconds))") }
        parts.append("\(results) results in \(ms(totalSeconds)) since the command started")
        return "quarry: stats: " + parts.joined(separator: ", ")
    }
}
