import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One model's vectors as a matrix a search can scan in place: `count` rows,
/// each a 32-byte content hash followed by `dimension` little-endian floats.
///
/// Row `i`'s floats start at `floats + i * rowStride`, so BLAS reads the
/// matrix with a leading dimension of `rowStride` and skips the hashes.
/// Backed either by the model's vector file, mapped, or by a copy read from
/// the database when that file is missing or behind; `source` tells which.
public final class VectorMatrix: @unchecked Sendable {
    public enum Source: String, Sendable {
        /// The vector file beside the index, memory-mapped.
        case file
        /// Read out of the SQLite embeddings table (the file was missing or out of date).
        case database
        /// Built from vectors the caller handed over.
        case memory
    }

    public let count: Int
    public let dimension: Int
    /// Floats from one row's first component to the next row's.
    public let rowStride: Int
    public let source: Source
    /// Row 0's first component.
    public let floats: UnsafePointer<Float>
    private let rows: UnsafeRawPointer
    private let release: () -> Void

    init(rows: UnsafeRawPointer, count: Int, dimension: Int, source: Source, release: @escaping () -> Void) {
        self.rows = rows
        self.count = count
        self.dimension = dimension
        self.rowStride = VectorFile.rowBytes(dimension: dimension) / 4
        self.source = source
        self.release = release
        floats = (rows + VectorFile.hashBytes).assumingMemoryBound(to: Float.self)
    }

    deinit { release() }

    /// An in-memory matrix of `hashes.count` rows; `vectors` holds them row
    /// after row. Rejects wrong lengths and non-finite components (stored
    /// vectors are checked when written instead: a scan must not pay for it).
    public convenience init(hashes: [ContentHash], vectors: [Float], dimension: Int) throws(StoreError) {
        guard dimension > 0 else { throw .invalidArgument("vector dimension must be positive, not \(dimension)") }
        guard vectors.count == hashes.count * dimension else {
            throw .invalidArgument("\(vectors.count) floats do not make \(hashes.count) rows of \(dimension)")
        }
        if let bad = vectors.firstIndex(where: { !$0.isFinite }) {
            throw .invalidArgument("the vector of \(hashes[bad / dimension]) has a non-finite component")
        }
        let buffer = VectorRowBuffer(capacity: hashes.count, dimension: dimension)
        vectors.withUnsafeBufferPointer { all in
            for (row, hash) in hashes.enumerated() {
                buffer.append(hash.bytes, UnsafeBufferPointer(rebasing: all[(row * dimension)..<((row + 1) * dimension)]))
            }
        }
        self.init(buffer: buffer, source: .memory)
    }

    convenience init(buffer: VectorRowBuffer, source: Source) {
        self.init(rows: UnsafeRawPointer(buffer.base), count: buffer.count, dimension: buffer.dimension,
                  source: source, release: { buffer.free() })
    }

    /// The content hash of the text row `row` embeds.
    public func contentHash(ofRow row: Int) -> ContentHash {
        let start = rows + row * rowStride * 4
        // Exactly 32 bytes, so the failable initialiser cannot fail.
        return ContentHash(bytes: Array(UnsafeRawBufferPointer(start: start, count: VectorFile.hashBytes)))
            ?? ContentHash(digesting: [])
    }

    /// Row `row`'s 32 content-hash bytes, in place: valid while the matrix lives.
    public func hashBytes(ofRow row: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: rows + row * rowStride * 4, count: VectorFile.hashBytes)
    }

    /// Row `row`'s components.
    public func vector(ofRow row: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: floats + row * rowStride, count: dimension)
    }
}

/// The vector file of one model: the rows of the `embeddings` table for that
/// model, laid out contiguously so `quarry search` maps it instead of reading
/// every vector out of SQLite (0.6 s and a copy for 100k vectors).
///
/// SQLite stays the source of truth. The file is a cache stamped with the
/// model's generation, a counter in the `meta` table that every change to the
/// model's embeddings bumps in the same transaction. A reader uses the file
/// only when its stamp equals the generation its snapshot sees; otherwise it
/// reads the database. Writers append new rows after their commit and
/// rewrite the file (to a temporary name, then rename) after deletions or
/// when it is behind, so a crash at any point leaves either a correct file or
/// a stale one, never a wrong one.
///
/// Layout, little-endian: a 64-byte header (magic `QRRYVEC1`, format version,
/// dimension, row count, generation, model id, header checksum), then the rows
/// (see `VectorMatrix`). Rows beyond the header's count are ignored.
enum VectorFile {
    static let magic: [UInt8] = Array("QRRYVEC1".utf8)
    static let formatVersion: UInt32 = 1
    static let headerBytes = 64
    static let hashBytes = 32

    static func rowBytes(dimension: Int) -> Int { hashBytes + 4 * dimension }

