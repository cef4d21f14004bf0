/// Document frequencies of full-text terms as one connection last read them,
/// valid while the database is unchanged (`Version`): a search asks for the
/// same common words again and again, and each count reads a posting list.
final class TermCounts {
    /// A database state: `PRAGMA data_version` (other connections' commits)
    /// and this connection's own writes.
    struct Version: Equatable {
        var committed: Int64
        var written: Int64
    }

    /// Beyond this many terms the cache starts afresh: queries from a long-running
    /// server must not grow it without bound.
    static let capacity = 100_000

    private var version: Version?
    private var counts: [String: Int] = [:]

    /// The recorded count of `term`, when recorded at `version`.
    func count(of term: String, version: Version) -> Int? {
        guard version == self.version else { return nil }
        return counts[term]
    }

    func record(_ count: Int, of term: String, version: Version) {
        if version != self.version || counts.count >= Self.capacity {
            counts.removeAll(keepingCapacity: true)
            self.version = version
        }
        counts[term] = count
    }
}
