import CGit2
import Foundation
import QuarryCore

/// A git repository opened through libgit2.
///
/// Every call is serialised by an internal lock, so one instance may be
/// shared between threads; for parallel blob reads open one per thread.
public final class GitRepository: @unchecked Sendable {
    let handle: OpaquePointer
    /// Recursive so that public methods can call one another while locked.
    let lock = NSRecursiveLock()

    /// The git directory shared by all worktrees (for a linked worktree,
    /// the main repository's `.git`), without a trailing slash.
    public let commonDirectory: String
    /// This repository's own git directory (differs from `commonDirectory`
    /// in a linked worktree), without a trailing slash.
    public let gitDirectory: String
    /// The working directory, or nil for a bare repository.
    public let workingDirectory: String?

    /// Opens the repository containing `path`: a working tree, any directory
    /// inside it, a `.git` directory, a bare repository or a linked worktree.
    public init(discoveringFrom path: String) throws(GitSourceError) {
        _ = libgit2Initialized
        guard FileManager.default.fileExists(atPath: path) else { throw .pathNotFound(path) }
        var repository: OpaquePointer?
        let status = git_repository_open_ext(&repository, path, 0, nil)
        guard status == 0, let repository else {
            if status == GIT_ENOTFOUND.rawValue { throw .notARepository(path) }
            throw .libgit2(operation: "open repository at \(path)", message: lastErrorMessage())
        }
        handle = repository
        commonDirectory = Self.trimmedDirectory(git_repository_commondir(repository)) ?? ""
        gitDirectory = Self.trimmedDirectory(git_repository_path(repository)) ?? ""
        workingDirectory = Self.trimmedDirectory(git_repository_workdir(repository))
    }

    deinit {
        git_repository_free(handle)
    }

    /// Whether the repository has no working directory.
    public var isBare: Bool { workingDirectory == nil }

    /// Where Quarry keeps its files for this repository: `<common dir>/quarry`,
    /// shared by all worktrees.
    public var quarryDirectory: String { commonDirectory + "/quarry" }

    /// Whether the repository is a shallow clone (its history is cut off).
    public var isShallow: Bool {
        lock.lock()
        defer { lock.unlock() }
        return git_repository_is_shallow(handle) == 1
    }

    // MARK: Revisions

    /// Resolves a revision (`HEAD`, a branch, a tag, a short or full id,
    /// `HEAD~3`, ...) to the commit it names, peeling annotated tags.
    public func resolveCommit(_ revision: String = "HEAD") throws(GitSourceError) -> CommitInfo {
        lock.lock()
        defer { lock.unlock() }
        var object: OpaquePointer?
        let status = git_revparse_single(&object, handle, revision)
        guard status == 0, let object else {
            let message = lastErrorMessage()
            if let branch = unbornBranch(), revision == branch || revision.hasPrefix("HEAD") {
                throw .unbornHead(branch: branch)
            }
            throw .badRevision(revision, detail: status == GIT_ENOTFOUND.rawValue ? "not found" : message)
        }
        defer { git_object_free(object) }
        var peeled: OpaquePointer?
        guard git_object_peel(&peeled, object, GIT_OBJECT_COMMIT) == 0, let commit = peeled else {
            throw .notACommit(revision)
        }
        defer { git_commit_free(commit) }
        return commitInfo(commit)
    }

    /// The branch `HEAD` points to when it has no commits yet; nil otherwise.
    func unbornBranch() -> String? {
        guard git_repository_head_unborn(handle) == 1 else { return nil }
        var head: OpaquePointer?
        guard git_reference_lookup(&head, handle, "HEAD") == 0, let head else { return "HEAD" }
        defer { git_reference_free(head) }
        guard let target = git_reference_symbolic_target(head) else { return "HEAD" }
        let name = String(cString: target)
        return name.hasPrefix("refs/heads/") ? String(name.dropFirst("refs/heads/".count)) : name
    }

    /// Copies a libgit2 commit into a value.
    func commitInfo(_ commit: OpaquePointer) -> CommitInfo {
        let parents = (0..<git_commit_parentcount(commit)).compactMap { index in
            git_commit_parent_id(commit, index).map(hexString)
        }
        let signature = git_commit_author(commit)?.pointee
        return CommitInfo(
            id: hexString(git_commit_id(commit)),
            treeID: hexString(git_commit_tree_id(commit)),
            parents: parents,
            time: Date(timeIntervalSince1970: TimeInterval(git_commit_time(commit))),
            author: signature?.name.map { String(cString: $0) } ?? "",
            authorEmail: signature?.email.map { String(cString: $0) } ?? "",
            subject: git_commit_summary(commit).map { String(cString: $0) } ?? "")
    }

