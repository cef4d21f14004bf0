import Foundation

/// Element types a safetensors weights file may use; all are widened to fp32 on load.
enum TensorDType: String, Sendable {
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"

    var byteCount: Int { self == .f32 ? 4 : 2 }
}

/// One tensor's directory entry: where its bytes lie relative to the data section.
struct TensorInfo: Sendable, Equatable {
    var name: String
    var dtype: TensorDType
    var shape: [Int]
    var dataRange: Range<Int>

    var elementCount: Int { shape.reduce(1, *) }
}

/// A validated, memory-mapped safetensors file.
///
/// Layout: u64 little-endian header length N, N bytes of JSON header
/// (`{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}`),
/// then the data section that the offsets index.
final class SafetensorsFile: @unchecked Sendable {
    /// Headers beyond this size are corrupt rather than large (the format's own reference limit is 100 MB).
    static let maximumHeaderLength = 100_000_000

    let path: String
    let tensors: [String: TensorInfo]
    let metadata: [String: String]
    private let file: MappedFile
    private let dataOffset: Int
    /// Byte ranges of the file lent out by `mappedFloats(of:)`, for `prefetchLentTensors()`.
    private var lent: [Range<Int>] = []
    private let lentLock = NSLock()

    init(path: String) throws(EncoderError) {
        self.path = path
        file = try MappedFile(path: path)
        let bytes = file.bytes
        guard bytes.count >= 8 else {
            throw .invalidSafetensors(path: path, reason: "file is \(bytes.count) bytes, shorter than the 8-byte header length")
        }
        let headerLength = bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian
        guard headerLength >= 2, headerLength <= UInt64(Self.maximumHeaderLength),
              Int(headerLength) <= bytes.count - 8 else {
            throw .invalidSafetensors(path: path, reason: "header length \(headerLength) does not fit the file size \(bytes.count)")
        }
        dataOffset = 8 + Int(headerLength)
        let headerData = Data(bytes[8..<dataOffset])
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: headerData)
        } catch {
            throw .invalidSafetensors(path: path, reason: "header is not valid JSON")
        }
        guard let header = json as? [String: Any] else {
            throw .invalidSafetensors(path: path, reason: "header is not a JSON object")
        }
        let dataLength = bytes.count - dataOffset
        var tensors: [String: TensorInfo] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                for (key, item) in (value as? [String: Any]) ?? [:] { metadata[key] = item as? String }
                continue
            }
            tensors[name] = try Self.parseEntry(name: name, value: value, dataLength: dataLength, path: path)
        }
        try Self.checkOverlaps(Array(tensors.values), path: path)
        self.tensors = tensors
        self.metadata = metadata
    }

    private static func parseEntry(name: String, value: Any, dataLength: Int, path: String) throws(EncoderError) -> TensorInfo {
        guard let entry = value as? [String: Any] else {
            throw .invalidTensor(path: path, tensor: name, reason: "entry is not a JSON object")
        }
        guard let dtypeName = entry["dtype"] as? String else {
            throw .invalidTensor(path: path, tensor: name, reason: "missing dtype")
        }
        guard let dtype = TensorDType(rawValue: dtypeName) else {
            throw .invalidTensor(path: path, tensor: name, reason: "unsupported dtype \(dtypeName) (supported: F32, F16, BF16)")
        }
        guard let shape = intArray(entry["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
            throw .invalidTensor(path: path, tensor: name, reason: "shape is not a list of non-negative integers")
        }
        guard let offsets = intArray(entry["data_offsets"]), offsets.count == 2 else {
            throw .invalidTensor(path: path, tensor: name, reason: "data_offsets is not a pair of integers")
        }
        let begin = offsets[0], end = offsets[1]
        guard begin >= 0, begin <= end, end <= dataLength else {
            throw .invalidTensor(path: path, tensor: name, reason: "byte range \(begin)..<\(end) lies outside the \(dataLength)-byte data section")
        }
        var elements = 1
        for dimension in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw .invalidTensor(path: path, tensor: name, reason: "shape \(shape) overflows") }
            elements = product
        }
        let (expectedBytes, overflow) = elements.multipliedReportingOverflow(by: dtype.byteCount)
        guard !overflow, expectedBytes == end - begin else {
            throw .invalidTensor(path: path, tensor: name,
                                 reason: "shape \(shape) of \(dtypeName) needs \(elements * dtype.byteCount) bytes, byte range holds \(end - begin)")
        }
        return TensorInfo(name: name, dtype: dtype, shape: shape, dataRange: begin..<end)
    }

    private static func intArray(_ value: Any?) -> [Int]? {
        guard let items = value as? [Any] else { return nil }
        var result: [Int] = []
        result.reserveCapacity(items.count)
        for item in items {
            // JSONSerialization yields NSNumber; reject fractional values.
            guard let number = item as? NSNumber, number.doubleValue == Double(number.intValue) else { return nil }
            result.append(number.intValue)
        }
        return result
    }

    private static func checkOverlaps(_ infos: [TensorInfo], path: String) throws(EncoderError) {
        let sorted = infos.filter { !$0.dataRange.isEmpty }.sorted { $0.dataRange.lowerBound < $1.dataRange.lowerBound }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where next.dataRange.lowerBound < previous.dataRange.upperBound {
            throw .invalidTensor(path: path, tensor: next.name, reason: "byte range overlaps tensor '\(previous.name)'")
        }
    }

    /// The tensor `name` widened to fp32, after checking its shape.
    func floats(_ name: String, shape expected: [Int]? = nil) throws(EncoderError) -> [Float] {
        guard let info = tensors[name] else { throw .missingTensor(path: path, tensor: name) }
        if let expected, expected != info.shape {
            throw .shapeMismatch(path: path, tensor: name, expected: expected, actual: info.shape)
        }
        return floats(of: info)
    }

    func floats(of info: TensorInfo) -> [Float] {
        let count = info.elementCount
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let destination = buffer.baseAddress { convert(info, elements: 0..<count, to: destination) }
            initialized = count
        }
    }

    /// The tensor's values where they lie in the mapping, when they can be used as fp32 in
    /// place: stored as F32 in the host's (little-endian) byte order and 4-byte aligned. Valid
    /// while this file lives.
    func mappedFloats(of info: TensorInfo) -> UnsafePointer<Float>? {
        guard info.dtype == .f32, 1.littleEndian == 1, info.elementCount > 0,
              let base = file.bytes.baseAddress else { return nil }
        let address = base + dataOffset + info.dataRange.lowerBound
        guard Int(bitPattern: address) % MemoryLayout<Float>.alignment == 0 else { return nil }
        let start = dataOffset + info.dataRange.lowerBound
        lentLock.lock()
        lent.append(start..<(start + info.dataRange.count))
        lentLock.unlock()
        return address.assumingMemoryBound(to: Float.self)
    }

    /// Maps in now the pages of every tensor lent out in place, which otherwise fault in one
    /// by one during the first forward pass (about 5 ms for e5-small's 85 MB of layers).
    /// Blocks until done; meant to run beside other start-up work.
    func prefetchLentTensors() {
        lentLock.lock()
        let ranges = lent.sorted { $0.lowerBound < $1.lowerBound }
        lentLock.unlock()
        // Tensors lie back to back: merge neighbours (gaps below a page) into few calls.
        var merged: [Range<Int>] = []
        for range in ranges {
            if let last = merged.last, range.lowerBound <= last.upperBound + 4096 {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        for range in merged { file.prefetch(range) }
    }

    /// Widens `elements` (flat indices) of tensor `info` to fp32 at `destination`.
    func convert(_ info: TensorInfo, elements: Range<Int>, to destination: UnsafeMutablePointer<Float>) {
        let start = dataOffset + info.dataRange.lowerBound + elements.lowerBound * info.dtype.byteCount
        let raw = UnsafeRawBufferPointer(rebasing: file.bytes[start..<(start + elements.count * info.dtype.byteCount)])
        switch info.dtype {
        case .f32:
            if let source = raw.baseAddress, !elements.isEmpty { memcpy(destination, source, elements.count * 4) }
        case .f16:
            for index in 0..<elements.count {
                destination[index] = floatFromHalf(raw.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self).littleEndian)
            }
        case .bf16:
            for index in 0..<elements.count {
                let bits = UInt32(raw.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self).littleEndian) << 16
                destination[index] = Float(bitPattern: bits)
            }
        }
    }
}

