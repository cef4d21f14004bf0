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

    @inline(__always)
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

    @inline(__always)
    private mutating func take(_ count: Int) throws(TokenizerError) -> UnsafeBufferPointer<UInt8> {
        guard count >= 0, offset + count <= bytes.count else { throw .invalidModel("truncated protobuf field") }
        defer { offset += count }
        return UnsafeBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    /// The next field, or nil at the end of the message.
    @inline(__always)
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
    /// Number of pieces in the model.
    var pieceCount = 0
    var precompiledCharsmap: [UInt8] = []
    var addDummyPrefix = true

    /// Parses `data`, appending the pieces with SentencePiece ids `firstKept...` (text and
    /// score; types are not needed) to `vocabulary`, so a tokenizer that renumbers the first
    /// pieces builds its table in one pass.
    init(_ data: Data, appendingPiecesFrom firstKept: Int = 0, to vocabulary: inout PieceTable) throws(TokenizerError) {
        let parsed: Result<SentencePieceModelContents, TokenizerError> = data.withUnsafeBytes { raw in
            do throws(TokenizerError) {
                return .success(try SentencePieceModelContents(raw.bindMemory(to: UInt8.self), firstKept, &vocabulary))
            } catch {
                return .failure(error)
            }
        }
        self = try parsed.get()
    }

    private init(_ bytes: UnsafeBufferPointer<UInt8>, _ firstKept: Int, _ vocabulary: inout PieceTable) throws(TokenizerError) {
        // The table's 32-bit offsets hold the pieces of any file up to 1 GB, even if UTF-8 repairs
        // triple them (protobuf itself stops at 2 GB; real models are a few MB).
        guard bytes.count + vocabulary.bytes.count <= Int(UInt32.max) / 4 else {
            throw .invalidModel("ModelProto larger than 1 GB")
        }
        // Piece texts are a little under half of the file, ~20 bytes of it per piece;
        // reserving avoids regrowing the arrays.
        vocabulary.reserveCapacity(pieces: vocabulary.count + bytes.count / 20, bytes: vocabulary.bytes.count + bytes.count / 2)
        var model = ProtobufReader(bytes)
        while let (field, value) = try model.next() {
            guard case .bytes(let message) = value else { continue }
            if field == 1 {
                if pieceCount >= firstKept { try Self.appendPiece(message, to: &vocabulary) }
                pieceCount += 1
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
        vocabulary.replaceMalformedUTF8()
    }

    private static func appendPiece(_ message: UnsafeBufferPointer<UInt8>, to pieces: inout PieceTable) throws(TokenizerError) {
        // Validated for the whole table at the end (see PieceTable.replaceMalformedUTF8).
        if let (text, score) = commonPieceLayout(message) {
            pieces.append(text, score: score)
            return
        }
        var reader = ProtobufReader(message)
        var text = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
        var score: Float = 0
        while let (field, value) = try reader.next() {
            switch (field, value) {
            case (1, .bytes(let bytes)): text = bytes
            case (2, .fixed32(let bits)): score = Float(bitPattern: bits)
            default: continue
            }
        }
        pieces.append(text, score: score)
    }

    /// The text and score of a piece message laid out as SentencePiece writes every one:
    /// `piece` (field 1), `score` (field 2), then at most a `type` varint (field 3). Nil for
    /// any other layout, which the general reader then parses (same result, 3x the time
    /// on a 250k-piece vocabulary).
    @inline(__always)
    private static func commonPieceLayout(_ message: UnsafeBufferPointer<UInt8>) -> (UnsafeBufferPointer<UInt8>, Float)? {
        let count = message.count
        guard count >= 7, message[0] == 0x0A else { return nil }
        // Piece length: one or two varint bytes (pieces are short).
        var index = 1
        var length = Int(message[1])
        if length >= 0x80 {
            guard message[2] < 0x80 else { return nil }
            length = (length & 0x7F) | Int(message[2]) << 7
            index = 2
        }
        index += 1
        guard length <= count - index - 5, message[index + length] == 0x15 else { return nil }
        let text = UnsafeBufferPointer(rebasing: message[index..<(index + length)])
        index += length + 1
        var bits = UInt32(message[index]) | UInt32(message[index + 1]) << 8
        bits |= UInt32(message[index + 2]) << 16 | UInt32(message[index + 3]) << 24
        index += 4
        if index < count {
            // A one-byte type varint and nothing after it.
            guard count - index == 2, message[index] == 0x18, message[index + 1] < 0x80 else { return nil }
        }
        return (text, Float(bitPattern: bits))
    }
}

/// Whether `bytes` is well-formed UTF-8 (Unicode Table 3-7: no overlong forms,
/// surrogates or values above U+10FFFF), i.e. decodes without any replacement.
func isWellFormedUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    let none = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    return areWellFormedUTF8(bytes, none, none, none)
}

/// `isWellFormedUTF8` of each of four buffers, run in lockstep: one automaton is bound by
/// the latency of its table loads, so four independent ones take about as long as one.
func areWellFormedUTF8(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>,
                       _ c: UnsafeBufferPointer<UInt8>, _ d: UnsafeBufferPointer<UInt8>) -> Bool {
    let common = min(a.count, b.count, c.count, d.count)
    var (sa, sb, sc, sd) = (UTF8Automaton.accept, UTF8Automaton.accept, UTF8Automaton.accept, UTF8Automaton.accept)
    UTF8Automaton.classes.withUnsafeBufferPointer { classes in
        UTF8Automaton.transitions.withUnsafeBufferPointer { transitions in
            for i in 0..<common {
                sa = transitions[Int(sa) &+ Int(classes[Int(a[i])])]
                sb = transitions[Int(sb) &+ Int(classes[Int(b[i])])]
                sc = transitions[Int(sc) &+ Int(classes[Int(c[i])])]
                sd = transitions[Int(sd) &+ Int(classes[Int(d[i])])]
            }
            for i in common..<a.count { sa = transitions[Int(sa) &+ Int(classes[Int(a[i])])] }
            for i in common..<b.count { sb = transitions[Int(sb) &+ Int(classes[Int(b[i])])] }
            for i in common..<c.count { sc = transitions[Int(sc) &+ Int(classes[Int(c[i])])] }
            for i in common..<d.count { sd = transitions[Int(sd) &+ Int(classes[Int(d[i])])] }
        }
    }
    return sa | sb | sc | sd == UTF8Automaton.accept
}

/// Björn Höhrmann's UTF-8 decoder automaton (states pre-multiplied by 12); the
/// reject state is absorbing, so one check at the end suffices.
private enum UTF8Automaton {
    static let accept: UInt8 = 0

    /// Byte class of each byte value.
    static let classes: [UInt8] = (0...255).map { (byte: Int) -> UInt8 in
        switch byte {
        case 0x00...0x7F: return 0
        case 0x80...0x8F: return 1
        case 0x90...0x9F: return 9
        case 0xA0...0xBF: return 7
        case 0xC0, 0xC1: return 8
        case 0xC2...0xDF: return 2
        case 0xE0: return 10
        case 0xE1...0xEC, 0xEE, 0xEF: return 3
        case 0xED: return 4
        case 0xF0: return 11
        case 0xF1...0xF3: return 6
        case 0xF4: return 5
        default: return 8
        }
    }

    /// Next state at `state + class`; 12 is reject.
    static let transitions: [UInt8] = [
        0, 12, 24, 36, 60, 96, 84, 12, 12, 12, 48, 72,
        12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
        12, 0, 12, 12, 12, 12, 12, 0, 12, 0, 12, 12,
        12, 24, 12, 12, 12, 12, 12, 24, 12, 24, 12, 12,
        12, 12, 12, 12, 12, 12, 12, 24, 12, 12, 12, 12,
        12, 24, 12, 12, 12, 12, 12, 12, 12, 24, 12, 12,
        12, 12, 12, 12, 12, 12, 12, 36, 12, 36, 12, 12,
        12, 36, 12, 12, 12, 12, 12, 36, 12, 36, 12, 12,
        12, 36, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
    ]
}