    /// `<index>.vectors/model-<id>.qvec`.
    static func path(index: String, model: Int64) -> String {
        directory(index: index) + "/model-\(model).qvec"
    }

    static func directory(index: String) -> String { index + ".vectors" }

    /// The meta key holding a model's generation.
    static func generationKey(model: Int64) -> String { "vectors.generation.\(model)" }

    struct Header: Equatable {
        var dimension: Int
        var count: Int
        var generation: Int64
        var model: Int64

        func encoded() -> [UInt8] {
            var bytes = VectorFile.magic
            append(VectorFile.formatVersion, to: &bytes)
            append(UInt32(dimension), to: &bytes)
            append(UInt64(count), to: &bytes)
            append(UInt64(bitPattern: generation), to: &bytes)
            append(UInt64(bitPattern: model), to: &bytes)
            append(VectorFile.checksum(bytes), to: &bytes)
            bytes += [UInt8](repeating: 0, count: VectorFile.headerBytes - bytes.count)
            return bytes
        }

        /// Nil for anything that is not a whole, intact header of this format.
        init?(decoding raw: UnsafeRawBufferPointer) {
            guard raw.count >= VectorFile.headerBytes, Array(raw[0..<8]) == VectorFile.magic else { return nil }
            func load<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
                T(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: T.self))
            }
            guard load(8, UInt32.self) == VectorFile.formatVersion,
                  load(40, UInt32.self) == VectorFile.checksum(Array(raw[0..<40]))
            else { return nil }
            dimension = Int(load(12, UInt32.self))
            count = Int(clamping: load(16, UInt64.self))
            generation = Int64(bitPattern: load(24, UInt64.self))
            model = Int64(bitPattern: load(32, UInt64.self))
            guard dimension > 0 else { return nil }
        }

        init(dimension: Int, count: Int, generation: Int64, model: Int64) {
            self.dimension = dimension
            self.count = count
            self.generation = generation
            self.model = model
        }

        private func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
            withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
        }
    }

    /// FNV-1a over the header fields: a torn or foreign header never passes.
    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var hash: UInt32 = 0x811c_9dc5
        for byte in bytes {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        return hash
    }

    // MARK: Reading

    /// Maps the file when it holds exactly `generation` of `model`; nil when
    /// it is missing, behind, damaged or for another model.
    static func map(index: String, model: ModelRecord, generation: Int64) -> VectorMatrix? {
        let fd = open(path(index: index, model: model.id), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard let header = currentHeader(fd, model: model, generation: generation) else { return nil }
        guard header.count > 0 else {
            return VectorMatrix(buffer: VectorRowBuffer(capacity: 0, dimension: header.dimension), source: .file)
        }
        let length = headerBytes + header.count * rowBytes(dimension: header.dimension)
        // MAP_POPULATE: a search reads every row, so fault the pages in one
        // go rather than one by one during the scan.
        guard let base = mmap(nil, length, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0), base != MAP_FAILED else {
            return nil
        }
        return VectorMatrix(rows: UnsafeRawPointer(base) + headerBytes, count: header.count,
                            dimension: header.dimension, source: .file,
                            release: { munmap(base, length) })
    }

    /// Whether the file holds exactly `generation` of `model`, reading its header only.
    static func isCurrent(index: String, model: ModelRecord, generation: Int64) -> Bool {
        let fd = open(path(index: index, model: model.id), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return currentHeader(fd, model: model, generation: generation) != nil
    }

    /// The header of the open file when it is intact, of `model` at
    /// `generation`, and followed by every row it counts.
    private static func currentHeader(_ fd: Int32, model: ModelRecord, generation: Int64) -> Header? {
        var info = stat()
        guard fstat(fd, &info) == 0, Int(info.st_size) >= headerBytes else { return nil }
        var headerRaw = [UInt8](repeating: 0, count: headerBytes)
        guard headerRaw.withUnsafeMutableBytes({ pread(fd, $0.baseAddress, headerBytes, 0) }) == headerBytes,
              let header = headerRaw.withUnsafeBytes({ Header(decoding: $0) }),
              header.model == model.id, header.dimension == model.dimension, header.generation == generation,
              Int(info.st_size) >= headerBytes + header.count * rowBytes(dimension: header.dimension)
        else { return nil }
        return header
    }

    // MARK: Writing

    /// Adds `rows` to a file that holds `generation - 1`, stamping it
    /// `generation`. False when the file is not at `generation - 1` (missing,
    /// behind, damaged): the caller rewrites it instead.
    static func append(_ rows: [(hash: ContentHash, vector: [Float])], index: String, model: ModelRecord,
                       generation: Int64) -> Bool {
        let fd = open(path(index: index, model: model.id), O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        // Writers are serialised by the indexer's lock; this guards the file against any other.
        guard flock(fd, LOCK_EX) == 0,
              var header = currentHeader(fd, model: model, generation: generation - 1)
        else { return false }
        let offset = headerBytes + header.count * rowBytes(dimension: model.dimension)
        let body = encode(rows, dimension: model.dimension)
        guard writeAll(fd, body, at: offset), ftruncate(fd, off_t(offset + body.count)) == 0,
              // The rows must be on disk before a header that counts them.
              fdatasync(fd) == 0
        else { return false }
        header.count += rows.count
        header.generation = generation
        return writeAll(fd, header.encoded(), at: 0)
    }

    /// Replaces the file with `count` rows from `produce` (which calls its
    /// argument once per row), stamped `generation`. Written beside the
    /// target and renamed, so readers see the old file or the new one.
    static func rewrite(index: String, model: ModelRecord, generation: Int64,
                        produce: ((ContentHash, UnsafeBufferPointer<Float>) -> Bool) throws(StoreError) -> Void)
        throws(StoreError)
    {
        let target = path(index: index, model: model.id)
        let temporary = target + ".partial-\(getpid())"
        do {
            try FileManager.default.createDirectory(atPath: directory(index: index), withIntermediateDirectories: true)
        } catch {
            throw .cannotWrite(path: directory(index: index), detail: "cannot create the directory")
        }
        let fd = open(temporary, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .cannotWrite(path: temporary, detail: String(cString: strerror(errno))) }
        var closed = false
        defer {
            if !closed { close(fd) }
            unlink(temporary)
        }
        let rowSize = rowBytes(dimension: model.dimension)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        var offset = headerBytes
        var count = 0
        var failed = false
        try produce { hash, vector in
            guard vector.count == model.dimension else { return false }
            appendRow(hash.bytes, vector, to: &buffer)
            count += 1
            if buffer.count >= 1 << 20 {
                failed = failed || !writeAll(fd, buffer, at: offset)
                offset += buffer.count
                buffer.removeAll(keepingCapacity: true)
            }
            return !failed
        }
        failed = failed || !writeAll(fd, buffer, at: offset)
        offset += buffer.count
        let header = Header(dimension: model.dimension, count: count, generation: generation, model: model.id)
        failed = failed || offset != headerBytes + count * rowSize || !writeAll(fd, header.encoded(), at: 0)
        failed = failed || fdatasync(fd) != 0
        closed = true
        failed = close(fd) != 0 || failed
        guard !failed, rename(temporary, target) == 0 else {
            throw .cannotWrite(path: target, detail: String(cString: strerror(errno)))
        }
    }

    static func remove(index: String, model: Int64) {
        unlink(path(index: index, model: model))
    }

    private static func encode(_ rows: [(hash: ContentHash, vector: [Float])], dimension: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(rows.count * rowBytes(dimension: dimension))
        for row in rows { row.vector.withUnsafeBufferPointer { appendRow(row.hash.bytes, $0, to: &bytes) } }
        return bytes
    }

    static func appendRow(_ hash: [UInt8], _ vector: UnsafeBufferPointer<Float>, to bytes: inout [UInt8]) {
        bytes += hash
        #if _endian(little)
        bytes += UnsafeRawBufferPointer(vector)
        #else
        for value in vector { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
        #endif
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int) -> Bool {
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return true }
            var done = 0
            while done < raw.count {
                let wrote = pwrite(fd, base + done, raw.count - done, off_t(offset + done))
                if wrote < 0 && errno == EINTR { continue }
                guard wrote > 0 else { return false }
                done += wrote
            }
            return true
        }
    }
}

/// Rows in the file's layout, on the heap: what a matrix read from the
/// database (or built in memory) lives in.
final class VectorRowBuffer {
    let dimension: Int
    let base: UnsafeMutableRawPointer
    private(set) var count = 0
    private let capacity: Int
    private var freed = false

    init(capacity: Int, dimension: Int) {
        self.dimension = dimension
        self.capacity = capacity
        base = .allocate(byteCount: max(1, capacity) * VectorFile.rowBytes(dimension: dimension), alignment: 64)
    }

    /// Adds a row; false when full or the vector has the wrong length.
    @discardableResult
    func append(_ hash: [UInt8], _ vector: UnsafeBufferPointer<Float>) -> Bool {
        guard count < capacity, hash.count == VectorFile.hashBytes, vector.count == dimension else { return false }
        let row = base + count * VectorFile.rowBytes(dimension: dimension)
        hash.withUnsafeBytes { bytes in
            if let source = bytes.baseAddress { row.copyMemory(from: source, byteCount: VectorFile.hashBytes) }
        }
        if let floats = vector.baseAddress {
            (row + VectorFile.hashBytes).copyMemory(from: floats, byteCount: 4 * dimension)
        }
        count += 1
        return true
    }

    func free() {
        guard !freed else { return }
        freed = true
        base.deallocate()
    }
}
