/// Everything that can go wrong opening, reading or writing an index.
/// Each case prints as one line a user can act on.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No index file exists where a read was asked for.
    case noIndex(path: String)
    /// The file exists but is not an SQLite database at all.
    case notAnIndex(path: String)
    /// The file is an SQLite database whose pages are damaged.
    case corrupt(path: String, detail: String)
    /// The file is an SQLite database that belongs to another application.
    case foreignDatabase(path: String, applicationID: Int32)
    /// The file was written by a newer Quarry whose schema this build cannot read.
    case newerSchema(path: String, found: Int, supported: Int)
    /// The file has an older schema and was opened read-only, so it cannot be upgraded.
    case outdatedSchema(path: String, found: Int, supported: Int)
    /// The file could not be opened (permissions, missing directory, ...).
    case cannotOpen(path: String, detail: String)
    /// A file beside the index (a vector file) could not be written.
    case cannotWrite(path: String, detail: String)
    /// Another process holds the database lock for longer than the busy timeout.
    case busy(path: String)
    /// A write was attempted on a store opened read-only.
    case readOnly(path: String)
    /// A revision name that the index does not hold.
    case unknownRevision(String)
    /// A file record names a blob that was never written.
    case unknownBlob(String)
    /// A value that cannot be stored as given.
    case invalidArgument(String)
    /// Any other SQLite failure, with the operation that hit it.
    case sqlite(operation: String, code: Int32, message: String)

    public var description: String {
        switch self {
        case .noIndex(let path):
            return "no index at \(path); run `quarry index` first"
        case .notAnIndex(let path):
            return "\(path) is not a Quarry index (not an SQLite database)"
        case .corrupt(let path, let detail):
            return "the index at \(path) is corrupt (\(detail)); delete it and run `quarry index` again"
        case .foreignDatabase(let path, let applicationID):
            return "\(path) is an SQLite database of another application (application id \(applicationID)), not a Quarry index"
        case .newerSchema(let path, let found, let supported):
            return "the index at \(path) was written by a newer Quarry (schema v\(found); this build reads up to v\(supported)); upgrade Quarry or re-index"
        case .outdatedSchema(let path, let found, let supported):
            return "the index at \(path) has schema v\(found) but this build needs v\(supported); run `quarry index` to upgrade it"
        case .cannotOpen(let path, let detail):
            return "cannot open the index at \(path): \(detail)"
        case .cannotWrite(let path, let detail):
            return "cannot write \(path): \(detail)"
        case .busy(let path):
            return "the index at \(path) is locked by another process; try again when it finishes"
        case .readOnly(let path):
            return "the index at \(path) was opened read-only and cannot be written"
        case .unknownRevision(let name):
            return "the index holds no revision named \(name)"
        case .unknownBlob(let id):
            return "blob \(id) was never written to the index"
        case .invalidArgument(let detail):
            return "invalid argument: \(detail)"
        case .sqlite(let operation, let code, let message):
            return "SQLite error \(code) during \(operation): \(message)"
        }
    }
}
