/// One published revision of a repository, as a team server's status lists it.
public struct TeamRevisionSummary: Sendable {
    public var repository: String
    public var name: String
    public var commitID: String
    /// ISO 8601, UTC.
    public var commitTime: String
    public var publishedAt: String
    public var files: Int
    /// Whether searches read this revision of its repository by default.
    public var isDefault: Bool
}

extension TeamStore {
    /// Every published revision, by repository name and then publication time.
    public func publishedRevisions() throws(TeamStoreError) -> [TeamRevisionSummary] {
        let utc = #"'YYYY-MM-DD"T"HH24:MI:SS"Z"'"#
        let result = try connection.execute("""
            SELECT p.name, r.name, r.commit_id, to_char(r.commit_time AT TIME ZONE 'UTC', \(utc)),
                   to_char(r.published_at AT TIME ZONE 'UTC', \(utc)),
                   (SELECT count(*) FROM quarry_files f WHERE f.revision_id = r.id),
                   r.id IS NOT DISTINCT FROM p.default_revision_id
            FROM quarry_repositories p JOIN quarry_revisions r ON r.repository_id = p.id
            ORDER BY p.name, r.published_at, r.id
            """, operation: "the status")
        return (0..<result.count).map { row in
            TeamRevisionSummary(repository: result.string(row, 0), name: result.string(row, 1),
                                commitID: result.string(row, 2), commitTime: result.string(row, 3),
                                publishedAt: result.string(row, 4), files: result.int(row, 5),
                                isDefault: result.string(row, 6) == "t")
        }
    }

    /// The models whose vectors the database holds: name, revision, dimension.
    public func models() throws(TeamStoreError) -> [(name: String, revision: String, dimension: Int)] {
        let result = try connection.execute("SELECT name, revision, dim FROM quarry_models ORDER BY id",
                                            operation: "the status")
        return (0..<result.count).map { (result.string($0, 0), result.string($0, 1), result.int($0, 2)) }
    }
}