/// A 2-D tensor read row by row straight from the mapped file, widened to fp32 on each read.
/// Embedding tables are the largest tensors but a batch touches few rows, so they stay on
/// disk (page cache) instead of being copied to fp32 on the heap.
final class MappedRows: @unchecked Sendable {
    let rows: Int
    let width: Int
    private let file: SafetensorsFile
    private let info: TensorInfo

    init(file: SafetensorsFile, info: TensorInfo) {
        self.file = file
        self.info = info
        rows = info.shape.first ?? 0
        width = info.shape.count > 1 ? info.shape.dropFirst().reduce(1, *) : 1
    }

    func copyRow(_ row: Int, to destination: UnsafeMutablePointer<Float>) {
        file.convert(info, elements: (row * width)..<((row + 1) * width), to: destination)
    }
}

/// IEEE binary16 to binary32, exact for every input (subnormals, infinities, NaN).
func floatFromHalf(_ half: UInt16) -> Float {
    let sign = UInt32(half & 0x8000) << 16
    let exponent = UInt32(half >> 10) & 0x1F
    let mantissa = UInt32(half) & 0x3FF
    switch (exponent, mantissa) {
    case (0, 0):
        return Float(bitPattern: sign)
    case (0, _):
        // Subnormal: mantissa · 2^-24, exact in binary32.
        let magnitude = Float(mantissa) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    case (31, _):
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    default:
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }
}

