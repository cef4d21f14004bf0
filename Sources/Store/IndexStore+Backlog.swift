import CSQLite

/// How much of a revision a model has embedded, while some is still missing.
public struct EmbeddingBacklog: Sendable, Hashable {
    /// Distinct chunk texts of the revision.
    public var texts: Int
    /// Those without a vector for the model yet.
    public var missing: Int

    public init(texts: Int, missing: Int) {
        self.texts = texts
        self.missing = missing
    }

    /// Texts with a vector.
    public var embedded: Int { texts - min(missing, texts) }

    /// The share of texts with a vector, 0...1.
    public var coverage: Double { texts > 0 ? Double(embedded) / Double(texts) : 1 }

    /// `coverage` in whole percent, rounded down so 100 means done.
    public var percentEmbedded: Int { Int((coverage * 100).rounded(.down)) }
}

/// The embedding backlog (schema version 3): a revision recorded before its
/// texts are embedded carries a row per model until the last one is, so a
/// search knows in one lookup how much semantic ranking covers. Rows are
/// written in the same transactions as what they count (the revision's
/// record, each batch of vectors), so a killed run leaves them exact.
extension IndexStore {
    /// What `model` still lacks of `revision` (default: see `files(in:)`); nil when nothing.
    public func embeddingBacklog(revision: String? = nil, model: ModelRecord) throws(StoreError) -> EmbeddingBacklog? {
        guard let (revisionRow, _) = try resolveRevision(revision), revisionRow >= 0 else { return nil }
        let statement = try db.prepare("SELECT texts, missing FROM embedding_backlog WHERE revision_id = ? AND model_id = ?")
        statement.bind(revisionRow, at: 1)
        statement.bind(model.id, at: 2)
        guard try statement.step() else { return nil }
        return EmbeddingBacklog(texts: statement.int(0), missing: statement.int(1))
    }

    /// Names of the revisions with texts `model` has not embedded yet, in the order they were recorded.
    public func revisionsWithBacklog(model: ModelRecord) throws(StoreError) -> [String] {
        let statement = try db.prepare("""
            SELECT r.name FROM embedding_backlog b JOIN revisions r ON r.id = b.revision_id
            WHERE b.model_id = ? ORDER BY r.id
            """)
        statement.bind(model.id, at: 1)
        var names: [String] = []
        while try statement.step() { names.append(statement.string(0)) }
        return names
    }

    /// Counts `revision`'s texts and those `model` lacks afresh and stores the
    /// result (no row when none are missing): for a run that resumes, or one
    /// whose vectors also served other revisions.
    @discardableResult
    public func recountBacklog(revision: String, model: ModelRecord) throws(StoreError) -> EmbeddingBacklog? {
        if mode == .readOnly { throw .readOnly(path: path) }
        guard let (revisionRow, _) = try resolveRevision(revision) else { return nil }
        return try db.transaction { () throws(StoreError) -> EmbeddingBacklog? in
            let missing = try countTextsWithoutEmbeddings(model: model, revision: revision)
            // Counting the texts costs a scan: only when something is missing.
            let backlog = missing > 0 ? EmbeddingBacklog(texts: try countTexts(in: .revision(revisionRow)), missing: missing)
                : nil
            try storeBacklog(backlog, revision: revisionRow, model: model.id)
            return backlog
        }
    }

    /// What `model` lacks of the staged file list (see `stageFiles`), to
    /// record the revision with (`recordStagedRevision(_:backlog:)`).
    public func stagedBacklog(model: ModelRecord) throws(StoreError) -> EmbeddingBacklog {
        EmbeddingBacklog(texts: try countTexts(in: .staged), missing: try countStagedTextsWithoutEmbeddings(model: model))
    }

    /// Replaces the row of (`revision`, `model`); nil deletes it. Call inside a transaction.
    func storeBacklog(_ backlog: EmbeddingBacklog?, revision: Int64, model: Int64) throws(StoreError) {
        let statement: Statement
        if let backlog {
            statement = try db.prepare("""
                INSERT OR REPLACE INTO embedding_backlog(revision_id, model_id, texts, missing) VALUES (?1, ?2, ?3, ?4)
                """)
            statement.bind(backlog.texts, at: 3)
            statement.bind(backlog.missing, at: 4)
        } else {
            statement = try db.prepare("DELETE FROM embedding_backlog WHERE revision_id = ?1 AND model_id = ?2")
        }
        statement.bind(revision, at: 1)
        statement.bind(model, at: 2)
        try statement.run()
    }

    /// Counts `embedded` new vectors against `revision`'s row for `model`,
    /// deleting it when nothing is missing. Call inside the vectors' transaction.
    func settleBacklog(revision: String, model: Int64, embedded: Int) throws(StoreError) {
        guard embedded > 0 else { return }
        let statement = try db.prepare("""
            UPDATE embedding_backlog SET missing = max(0, missing - ?1)
            WHERE model_id = ?2 AND revision_id = (SELECT id FROM revisions WHERE name = ?3)
            """)
        statement.bind(embedded, at: 1)
        statement.bind(model, at: 2)
        statement.bind(revision, at: 3)
        try statement.run()
        try db.execute("DELETE FROM embedding_backlog WHERE missing = 0")
    }

    private func countTexts(in scope: ChunkScope) throws(StoreError) -> Int {
        let statement = try db.prepare("SELECT count(DISTINCT c.content_hash) FROM chunks c WHERE \(scope.condition)")
        scope.bind(to: statement)
        guard try statement.step() else { return 0 }
        return statement.int(0)
    }
}
