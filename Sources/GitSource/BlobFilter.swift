import QuarryCore

/// What to do with a blob: index it as text in a language, or skip it for a
/// reason that gets counted.
public enum BlobClassification: Sendable, Hashable {
    case text(Language, String)
    case skipped(SkipReason)
}

/// Decides which blobs are indexed. Nothing is dropped silently: every blob
/// is either text in a language or skipped with a `SkipReason`.
public struct BlobFilter: Sendable, Hashable {
    /// Blobs larger than this are skipped as `.tooLarge`, decided from the
    /// tree entry size before the blob is read.
    public var maxBytes: Int
    /// Any line longer than this (in bytes) marks a file as generated/minified.
    public var maxLineLength: Int
    /// For languages with a grammar, a mean line length above this (in bytes)
    /// marks the file as minified.
    public var maxAverageLineLength: Int
    /// How many leading lines are searched for generated-code markers.
    public var markerLines: Int
    /// How many leading bytes are searched for a NUL to detect binaries.
    public var binaryProbeBytes: Int
    /// Lock files, keys, text images, source maps and data files; nil indexes them like any text.
    public var dataRules: DataFileRules?
    /// Index files under vendored directories and with generated names
    /// (`node_modules/`, `*.min.js`, `*_pb2.py`) instead of skipping them.
    public var includesGenerated: Bool
    /// Extension, file name and interpreter rules.
    public var detector: LanguageDetector

    public init(maxBytes: Int = 1 << 20, maxLineLength: Int = 5_000, maxAverageLineLength: Int = 300,
                markerLines: Int = 10, binaryProbeBytes: Int = 8_192, dataRules: DataFileRules? = DataFileRules(),
                includesGenerated: Bool = false, detector: LanguageDetector = .builtIn) {
        self.maxBytes = maxBytes
        self.maxLineLength = maxLineLength
        self.maxAverageLineLength = maxAverageLineLength
        self.markerLines = markerLines
        self.binaryProbeBytes = binaryProbeBytes
        self.dataRules = dataRules
        self.includesGenerated = includesGenerated
        self.detector = detector
    }

    /// The reason to skip an entry known from the tree alone (mode, size and
    /// path), so that such blobs are never read; nil when the content must decide.
    public func skipReason(for entry: TreeEntry) -> SkipReason? {
        switch entry.mode {
        case .submodule: return .submodule
        case .symlink: return .symlink
        case .file, .executable:
            if entry.size > maxBytes { return .tooLarge }
            return includesGenerated ? nil : GeneratedPaths.skipReason(for: entry.path)
        }
    }

    /// Why a file at `path` is skipped for its path alone (vendored or
    /// generated), whatever `includesGenerated` says; nil for other paths.
    public static func pathSkipReason(for path: String) -> SkipReason? { GeneratedPaths.skipReason(for: path) }

    /// Classifies a tree entry, reading its blob only when the tree entry
    /// alone does not settle it.
    public func classify(_ entry: TreeEntry, in repository: GitRepository) throws(GitSourceError) -> BlobClassification {
        if let reason = skipReason(for: entry) { return .skipped(reason) }
        return classify(path: entry.path, bytes: try repository.blobContents(entry.blobID))
    }

    /// Classifies a blob's content. A leading UTF-8 byte order mark is
    /// dropped from the returned text.
    public func classify(path: String, bytes: [UInt8]) -> BlobClassification {
        if bytes.count > maxBytes { return .skipped(.tooLarge) }
        if !includesGenerated, let reason = GeneratedPaths.skipReason(for: path) { return .skipped(reason) }
        if isLFSPointer(bytes) { return .skipped(.lfsPointer) }
        if bytes.prefix(binaryProbeBytes).contains(0) || isTransportStream(bytes) { return .skipped(.binary) }
        let content = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes.dropFirst(3) : bytes[...]
        guard let text = String(validating: content, as: UTF8.self) else { return .skipped(.invalidUTF8) }
        let firstLine = text.prefix { $0 != "\n" }
        let language = detector.language(path: path, firstLine: firstLine, text: text)
        if let reason = dataRules?.skipReason(path: path, text: text[...], language: language) {
            return .skipped(reason)
        }
        if hasGeneratedMarker(text) || isMinified(content, language: language) {
            return .skipped(.generated)
        }
        return .text(language, text)
    }

    /// An MPEG transport stream (video, also named `.ts`): a 0x47 sync byte
    /// every 188 bytes. Caught here even when no NUL falls in the probe.
    private func isTransportStream(_ bytes: [UInt8]) -> Bool {
        let packet = 188
        guard bytes.count >= packet * 2 else { return bytes.count == packet && bytes.first == 0x47 }
        return stride(from: 0, to: min(bytes.count, packet * 8), by: packet).allSatisfy { bytes[$0] == 0x47 }
    }

    private func isLFSPointer(_ bytes: [UInt8]) -> Bool {
        // Pointer files are tiny; a large file merely quoting the line is content.
        bytes.count < 1_024 && bytes.starts(with: lfsPointerPrefix)
    }

    /// `@generated` (Facebook/Meta convention) or Go's
    /// `Code generated ... DO NOT EDIT.` in the first lines.
    private func hasGeneratedMarker(_ text: String) -> Bool {
        var remaining = markerLines
        for line in text.split(separator: "\n", maxSplits: markerLines, omittingEmptySubsequences: false) {
            guard remaining > 0 else { break }
            remaining -= 1
            if line.contains("@generated") { return true }
            if line.contains("Code generated "), line.contains("DO NOT EDIT") { return true }
        }
        return false
    }

    /// Whether line lengths say the file is minified or machine-written.
    private func isMinified(_ bytes: ArraySlice<UInt8>, language: Language) -> Bool {
        var longest = 0
        var current = 0
        var lines = 0
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                longest = max(longest, current)
                current = 0
                lines += 1
            } else {
                current += 1
            }
        }
        if current > 0 {
            longest = max(longest, current)
            lines += 1
        }
        if longest > maxLineLength { return true }
        // Prose (a paragraph per line) is long-lined by nature, code is not.
        guard language.hasGrammar, !language.isProse, lines > 0 else { return false }
        return bytes.count / lines > maxAverageLineLength
    }
}

private let lfsPointerPrefix = Array("version https://git-lfs.github.com/spec/v1".utf8)
