/// Why a grammar could not be loaded or used. Each case prints as one line.
public enum ChunkerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The grammar directory does not exist.
    case directoryMissing(path: String)
    /// `manifest.json` is missing, unreadable or not in the expected shape.
    case manifestUnreadable(path: String, reason: String)
    /// `dlopen` refused the grammar's shared object.
    case libraryLoadFailed(language: String, path: String, reason: String)
    /// The shared object does not export the grammar's entry point.
    case symbolMissing(language: String, symbol: String, path: String)
    /// The grammar was generated for an ABI this libtree-sitter cannot load.
    case incompatibleABI(language: String, path: String, version: Int, supported: ClosedRange<Int>)
    /// The chunk query file could not be read.
    case queryUnreadable(language: String, path: String)
    /// The chunk query does not compile against the grammar.
    case queryInvalid(language: String, path: String, offset: Int, problem: String)
    /// The chunk query has no definition captures, so it would find nothing.
    case queryWithoutDefinitions(language: String, path: String)

    public var description: String {
        switch self {
        case .directoryMissing(let path):
            return "grammar directory \(path) does not exist (run Grammars/build.sh or set QUARRY_GRAMMARS)"
        case .manifestUnreadable(let path, let reason):
            return "grammar manifest \(path) is unusable: \(reason)"
        case .libraryLoadFailed(let language, let path, let reason):
            return "\(language) grammar \(path) failed to load: \(reason)"
        case .symbolMissing(let language, let symbol, let path):
            return "\(language) grammar \(path) does not export \(symbol)"
        case .incompatibleABI(let language, let path, let version, let supported):
            return "\(language) grammar \(path) has ABI \(version), libtree-sitter loads \(supported.lowerBound)-\(supported.upperBound)"
        case .queryUnreadable(let language, let path):
            return "\(language) chunk query \(path) cannot be read"
        case .queryInvalid(let language, let path, let offset, let problem):
            return "\(language) chunk query \(path) has a \(problem) error at byte \(offset)"
        case .queryWithoutDefinitions(let language, let path):
            return "\(language) chunk query \(path) captures no @function/@type/@module/@statement/@query nodes"
        }
    }
}
