import CSQLite

/// SQLite's "copy this buffer now" destructor, which the C macro spells as -1.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One SQLite connection. Not thread-safe: use it from one thread at a time.
final class Connection {
    let handle: OpaquePointer
    let path: String

    /// Opens `path`, or the URI `uri` naming it (`file:...?immutable=1`).
    init(path: String, flags: Int32, uri: String? = nil) throws(StoreError) {
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(uri ?? path, &db, uri == nil ? flags : flags | SQLITE_OPEN_URI, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(db)
            throw .cannotOpen(path: path, detail: message)
        }
        self.handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
    }

    deinit { sqlite3_close_v2(handle) }

    /// Maps a failing result code to the typed error a caller can act on.
    func error(_ rc: Int32, _ operation: String) -> StoreError {
        let message = String(cString: sqlite3_errmsg(handle))
        // A statement spanning lines would break the one-line error.
        let operation = operation.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        switch rc & 0xff {
        case SQLITE_CORRUPT: return .corrupt(path: path, detail: message)
        case SQLITE_NOTADB: return .notAnIndex(path: path)
        case SQLITE_BUSY, SQLITE_LOCKED: return .busy(path: path)
        case SQLITE_READONLY: return .readOnly(path: path)
        // What a failing disk, a full one or a vanished directory looks like to a user.
        case SQLITE_FULL: return .cannotWrite(path: path, detail: "the disk is full")
        case SQLITE_IOERR: return .cannotWrite(path: path, detail: "\(message) (during \(operation))")
        case SQLITE_CANTOPEN: return .cannotOpen(path: path, detail: message)
        default: return .sqlite(operation: operation, code: rc, message: message)
        }
    }

    /// Runs one or more statements that return no rows.
    func execute(_ sql: String) throws(StoreError) {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error(rc, sql) }
    }

    func prepare(_ sql: String) throws(StoreError) -> Statement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc, "prepare \(sql)") }
        return Statement(stmt, connection: self)
    }

    /// The first column of the first row of `sql`, as an integer.
    func integer(_ sql: String) throws(StoreError) -> Int64 {
        let statement = try prepare(sql)
        guard try statement.step() else { return 0 }
        return statement.int64(0)
    }

    var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Runs `body` in one write transaction: all of it commits, or none of it.
    /// Inside an open transaction it nests as a savepoint instead.
    func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        let nested = isInTransaction
        try execute(nested ? "SAVEPOINT quarry_write" : "BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute(nested ? "RELEASE quarry_write" : "COMMIT")
            return result
        } catch {
            // Rolling back can only fail when SQLite already rolled back by itself.
            let undo = nested ? "ROLLBACK TO quarry_write; RELEASE quarry_write" : "ROLLBACK"
            _ = sqlite3_exec(handle, undo, nil, nil, nil)
            throw error
        }
    }

    var changes: Int { Int(sqlite3_changes(handle)) }
    var lastInsertedRowID: Int64 { sqlite3_last_insert_rowid(handle) }
}

/// A prepared statement, reused across rows: bind, step, reset.
final class Statement {
    private let handle: OpaquePointer
    private unowned let connection: Connection

    fileprivate init(_ handle: OpaquePointer, connection: Connection) {
        self.handle = handle
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    /// Rewinds the cursor so the statement can run again. Bindings are kept,
    /// as SQLite keeps them: a statement re-run in rounds (a deeper `LIMIT`)
    /// rebinds only what changes. Callers bind every parameter before each
    /// use, or call `clearBindings`.
    @discardableResult
    func reset() -> Statement {
        sqlite3_reset(handle)
        return self
    }

    /// Sets every parameter back to NULL.
    func clearBindings() {
        sqlite3_clear_bindings(handle)
    }

    /// Binds with an explicit length, so text holding NUL characters is stored whole.
    func bind(_ value: String, at index: Int32) {
        var copy = value
        copy.withUTF8 { bind(text: $0, at: index) }
    }

    func bind(_ value: String?, at index: Int32) {
        if let value { bind(value, at: index) } else { sqlite3_bind_null(handle, index) }
    }

    func bind(_ value: Int64, at index: Int32) { sqlite3_bind_int64(handle, index, value) }
    func bind(_ value: Int, at index: Int32) { sqlite3_bind_int64(handle, index, Int64(value)) }
    func bind(_ value: Double, at index: Int32) { sqlite3_bind_double(handle, index, value) }

    func bind(bytes: UnsafeRawBufferPointer, at index: Int32) {
        // A zero-length blob must still be non-NULL, hence the empty-blob call.
        if bytes.isEmpty {
            sqlite3_bind_zeroblob(handle, index, 0)
        } else {
            sqlite3_bind_blob(handle, index, bytes.baseAddress, Int32(bytes.count), transient)
        }
    }

    func bind(text bytes: UnsafeBufferPointer<UInt8>, at index: Int32) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            sqlite3_bind_text(handle, index, "", 0, transient)
            return
        }
        sqlite3_bind_text(handle, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self),
                          Int32(bytes.count), transient)
    }

    /// Advances to the next row; false once the statement is done.
    func step() throws(StoreError) -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let failure = connection.error(rc, "step \(String(cString: sqlite3_sql(handle)))")
            sqlite3_reset(handle)
            throw failure
        }
    }

    /// Runs a statement that returns no rows, then resets it for reuse.
    func run() throws(StoreError) {
        defer { reset() }
        _ = try step()
    }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(handle, column)) }
    func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }
    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    func string(_ column: Int32) -> String {
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    func optionalString(_ column: Int32) -> String? { isNull(column) ? nil : string(column) }

    /// Lends the column's bytes without copying; valid only inside `body`.
    func withBytes<T>(_ column: Int32, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let blob = sqlite3_column_blob(handle, column) else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return body(UnsafeRawBufferPointer(start: blob, count: count))
    }

    func bytes(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let blob = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: blob, count: count))
    }
}
