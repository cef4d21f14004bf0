import TeamStore

extension QuarryEngine {
    /// What a team database holds, as `/api/status` of `quarry serve --db`
    /// reports it: each repository's published revisions (the default one,
    /// searched unless a revision is named, marked) and the models.
    package func teamStatus() throws -> JSON {
        guard let team else { throw EngineError(.invalidRequest, "no team database is searched here") }
        let (revisions, models) = try team.withStore { store in
            (try store.publishedRevisions(), try store.models())
        }
        var repositories: [(name: String, revisions: [JSON])] = []
        for revision in revisions {
            let json = JSON.object([("name", .string(revision.name)), ("commit", .string(revision.commitID)),
                                    ("date", .string(revision.commitTime)), ("files", .int(revision.files)),
                                    ("published_at", .string(revision.publishedAt)), ("default", .bool(revision.isDefault))])
            if repositories.last?.name == revision.repository {
                repositories[repositories.count - 1].revisions.append(json)
            } else {
                repositories.append((revision.repository, [json]))
            }
        }
        return .object([
            ("database", .string(team.displayURL)),
            ("repositories", .array(repositories.map { .object([("name", .string($0.name)), ("revisions", .array($0.revisions))]) })),
            ("models", .array(models.map { .object([("name", .string($0.name)), ("revision", .string($0.revision)),
                                                    ("dim", .int($0.dimension))]) })),
        ])
    }
}
