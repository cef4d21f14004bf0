import Foundation
import QuarryCore

/// A commit, copied out of libgit2 into plain values.
public struct CommitInfo: Sendable, Hashable {
    /// Full 40-digit hexadecimal commit id.
    public var id: String
    /// Id of the commit's root tree.
    public var treeID: String
    /// Parent commit ids, first parent first. In a shallow clone the parents
    /// of the boundary commits are listed but not present.
    public var parents: [String]
    /// Committer time.
    public var time: Date
    /// Author name.
    public var author: String
    /// Author e-mail address.
    public var authorEmail: String
    /// First paragraph of the message, whitespace collapsed to one line.
    public var subject: String

    public init(id: String, treeID: String, parents: [String], time: Date,
                author: String, authorEmail: String, subject: String) {
        self.id = id
        self.treeID = treeID
        self.parents = parents
        self.time = time
        self.author = author
        self.authorEmail = authorEmail
        self.subject = subject
    }
}

/// The kind of a non-directory tree entry, from its git file mode.
public enum EntryMode: String, Sendable, Hashable, CaseIterable {
    /// 100644: a regular file.
    case file
    /// 100755: an executable file.
    case executable
    /// 120000: a symbolic link; the blob holds the target path.
    case symlink
    /// 160000: a gitlink; the id is a commit in another repository.
    case submodule
}

/// One file-like entry of a recursively walked tree.
public struct TreeEntry: Sendable, Hashable {
    /// Slash-separated path from the tree root.
    public var path: String
    /// Blob id in hex; for a submodule, the id of the commit it pins.
    public var blobID: String
    /// Blob size in bytes from the object header (0 for submodules).
    public var size: Int
    public var mode: EntryMode

    public init(path: String, blobID: String, size: Int, mode: EntryMode) {
        self.path = path
        self.blobID = blobID
        self.size = size
        self.mode = mode
    }
}

/// A branch or tag and the commit it resolves to.
public struct GitReference: Sendable, Hashable {
    /// Short name, e.g. `main`, `feature/x`, `v1.0`.
    public var name: String
    /// Full name, e.g. `refs/heads/main`.
    public var fullName: String
    /// The commit the reference peels to.
    public var commitID: String

    public init(name: String, fullName: String, commitID: String) {
        self.name = name
        self.fullName = fullName
        self.commitID = commitID
    }
}

/// One path that differs between two trees. Renames and type changes appear
/// as a deletion plus an addition.
public struct TreeChange: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case added, modified, deleted
    }

    public var path: String
    /// The entry in the old tree; nil when added.
    public var old: TreeEntry?
    /// The entry in the new tree; nil when deleted.
    public var new: TreeEntry?

    public init(path: String, old: TreeEntry?, new: TreeEntry?) {
        self.path = path
        self.old = old
        self.new = new
    }

    public var kind: Kind {
        switch (old, new) {
        case (nil, _): return .added
        case (_, nil): return .deleted
        default: return .modified
        }
    }
}
