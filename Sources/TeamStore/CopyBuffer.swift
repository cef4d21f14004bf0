/// Rows in PostgreSQL's binary COPY format, built in one growing buffer.
/// Binary rather than text: nothing needs escaping (tabs, backslashes and
/// newlines in code go through as they are), and vectors travel as
/// half-precision floats rather than decimal strings.
struct CopyBuffer {
    private(set) var bytes: [UInt8]

    init() {
        // "PGCOPY\n\377\r\n\0": the 0xFF must be one byte, not UTF-8's two.
        bytes = [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00]
        append(UInt32(0))  // flags
        append(UInt32(0))  // header extension length
    }

    mutating func beginRow(fields: Int) { append(UInt16(fields)) }

    /// A `text` field; the caller has checked it holds no NUL.
    mutating func text(_ value: String) {
        var copy = value
        copy.withUTF8 { utf8 in
            append(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func data(_ value: [UInt8]) {
        append(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func int32(_ value: Int) {
        append(UInt32(4))
        append(UInt32(bitPattern: Int32(truncatingIfNeeded: value)))
    }

    mutating func int64(_ value: Int) {
        append(UInt32(8))
        append(UInt64(bitPattern: Int64(value)))
    }

    mutating func null() { append(UInt32(0xFFFF_FFFF)) }

    /// A pgvector `halfvec`: dimension, a reserved zero, then each component
    /// as an IEEE half, all big-endian (pgvector's `halfvec_recv`).
    mutating func halfVector(_ vector: [Float]) {
        append(UInt32(4 + 2 * vector.count))
        append(UInt16(vector.count))
        append(UInt16(0))
        for component in vector { append(Float16(component).bitPattern) }
    }

    /// The buffer with its end-of-data marker.
    mutating func finish() -> [UInt8] {
        append(UInt16(0xFFFF))
        return bytes
    }

    private mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
