import QuarryCore

/// Files that answer no question about how code works, yet match questions
/// by accident: lock files and checksum lists (hashes that look like
/// "words" to a tokenizer), keys and certificates, images stored as text,
/// source maps, large data files and base64 dumps. A first index of a Go or
/// Python web framework put `go.sum`, `uv.lock` and a test certificate's
/// `key.pem` above the code for questions in Chinese and Japanese.
///
/// Only files without a grammar are judged: code is never skipped as data.
public struct DataFileRules: Sendable, Hashable {
    /// JSON, CSV, XML and similar files larger than this are data, not configuration.
    public var largeDataBytes: Int
    /// A file whose lines are mostly base64 runs of at least this many characters is an encoded blob.
    public var base64LineLength: Int

    public init(largeDataBytes: Int = 32 * 1024, base64LineLength: Int = 60) {
        self.largeDataBytes = largeDataBytes
        self.base64LineLength = base64LineLength
    }

    /// Why `path` with `text` is data rather than code or prose; nil when it is neither.
    public func skipReason(path: String, text: Substring, language: Language) -> SkipReason? {
        guard language == .other else { return nil }
        let name = (path.split(separator: "/").last.map(String.init) ?? path).lowercased()
        let ext = name.lastIndex(of: ".").map { String(name[name.index(after: $0)...]) } ?? ""
        if Self.lockFileNames.contains(name) || ext == "lock" || Self.checksumExtensions.contains(ext)
            || name.hasSuffix("sums") || name.hasSuffix("sums.txt") {
            return .lockFile
        }
        if Self.keyExtensions.contains(ext) || Self.keyFileNames.contains(name) || startsWithPEMBlock(text) {
            return .key
        }
        if ext == "map" { return .sourceMap }
        if Self.textImageExtensions.contains(ext) || text.prefix(512).contains("<svg") { return .image }
        if Self.dataExtensions.contains(ext) && text.utf8.count > largeDataBytes { return .data }
        if isMostlyBase64(text) { return .data }
        return nil
    }

    /// A PEM armour line (`-----BEGIN CERTIFICATE-----`, `... PRIVATE KEY-----`) near the top.
    private func startsWithPEMBlock(_ text: Substring) -> Bool {
        for line in text.prefix(4_096).split(separator: "\n", maxSplits: 8).prefix(8)
        where line.hasPrefix("-----BEGIN ") && line.hasSuffix("-----") {
            return true
        }
        return false
    }

    /// Whether most lines (of at least 20) are long unbroken runs of the base64 alphabet.
    private func isMostlyBase64(_ text: Substring) -> Bool {
        var lines = 0
        var encoded = 0
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            lines += 1
            if line.count >= base64LineLength && line.allSatisfy(Self.isBase64Byte) { encoded += 1 }
        }
        return lines >= 20 && encoded * 2 > lines
    }

    private static func isBase64Byte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="),
             UInt8(ascii: "\r"):
            return true
        default:
            return false
        }
    }

    static let lockFileNames: Set<String> = [
        "go.sum", "go.work.sum", "package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml", "yarn.lock",
        "bun.lockb", "cargo.lock", "poetry.lock", "pipfile.lock", "uv.lock", "pdm.lock", "gemfile.lock",
        "composer.lock", "podfile.lock", "packages.lock.json", "flake.lock", "mix.lock", "pubspec.lock",
        "gradle.lockfile", "deps.lock",
    ]
    static let checksumExtensions: Set<String> = ["sum", "sha1", "sha256", "sha512", "md5"]
    static let keyExtensions: Set<String> = ["pem", "key", "crt", "cer", "csr", "der", "p12", "pfx", "jks",
                                             "keystore", "gpg", "pgp", "asc", "sig", "srl"]
    static let keyFileNames: Set<String> = ["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"]
    static let textImageExtensions: Set<String> = ["svg", "svgz", "xpm", "xbm", "pbm", "pgm", "ppm", "eps"]
    static let dataExtensions: Set<String> = ["json", "jsonl", "ndjson", "geojson", "csv", "tsv", "xml", "yaml",
                                              "yml", "dat"]
}
