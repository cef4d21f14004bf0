import GitSource
import Store

/// Any git revision expression names an indexed revision: `HEAD~2`, a full
/// or short commit id, a branch or tag resolve through git to a commit, and
/// that commit to whatever name the index stored it under (a history
/// commit's short id, a ref's name). Without the repository (an index given
/// alone) only stored names work.
extension QuarryEngine {
    /// How far the history is walked, each way, for the nearest indexed revisions.
    static let nearestRevisionWalk = 1_000

    /// The stored name of the revision `expression` means; `expression`
    /// itself when the index stores that name or no repository is at hand.
    /// Throws, naming the indexed revisions nearest in history, when git
    /// knows the commit but the index does not.
    func indexedName(of expression: String, in store: IndexStore) throws -> String {
        if expression == IndexStore.allRevisions { return expression }
        if try store.revision(named: expression) != nil { return expression }
        guard let repositoryPath, let repository = try? GitRepository(discoveringFrom: repositoryPath),
              let commit = try? repository.resolveCommit(expression) else {
            return expression
        }
        let revisions = try store.revisions()
        if let stored = revisions.first(where: { $0.commitID == commit.id }) { return stored.name }
        throw EngineError(.notFound, "commit \(commit.id.prefix(12)) (\(expression)) is not indexed; "
                          + nearest(to: commit, among: revisions, in: repository))
    }

    /// "nearest indexed revisions: v1.0 (3 commits before), HEAD (2 after)",
    /// along first parents, or the indexed names when none is related.
    private func nearest(to commit: CommitInfo, among revisions: [RevisionRecord],
                         in repository: GitRepository) -> String {
        var found: [String] = []
        let byCommit = Dictionary(revisions.map { ($0.commitID, $0.name) }, uniquingKeysWith: { first, _ in first })
        let before = (try? repository.firstParentHistory(from: commit, limit: Self.nearestRevisionWalk)) ?? []
        if let (distance, ancestor) = before.enumerated().first(where: { byCommit[$0.element.id] != nil }),
           let name = byCommit[ancestor.id] {
            found.append("\(name) (\(Self.commits(distance)) before)")
        }
        // A descendant: the closest indexed revision whose first-parent history holds the commit.
        var after: (name: String, distance: Int)?
        for revision in revisions {
            guard let history = try? repository.firstParentHistory(from: revision.commitID,
                                                                  limit: Self.nearestRevisionWalk),
                  let distance = history.firstIndex(where: { $0.id == commit.id }),
                  distance < (after?.distance ?? .max) else { continue }
            after = (revision.name, distance)
        }
        if let after { found.append("\(after.name) (\(Self.commits(after.distance)) after)") }
        if found.isEmpty {
            return "indexed revisions: " + revisions.prefix(5).map(\.name).joined(separator: ", ")
                + (revisions.count > 5 ? ", ..." : "")
        }
        return "nearest indexed revisions: " + found.joined(separator: ", ") + " (quarry index --rev to add it)"
    }

    private static func commits(_ count: Int) -> String { count == 1 ? "1 commit" : "\(count) commits" }
}
