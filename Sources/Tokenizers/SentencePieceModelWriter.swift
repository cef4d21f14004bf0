// Writes SentencePiece ModelProto files (protobuf, encoded by hand).
import CSentencePiece
import Foundation

/// One vocabulary entry of a SentencePiece model.
public struct SentencePieceEntry: Sendable, Hashable {
    /// `ModelProto.SentencePiece.Type` values.
    public enum Kind: Int, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    public var piece: String
    public var score: Float
    public var kind: Kind

    public init(_ piece: String, score: Float, kind: Kind = .normal) {
        self.piece = piece
        self.score = score
        self.kind = kind
    }
}

/// Serialises a unigram SentencePiece model.
public enum SentencePieceModelWriter {
    /// The ModelProto bytes for `pieces` (in SentencePiece id order) with the named
    /// normaliser. Its precompiled charsmap comes from libsentencepiece_train, because
    /// libsentencepiece does not normalise at all when the charsmap is empty.
    public static func modelData(pieces: [SentencePieceEntry],
                                 normalizer: String = "nmt_nfkc") throws(TokenizerError) -> Data {
        guard pieces.contains(where: { $0.kind == .unknown }) else {
            throw .invalidModel("a SentencePiece model needs exactly one unknown piece")
        }
        let charsmap = try precompiledCharsmap(named: normalizer)
        var model = ProtobufWriter()
        for entry in pieces {
            var piece = ProtobufWriter()
            piece.string(1, entry.piece)
            piece.float(2, entry.score)
            piece.varint(3, UInt64(entry.kind.rawValue))
            model.message(1, piece)
        }
        model.message(2, trainerSpec(pieces))
        var normalizerSpec = ProtobufWriter()
        normalizerSpec.string(1, normalizer)
        normalizerSpec.bytes(2, charsmap)
        normalizerSpec.bool(3, true)  // add_dummy_prefix
        normalizerSpec.bool(4, true)  // remove_extra_whitespaces
        normalizerSpec.bool(5, true)  // escape_whitespaces
        model.message(3, normalizerSpec)
        return model.data
    }

    public static func write(pieces: [SentencePieceEntry], normalizer: String = "nmt_nfkc",
                             to path: String) throws(TokenizerError) {
        let data = try modelData(pieces: pieces, normalizer: normalizer)
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .unreadable(path: path, reason: "write failed: \(error.localizedDescription)")
        }
    }

    /// TrainerSpec with the ids of the special pieces, as the library and converters read them.
    private static func trainerSpec(_ pieces: [SentencePieceEntry]) -> ProtobufWriter {
        func index(of piece: String, kind: SentencePieceEntry.Kind) -> Int64 {
            Int64(pieces.firstIndex { $0.piece == piece && $0.kind == kind } ?? -1)
        }
        let unknown = pieces.firstIndex { $0.kind == .unknown } ?? 0
        var spec = ProtobufWriter()
        spec.varint(3, 1)  // model_type = UNIGRAM
        spec.int32(4, Int64(pieces.count))  // vocab_size
        spec.int32(40, Int64(unknown))
        spec.int32(41, index(of: "<s>", kind: .control))
        spec.int32(42, index(of: "</s>", kind: .control))
        spec.int32(43, index(of: "<pad>", kind: .control))
        spec.string(45, pieces[unknown].piece)
        return spec
    }

    static func precompiledCharsmap(named name: String) throws(TokenizerError) -> Data {
        var length = 0
        var error: UnsafeMutablePointer<CChar>?
        guard let blob = spm_precompiled_charsmap(name, &length, &error) else {
            throw .sentencePiece(takeMessage(error) ?? "no charsmap named \(name)")
        }
        defer { spm_string_free(blob) }
        return Data(bytes: blob, count: length)
    }
}

/// Minimal protobuf encoder for the few field types ModelProto needs.
struct ProtobufWriter {
    private(set) var data = Data()

    private mutating func rawVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            data.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        data.append(UInt8(value))
    }

    private mutating func tag(_ field: Int, wireType: UInt64) {
        rawVarint(UInt64(field) << 3 | wireType)
    }

    mutating func varint(_ field: Int, _ value: UInt64) {
        tag(field, wireType: 0)
        rawVarint(value)
    }

    /// int32 fields encode negatives as ten-byte sign-extended varints.
    mutating func int32(_ field: Int, _ value: Int64) {
        varint(field, UInt64(bitPattern: value))
    }

    mutating func bool(_ field: Int, _ value: Bool) {
        varint(field, value ? 1 : 0)
    }

    mutating func float(_ field: Int, _ value: Float) {
        tag(field, wireType: 5)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
    }

    mutating func bytes(_ field: Int, _ value: Data) {
        tag(field, wireType: 2)
        rawVarint(UInt64(value.count))
        data.append(value)
    }

    mutating func string(_ field: Int, _ value: String) {
        bytes(field, Data(value.utf8))
    }

    mutating func message(_ field: Int, _ value: ProtobufWriter) {
        bytes(field, value.data)
    }
}
