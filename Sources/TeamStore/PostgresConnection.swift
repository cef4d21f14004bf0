import CLibPQ
import Foundation

/// One value bound to a `$n` parameter. Parameters are always sent apart
/// from the SQL text, so no input is ever read as SQL.
public enum PostgresValue: Sendable {
    case text(String)
    case bytes([UInt8])
    case null

    static func int(_ value: some BinaryInteger) -> PostgresValue { .text(String(value)) }
}

/// A libpq connection. Not thread-safe: one per thread.
public final class PostgresConnection {
    let handle: OpaquePointer
    /// The URL with its password masked, for messages.
    public let displayURL: String

    /// Connects to `url` (`postgres://` or `postgresql://`), waiting at most
    /// `timeout` seconds.
    public init(url: String, timeout: Int = 10) throws(TeamStoreError) {
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
            throw .invalidURL(Self.masked(url))
        }
        guard !url.unicodeScalars.contains("\0") else { throw .invalidURL(Self.masked(url)) }
        displayURL = Self.masked(url)
        // expand_dbname: the URL is parsed by libpq; the other keywords add to it.
        let keywords = ["dbname", "connect_timeout", "application_name", "client_encoding"]
        let values = [url, String(timeout), "quarry", "UTF8"]
        let connection = Self.withCStrings(keywords) { keys in
            Self.withCStrings(values) { vals in PQconnectdbParams(keys, vals, 1) }
        }
        guard let connection else { throw .cannotConnect(url: displayURL, detail: "out of memory") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let detail = Self.firstLine(String(cString: PQerrorMessage(connection)))
            PQfinish(connection)
            throw .cannotConnect(url: displayURL, detail: Self.connectionDetail(detail))
        }
        handle = connection
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
    }

    deinit { PQfinish(handle) }

    /// Runs one statement with `parameters` bound to `$1`, `$2`, ...
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresValue] = [],
                        operation: String = "a query") throws(TeamStoreError) -> PostgresResult {
        var buffers: [[UInt8]] = []
        var formats: [Int32] = []
        var isNull: [Bool] = []
        for parameter in parameters {
            switch parameter {
            case .text(let string):
                guard !string.unicodeScalars.contains("\0") else {
                    throw .invalidInput("a value contains a NUL character, which PostgreSQL text cannot hold")
                }
                buffers.append(Array(string.utf8) + [0])
                formats.append(0)
                isNull.append(false)
            case .bytes(let bytes):
                buffers.append(bytes)
                formats.append(1)
                isNull.append(false)
            case .null:
                buffers.append([])
                formats.append(0)
                isNull.append(true)
            }
        }
        let lengths = buffers.map { Int32($0.count) }
        let result = Self.withPointers(buffers) { pointers in
            let values = zip(pointers, isNull).map { $1 ? nil : $0 }
            return PQexecParams(handle, sql, Int32(parameters.count), nil, values, lengths, formats, 0)
        }
        return try check(result, operation: operation)
    }

    /// Runs several statements without parameters (a schema migration) in
    /// one round trip; the answer is the last statement's.
    @discardableResult
    public func run(script sql: String, operation: String) throws(TeamStoreError) -> PostgresResult {
        try check(PQexec(handle, sql), operation: operation)
    }

    /// Sends `data` (binary COPY format, see `CopyBuffer`) to `COPY ... FROM STDIN (FORMAT binary)`.
    public func copy(_ sql: String, _ data: [UInt8], operation: String) throws(TeamStoreError) {
        let started = PQexec(handle, sql)
        defer { PQclear(started) }
        guard PQresultStatus(started) == PGRES_COPY_IN else {
            _ = try check(started, operation: operation, keep: true)
            throw .server(operation: operation, detail: "the server did not accept COPY")
        }
        let chunkSize = 1 << 20
        var offset = 0
        var sent = true
        data.withUnsafeBytes { raw in
            while offset < raw.count, sent {
                let count = min(chunkSize, raw.count - offset)
                sent = PQputCopyData(handle, raw.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self),
                                     Int32(count)) == 1
                offset += count
            }
        }
        if !sent || PQputCopyEnd(handle, nil) != 1 { throw lostOrFailed(operation: operation) }
        var failure: TeamStoreError?
        while let result = PQgetResult(handle) {
            if failure == nil {
                do { _ = try check(result, operation: operation) } catch { failure = error }
            } else {
                PQclear(result)
            }
        }
        if let failure { throw failure }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT", operation: "the commit")
            return value
        } catch {
            if PQstatus(handle) == CONNECTION_OK { _ = try? execute("ROLLBACK") }
            throw error
        }
    }

    // MARK: - Errors

    private func check(_ result: OpaquePointer?, operation: String, keep: Bool = false) throws(TeamStoreError)
        -> PostgresResult
    {
        guard let result else { throw lostOrFailed(operation: operation) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PostgresResult(result)
        default:
            let primary = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let fallback = String(cString: PQresultErrorMessage(result))
            if !keep { PQclear(result) }
            // 57P0x: the server is shutting the session down; 08xxx: the connection failed (08P01 is a protocol error).
            let lost = state.map { $0.hasPrefix("57P") || ($0.hasPrefix("08") && $0 != "08P01") } ?? false
            if PQstatus(handle) != CONNECTION_OK || lost {
                throw .connectionLost(detail: Self.firstLine(primary ?? fallback))
            }
            if state == "58P01" || (primary ?? "").contains("type \"halfvec\" does not exist") {
                throw .missingVectorExtension
            }
            throw .server(operation: operation, detail: Self.firstLine(primary ?? fallback))
        }
    }

    private func lostOrFailed(operation: String) -> TeamStoreError {
        let detail = Self.firstLine(String(cString: PQerrorMessage(handle)))
        if PQstatus(handle) != CONNECTION_OK { return .connectionLost(detail: detail) }
        return .server(operation: operation, detail: detail)
    }

    static func firstLine(_ message: String) -> String {
        let line = message.split(whereSeparator: \.isNewline).first.map(String.init) ?? "unknown error"
        return line.replacingOccurrences(of: "ERROR:  ", with: "").replacingOccurrences(of: "FATAL:  ", with: "")
            .trimmingCharacters(in: .whitespaces)
    }

    /// libpq's "connection to server at "h" (addr), port p failed: X" names the
    /// server the URL already names; keep the reason.
    private static func connectionDetail(_ line: String) -> String {
        guard line.hasPrefix("connection to server"), let range = line.range(of: "failed: ") else { return line }
        return String(line[range.upperBound...])
    }

    /// `url` with any password replaced by `***`.
    public static func masked(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@") else {
            return url
        }
        let credentials = url[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }

    // MARK: - C strings

    private static func withCStrings<T>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> T) -> T {
        let buffers = strings.map { Array($0.utf8CString) }
        return withPointers(buffers.map { $0.map { UInt8(bitPattern: $0) } }) { body($0 + [nil]) }
    }

    private static func withPointers<T>(_ buffers: [[UInt8]], _ body: ([UnsafePointer<CChar>?]) -> T) -> T {
        var pointers: [UnsafePointer<CChar>?] = []
        func recurse(_ index: Int) -> T {
            guard index < buffers.count else { return body(pointers) }
            return buffers[index].withUnsafeBufferPointer { buffer in
                pointers.append(buffer.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
                                ?? UnsafePointer<CChar>(bitPattern: 1))
                return recurse(index + 1)
            }
        }
        return recurse(0)
    }
}

/// Rows of one statement's answer, read as text.
public final class PostgresResult {
    private let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }
    deinit { PQclear(handle) }

    public var count: Int { Int(PQntuples(handle)) }

    public func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(handle, Int32(row), Int32(column)) == 1 }

    public func string(_ row: Int, _ column: Int) -> String {
        String(cString: PQgetvalue(handle, Int32(row), Int32(column)))
    }

    public func int(_ row: Int, _ column: Int) -> Int { Int(string(row, column)) ?? 0 }

    public func int64(_ row: Int, _ column: Int) -> Int64 { Int64(string(row, column)) ?? 0 }

    public func double(_ row: Int, _ column: Int) -> Double { Double(string(row, column)) ?? 0 }

    /// A `bytea` column, which text results spell `\x` and hex digits.
    public func bytes(_ row: Int, _ column: Int) -> [UInt8] {
        let hex = Array(string(row, column).utf8.dropFirst(2))
        func nibble(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : (c | 0x20) - 87 }
        return stride(from: 0, to: hex.count - 1, by: 2).map { nibble(hex[$0]) << 4 | nibble(hex[$0 + 1]) }
    }
}