    /// Looks a commit up by full id; nil when it is absent (e.g. beyond a
    /// shallow clone's boundary).
    func lookUpCommit(_ id: String) throws(GitSourceError) -> CommitInfo? {
        var oid = try objectID(fromHex: id)
        var found: OpaquePointer?
        let status = git_commit_lookup(&found, handle, &oid)
        if status == GIT_ENOTFOUND.rawValue { return nil }
        guard status == 0, let commit = found else {
            throw .libgit2(operation: "read commit \(id)", message: lastErrorMessage())
        }
        defer { git_commit_free(commit) }
        return commitInfo(commit)
    }

    // MARK: Trees and blobs

    /// All non-directory entries of the commit's tree, depth first in tree
    /// order, with sizes read from object headers (blobs are not loaded).
    public func treeEntries(of commit: CommitInfo) throws(GitSourceError) -> [TreeEntry] {
        try treeEntries(ofTree: commit.treeID)
    }

    /// All non-directory entries of a tree, recursively.
    public func treeEntries(ofTree treeID: String) throws(GitSourceError) -> [TreeEntry] {
        lock.lock()
        defer { lock.unlock() }
        let database = try objectDatabase()
        defer { git_odb_free(database) }
        let root = try lookUpTree(treeID)
        defer { git_tree_free(root) }
        var entries: [TreeEntry] = []
        try appendEntries(of: root, prefix: "", database: database, to: &entries)
        return entries
    }

    private func appendEntries(of tree: OpaquePointer, prefix: String, database: OpaquePointer,
                               to entries: inout [TreeEntry]) throws(GitSourceError) {
        for index in 0..<git_tree_entrycount(tree) {
            guard let entry = git_tree_entry_byindex(tree, index), let id = git_tree_entry_id(entry) else {
                continue
            }
            let name = String(cString: git_tree_entry_name(entry))
            let path = prefix.isEmpty ? name : prefix + "/" + name
            let rawMode = git_tree_entry_filemode(entry).rawValue
            if rawMode == GIT_FILEMODE_TREE.rawValue {
                var subtree: OpaquePointer?
                guard git_tree_lookup(&subtree, handle, id) == 0, let subtree else {
                    throw .objectNotFound(hexString(id))
                }
                defer { git_tree_free(subtree) }
                try appendEntries(of: subtree, prefix: path, database: database, to: &entries)
                continue
            }
            guard let mode = entryMode(rawMode: rawMode) else { continue }
            let size = mode == .submodule ? 0 : try objectSize(id, in: database)
            entries.append(TreeEntry(path: path, blobID: hexString(id), size: size, mode: mode))
        }
    }

    /// The bytes of a blob.
    public func blobContents(_ blobID: String) throws(GitSourceError) -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        var oid = try objectID(fromHex: blobID)
        var found: OpaquePointer?
        guard git_blob_lookup(&found, handle, &oid) == 0, let blob = found else {
            throw .objectNotFound(blobID)
        }
        defer { git_blob_free(blob) }
        let count = Int(git_blob_rawsize(blob))
        guard count > 0, let bytes = git_blob_rawcontent(blob) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: bytes, count: count))
    }

    // MARK: Helpers shared with the history extension

    func objectDatabase() throws(GitSourceError) -> OpaquePointer {
        var database: OpaquePointer?
        guard git_repository_odb(&database, handle) == 0, let database else {
            throw .libgit2(operation: "open the object database", message: lastErrorMessage())
        }
        return database
    }

    func lookUpTree(_ treeID: String) throws(GitSourceError) -> OpaquePointer {
        var oid = try objectID(fromHex: treeID)
        var tree: OpaquePointer?
        guard git_tree_lookup(&tree, handle, &oid) == 0, let tree else { throw .objectNotFound(treeID) }
        return tree
    }

    /// Object size from its header: inflates only the first bytes.
    func objectSize(_ id: UnsafePointer<git_oid>, in database: OpaquePointer) throws(GitSourceError) -> Int {
        var size = 0
        var type = GIT_OBJECT_ANY
        guard git_odb_read_header(&size, &type, database, id) == 0 else {
            throw .objectNotFound(hexString(id))
        }
        return size
    }

    private static func trimmedDirectory(_ path: UnsafePointer<CChar>?) -> String? {
        guard let path else { return nil }
        var text = String(cString: path)
        while text.count > 1, text.hasSuffix("/") { text.removeLast() }
        return text
    }
}
