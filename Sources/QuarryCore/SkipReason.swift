/// Why a blob was not chunked. Every skipped blob is counted under one reason.
public enum SkipReason: String, Sendable, Codable, CaseIterable, Hashable {
    /// A NUL byte in the first 8 KiB.
    case binary
    /// Larger than the configured size limit.
    case tooLarge = "too-large"
    /// Minified (very long lines) or marked as generated (`@generated`).
    case generated
    /// A Git LFS pointer file rather than the content.
    case lfsPointer = "lfs-pointer"
    /// A submodule (gitlink) entry: its content lives in another repository.
    case submodule
    /// A symbolic link: its target is a path, not source.
    case symlink
    /// Not valid UTF-8 text.
    case invalidUTF8 = "invalid-utf8"
}
