import CGit2

extension GitRepository {
    /// The URL of the remote called `name`; nil when there is none.
    public func remoteURL(named name: String = "origin") -> String? {
        lock.lock()
        defer { lock.unlock() }
        var remote: OpaquePointer?
        guard git_remote_lookup(&remote, handle, name) == 0, let remote else { return nil }
        defer { git_remote_free(remote) }
        return git_remote_url(remote).map { String(cString: $0) }
    }
}
