/// Why a blob was not chunked. Every skipped blob is counted under one reason.
public enum SkipReason: String, Sendable, Codable, CaseIterable, Hashable {
    /// A NUL byte in the first 8 KiB.
    case binary
    /// Larger than the configured size limit.
    case tooLarge = "too-large"
    /// Minified (very long lines), marked as generated (`@generated`) or named
    /// like generated code (`*.min.js`, `*_pb2.py`, `*.pb.go`).
    case generated
    /// Under a directory of vendored dependencies (`node_modules/`, `vendor/`, `third_party/`).
    case vendored
    /// A Git LFS pointer file rather than the content.
    case lfsPointer = "lfs-pointer"
    /// A submodule (gitlink) entry: its content lives in another repository.
    case submodule
    /// A symbolic link: its target is a path, not source.
    case symlink
    /// Not valid UTF-8 text.
    case invalidUTF8 = "invalid-utf8"
    /// A dependency lock file or checksum list (`go.sum`, `Cargo.lock`, `SHA256SUMS`).
    case lockFile = "lock-file"
    /// A key, certificate or signature (`*.pem`, `*.key`, `*.crt`, PEM armour).
    case key
    /// An image stored as text (SVG, XPM).
    case image
    /// A source map (`*.map`).
    case sourceMap = "source-map"
    /// A large data file (JSON, CSV, XML ...) or a base64 dump.
    case data

    /// Whether the reason says "data, not code": kept out by default,
    /// indexed with `quarry index --include-data`.
    public var isData: Bool {
        switch self {
        case .lockFile, .key, .image, .sourceMap, .data: return true
        case .binary, .tooLarge, .generated, .vendored, .lfsPointer, .submodule, .symlink, .invalidUTF8: return false
        }
    }
}
