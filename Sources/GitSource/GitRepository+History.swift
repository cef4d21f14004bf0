import CGit2
import Foundation

extension GitRepository {
    // MARK: References

    /// Local branches (`refs/heads/*`), sorted by name.
    public func branches() throws(GitSourceError) -> [GitReference] {
        try references(under: "refs/heads/")
    }

    /// Tags (`refs/tags/*`) peeled to commits, sorted by name. Tags of trees
    /// or blobs are left out: they name nothing Quarry can index.
    public func tags() throws(GitSourceError) -> [GitReference] {
        try references(under: "refs/tags/")
    }

    /// Remote-tracking branches (`refs/remotes/*`, named like `origin/main`),
    /// sorted by name; the symbolic `<remote>/HEAD` entries are left out.
    public func remoteBranches() throws(GitSourceError) -> [GitReference] {
        try references(under: "refs/remotes/").filter { !$0.name.hasSuffix("/HEAD") }
    }

    private func references(under prefix: String) throws(GitSourceError) -> [GitReference] {
        lock.lock()
        defer { lock.unlock() }
        var iterator: OpaquePointer?
        guard git_reference_iterator_new(&iterator, handle) == 0, let iterator else {
            throw .libgit2(operation: "list references", message: lastErrorMessage())
        }
        defer { git_reference_iterator_free(iterator) }
        var result: [GitReference] = []
        while true {
            var next: OpaquePointer?
            let status = git_reference_next(&next, iterator)
            if status == GIT_ITEROVER.rawValue { break }
            guard status == 0, let reference = next else {
                throw .libgit2(operation: "list references", message: lastErrorMessage())
            }
            defer { git_reference_free(reference) }
            let fullName = String(cString: git_reference_name(reference))
            guard fullName.hasPrefix(prefix) else { continue }
            var peeled: OpaquePointer?
            guard git_reference_peel(&peeled, reference, GIT_OBJECT_COMMIT) == 0, let commit = peeled else {
                continue
            }
            defer { git_object_free(commit) }
            result.append(GitReference(name: String(fullName.dropFirst(prefix.count)),
                                       fullName: fullName,
                                       commitID: hexString(git_object_id(commit))))
        }
        return result.sorted { $0.fullName < $1.fullName }
    }

    // MARK: History

    /// First-parent history starting at `revision` (included), newest first.
    ///
    /// Stops after `limit` commits, at the first commit whose committer time
    /// is before `since`, at a root commit, or where the first parent is
    /// missing (the boundary of a shallow clone).
    public func firstParentHistory(from revision: String = "HEAD", limit: Int? = nil,
                                   since: Date? = nil) throws(GitSourceError) -> [CommitInfo] {
        lock.lock()
        defer { lock.unlock() }
        return try firstParentHistory(from: resolveCommit(revision), limit: limit, since: since)
    }

    /// First-parent history starting at `start` (included); see
    /// `firstParentHistory(from:limit:since:)` for where it stops.
    public func firstParentHistory(from start: CommitInfo, limit: Int? = nil,
                                   since: Date? = nil) throws(GitSourceError) -> [CommitInfo] {
        lock.lock()
        defer { lock.unlock() }
        var history: [CommitInfo] = []
        var current: CommitInfo? = start
        while let commit = current {
            if let limit, history.count >= limit { break }
            if let since, commit.time < since { break }
            history.append(commit)
            guard let parent = commit.parents.first else { break }
            current = try lookUpCommit(parent)
        }
        return history
    }

    // MARK: Tree differences

    /// Paths whose entries differ between two commits' trees; `old == nil`
    /// compares against the empty tree, so everything is added.
    public func changes(from old: CommitInfo?, to new: CommitInfo) throws(GitSourceError) -> [TreeChange] {
        try changes(fromTree: old?.treeID, toTree: new.treeID)
    }

    /// Paths whose entries differ between two trees, with the old and new
    /// entries (sizes from object headers). Renames and type changes appear as
    /// a deletion plus an addition; unchanged subtrees are not visited.
    public func changes(fromTree oldTreeID: String?, toTree newTreeID: String) throws(GitSourceError) -> [TreeChange] {
        lock.lock()
        defer { lock.unlock() }
        let database = try objectDatabase()
        defer { git_odb_free(database) }
        let oldTree = try oldTreeID.map { id throws(GitSourceError) in try lookUpTree(id) }
        defer { if let oldTree { git_tree_free(oldTree) } }
        let newTree = try lookUpTree(newTreeID)
        defer { git_tree_free(newTree) }

        var found: OpaquePointer?
        guard git_diff_tree_to_tree(&found, handle, oldTree, newTree, nil) == 0, let diff = found else {
            throw .libgit2(operation: "diff trees", message: lastErrorMessage())
        }
        defer { git_diff_free(diff) }
        var result: [TreeChange] = []
        for index in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, index)?.pointee else { continue }
            let status = delta.status
            let oldEntry = status == GIT_DELTA_ADDED ? nil : try treeEntry(delta.old_file, in: database)
            let newEntry = status == GIT_DELTA_DELETED ? nil : try treeEntry(delta.new_file, in: database)
            guard let path = newEntry?.path ?? oldEntry?.path else { continue }
            result.append(TreeChange(path: path, old: oldEntry, new: newEntry))
        }
        return result
    }

    private func treeEntry(_ file: git_diff_file, in database: OpaquePointer) throws(GitSourceError) -> TreeEntry? {
        guard let rawPath = file.path, let mode = entryMode(rawMode: UInt32(file.mode)) else { return nil }
        var id = file.id
        let size = mode == .submodule ? 0 : try objectSize(&id, in: database)
        return TreeEntry(path: String(cString: rawPath), blobID: hexString(&id), size: size, mode: mode)
    }
}
