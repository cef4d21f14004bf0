// Reads the ModelProto fields the transformers-compatible unigram path needs.
import Foundation

/// Minimal protobuf wire-format reader (varint, fixed32, fixed64, length-delimited).
struct ProtobufReader {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var offset = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    enum Value {
        case varint(UInt64)
        case fixed32(UInt32)
        case fixed64(UInt64)
        case bytes(UnsafeBufferPointer<UInt8>)
    }

    private mutating func varint() throws(TokenizerError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while offset < bytes.count, shift < 64 {
            let byte = bytes[offset]
            offset += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
        throw .invalidModel("truncated protobuf varint")
    }

    private mutating func take(_ count: Int) throws(TokenizerError) -> UnsafeBufferPointer<UInt8> {
        guard count >= 0, offset + count <= bytes.count else { throw .invalidModel("truncated protobuf field") }
        defer { offset += count }
        return UnsafeBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    /// The next field, or nil at the end of the message.
    mutating func next() throws(TokenizerError) -> (field: Int, value: Value)? {
        guard offset < bytes.count else { return nil }
        let key = try varint()
        let field = Int(key >> 3)
        switch key & 7 {
        case 0: return (field, .varint(try varint()))
        case 1:
            let raw = try take(8)
            return (field, .fixed64(raw.reversed().reduce(0) { $0 << 8 | UInt64($1) }))
        case 2: return (field, .bytes(try take(Int(try varint()))))
        case 5:
            let raw = try take(4)
            return (field, .fixed32(raw.reversed().reduce(0) { $0 << 8 | UInt32($1) }))
        default: throw .invalidModel("unsupported protobuf wire type \(key & 7)")
        }
    }
}

/// The parts of a SentencePiece ModelProto that transformers' converter reads.
struct SentencePieceModelContents {
    var pieces: [SentencePieceEntry] = []
    var precompiledCharsmap: [UInt8] = []
    var addDummyPrefix = true

    init(_ data: Data) throws(TokenizerError) {
        let parsed: Result<SentencePieceModelContents, TokenizerError> = data.withUnsafeBytes { raw in
            do throws(TokenizerError) {
                return .success(try SentencePieceModelContents(raw.bindMemory(to: UInt8.self)))
            } catch {
                return .failure(error)
            }
        }
        self = try parsed.get()
    }

    private init(_ bytes: UnsafeBufferPointer<UInt8>) throws(TokenizerError) {
        var model = ProtobufReader(bytes)
        while let (field, value) = try model.next() {
            guard case .bytes(let message) = value else { continue }
            if field == 1 {
                pieces.append(try Self.piece(message))
            } else if field == 3 {
                var spec = ProtobufReader(message)
                while let (specField, specValue) = try spec.next() {
                    switch (specField, specValue) {
                    case (2, .bytes(let charsmap)): precompiledCharsmap = Array(charsmap)
                    case (3, .varint(let flag)): addDummyPrefix = flag != 0
                    default: continue
                    }
                }
            }
        }
    }

    private static func piece(_ message: UnsafeBufferPointer<UInt8>) throws(TokenizerError) -> SentencePieceEntry {
        var reader = ProtobufReader(message)
        var entry = SentencePieceEntry("", score: 0)
        while let (field, value) = try reader.next() {
            switch (field, value) {
            case (1, .bytes(let text)): entry.piece = String(decoding: text, as: UTF8.self)
            case (2, .fixed32(let bits)): entry.score = Float(bitPattern: bits)
            case (3, .varint(let kind)): entry.kind = SentencePieceEntry.Kind(rawValue: Int(kind)) ?? .normal
            default: continue
            }
        }
        return entry
    }
}