/// Writes fp32 safetensors files tensor by tensor, so a large model never needs
/// to sit in memory whole.
enum SafetensorsWriter {
    struct Entry {
        var name: String
        var shape: [Int]
    }

    /// Writes `entries` in order; `produce(i)` returns the fp32 values of entry i.
    static func write(to path: String, entries: [Entry], metadata: [String: String] = ["format": "pt"],
                      produce: (Int) throws(EncoderError) -> [Float]) throws(EncoderError) {
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for entry in entries {
            let size = entry.shape.reduce(1, *) * 4
            header[entry.name] = ["dtype": "F32", "shape": entry.shape, "data_offsets": [offset, offset + size]]
            offset += size
        }
        var headerBytes: [UInt8]
        do {
            headerBytes = [UInt8](try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        } catch {
            throw .writeFailed(path: path, reason: "cannot encode the header")
        }
        // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
        while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(0x20) }
        // Write beside the target and rename: readers never see a partial file, and a file
        // that is still memory-mapped (e.g. the model being replaced) is never truncated under them.
        let temporaryPath = path + ".partial"
        guard let stream = fopen(temporaryPath, "wb") else {
            throw .writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
        var closed = false
        defer { if !closed { fclose(stream); unlink(temporaryPath) } }
        var length = UInt64(headerBytes.count).littleEndian
        var ok = withUnsafeBytes(of: &length) { fwrite($0.baseAddress, 1, 8, stream) == 8 }
        ok = ok && headerBytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, stream) == $0.count }
        for (index, entry) in entries.enumerated() where ok {
            let values = try produce(index)
            guard values.count == entry.shape.reduce(1, *) else {
                throw .writeFailed(path: path, reason: "tensor '\(entry.name)' has \(values.count) values for shape \(entry.shape)")
            }
            ok = values.withUnsafeBytes { $0.isEmpty || fwrite($0.baseAddress, 1, $0.count, stream) == $0.count }
        }
        closed = true
        let flushed = fclose(stream) == 0
        guard ok, flushed, rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw .writeFailed(path: path, reason: reason)
        }
    }
}
