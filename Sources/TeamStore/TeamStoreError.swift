/// Everything that can go wrong with a team database, each printed as one
/// line a user can act on. Connection strings are shown without passwords.
public enum TeamStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not a `postgres://` or `postgresql://` URL.
    case invalidURL(String)
    /// libpq could not connect: refused, unknown host, bad password, no such database.
    case cannotConnect(url: String, detail: String)
    /// The connection broke during an operation; the server rolls back what was open.
    case connectionLost(detail: String)
    /// The database lacks pgvector and this role may not create it.
    case missingVectorExtension
    /// A newer Quarry created or upgraded the schema.
    case newerSchema(found: Int, supported: Int)
    /// A search of a database nothing was pushed to.
    case noSchema
    /// The model is registered with another dimension than the one pushed.
    case dimensionMismatch(model: String, database: Int, local: Int)
    /// A value that cannot be stored as given (a NUL character, an empty name).
    case invalidInput(String)
    /// A repository or revision the database does not hold.
    case notFound(String)
    /// Any other server error, with what was being done.
    case server(operation: String, detail: String)

    public var description: String {
        switch self {
        case .invalidURL(let url):
            return "not a PostgreSQL URL: '\(url)' (expected postgres://USER:PASSWORD@HOST:PORT/DATABASE)"
        case .cannotConnect(let url, let detail):
            return "cannot connect to \(url): \(detail)"
        case .connectionLost(let detail):
            return "the connection to the team database was lost (\(detail)); nothing half-published: run the command again"
        case .missingVectorExtension:
            return "the database lacks the pgvector extension; a superuser must run 'CREATE EXTENSION vector' in it once"
        case .newerSchema(let found, let supported):
            return "the team database has schema version \(found), newer than this Quarry knows (\(supported)); "
                + "upgrade Quarry"
        case .noSchema:
            return "the database holds no Quarry index; publish one with 'quarry push' first"
        case .dimensionMismatch(let model, let database, let local):
            return "model '\(model)' has \(database)-dimensional vectors in the team database, "
                + "but the local index's are \(local)-dimensional"
        case .invalidInput(let detail):
            return detail
        case .notFound(let detail):
            return detail
        case .server(let operation, let detail):
            return "the team database refused \(operation): \(detail)"
        }
    }
}
