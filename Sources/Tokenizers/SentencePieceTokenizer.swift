// SentencePiece unigram through libsentencepiece, with Hugging Face's XLM-R id layout.
import CSentencePiece
import Foundation

/// A SentencePiece model exposed with the fairseq id layout that Hugging Face's
/// `XLMRobertaTokenizer` uses: `<s>`=0, `<pad>`=1, `</s>`=2, `<unk>`=3, SentencePiece
/// id `i >= 1` becomes `i + 1`, SentencePiece's unk becomes 3, and `<mask>` is the last id.
public final class SentencePieceTokenizer: Tokenizer, @unchecked Sendable {
    // @unchecked: the processor is never mutated after loading, and libsentencepiece's
    // const encode path is thread-safe.
    private let processor: OpaquePointer
    private let unknownPieceID: Int32
    /// `<s> <pad> </s> <unk> <mask>` are matched in raw text before SentencePiece runs,
    /// as transformers' XLMRobertaTokenizer does.
    private let addedTokens: AddedTokenMatcher
    public let specialTokens: SpecialTokenIDs
    public let vocabularySize: Int
    public let modelMaxLength: Int?

    /// Offset fairseq adds to every SentencePiece id (the `<pad>` slot).
    private static let fairseqOffset: Int32 = 1

    public convenience init(modelPath: String, modelMaxLength: Int? = nil) throws(TokenizerError) {
        guard FileManager.default.fileExists(atPath: modelPath) else { throw .fileNotFound(modelPath) }
        var error: UnsafeMutablePointer<CChar>?
        let loaded = spm_load_file(modelPath, &error)
        try self.init(loaded: loaded, error: error, modelMaxLength: modelMaxLength)
    }

    public convenience init(modelData: Data, modelMaxLength: Int? = nil) throws(TokenizerError) {
        var error: UnsafeMutablePointer<CChar>?
        let loaded = modelData.withUnsafeBytes { spm_load_bytes($0.baseAddress, $0.count, &error) }
        try self.init(loaded: loaded, error: error, modelMaxLength: modelMaxLength)
    }

    private init(loaded: OpaquePointer?, error: UnsafeMutablePointer<CChar>?,
                 modelMaxLength: Int?) throws(TokenizerError) {
        guard let loaded else { throw .sentencePiece(takeMessage(error) ?? "load failed") }
        processor = loaded
        unknownPieceID = spm_unk_id(loaded)
        let pieceCount = Int(spm_piece_count(loaded))
        // <s> <pad> </s> <unk> replace SentencePiece's three specials (+1 for <pad>), and
        // <mask> is appended after the last piece.
        vocabularySize = pieceCount + 2
        let maskID = Int32(pieceCount + 1)
        specialTokens = SpecialTokenIDs(classification: 0, separator: 2, padding: 1, unknown: 3, mask: maskID)
        addedTokens = AddedTokenMatcher([("<s>", 0), ("<pad>", 1), ("</s>", 2), ("<unk>", 3), ("<mask>", maskID)].map {
            AddedToken(id: $0.1, content: Array($0.0.utf8), singleWord: false, leftStrip: false, rightStrip: false,
                       normalized: false, special: true)
        })
        self.modelMaxLength = modelMaxLength
    }

    deinit { spm_free(processor) }

    /// Number of pieces in the underlying SentencePiece model.
    public var pieceCount: Int { Int(spm_piece_count(processor)) }

    /// The SentencePiece piece for a SentencePiece id.
    public func piece(forPieceID id: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: 64)
        var length = spm_id_to_piece(processor, id, &buffer, buffer.count)
        guard length >= 0 else { return nil }
        if length > buffer.count {
            buffer = [CChar](repeating: 0, count: Int(length))
            length = spm_id_to_piece(processor, id, &buffer, buffer.count)
        }
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The SentencePiece id of a piece (SentencePiece's unk id when absent).
    public func pieceID(for piece: String) -> Int32 {
        var piece = piece
        return piece.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { spm_piece_to_id(processor, $0.baseAddress, $0.count) }
        }
    }

    /// Maps a SentencePiece id to the XLM-R id.
    public func modelID(forPieceID id: Int32) -> Int32 {
        id == unknownPieceID ? 3 : id + Self.fairseqOffset
    }

    public func encode(_ text: String, addSpecialTokens: Bool, maxLength: Int?) -> [Int32] {
        var content: [Int32] = []
        var bytes = Array(text.utf8)
        bytes.withUnsafeBufferPointer { buffer in
            for segment in addedTokens.split(buffer, range: 0..<buffer.count) {
                switch segment {
                case .token(let id):
                    content.append(id)
                case .text(let range):
                    for id in pieceIDs(UnsafeBufferPointer(rebasing: buffer[range])) {
                        content.append(modelID(forPieceID: id))
                    }
                }
            }
        }
        bytes.removeAll()
        let specialCount = addSpecialTokens ? 2 : 0
        var ids: [Int32] = []
        ids.reserveCapacity(content.count + specialCount)
        if addSpecialTokens { ids.append(0) }
        ids.append(contentsOf: truncated(content, specialCount: specialCount, maxLength: maxLength))
        if addSpecialTokens { ids.append(2) }
        return ids
    }

    /// Raw SentencePiece ids of `text` (empty if libsentencepiece reports an error,
    /// which for a loaded model only happens on allocation failure).
    public func pieceIDs(_ text: String) -> [Int32] {
        var text = text
        return text.withUTF8 { pieceIDs($0) }
    }

    private func pieceIDs(_ utf8: UnsafeBufferPointer<UInt8>) -> [Int32] {
        // transformers splits words on Unicode whitespace after normalisation; NEL (U+0085)
        // is the one such character that nmt_nfkc keeps, so it becomes a plain space here.
        let nextLine: [UInt8] = [0xC2, 0x85]
        if occurrences(of: nextLine, in: utf8, range: 0..<utf8.count).isEmpty {
            return encodeNormalizedSpaces(utf8)
        }
        let replaced = replacingOccurrences(of: nextLine, with: [0x20], in: Array(utf8))
        return replaced.withUnsafeBufferPointer { encodeNormalizedSpaces($0) }
    }

    private func encodeNormalizedSpaces(_ bytes: UnsafeBufferPointer<UInt8>) -> [Int32] {
        // One piece covers at least one normalised byte; normalisation rarely grows
        // text by more than a few bytes, and the call is retried when it does.
        var capacity = bytes.count + 16
        while true {
            var error: UnsafeMutablePointer<CChar>?
            var ids = [Int32](repeating: 0, count: capacity)
            let total = bytes.withMemoryRebound(to: CChar.self) { chars in
                ids.withUnsafeMutableBufferPointer {
                    spm_encode(processor, chars.baseAddress, chars.count, $0.baseAddress, capacity, &error)
                }
            }
            if total < 0 {
                _ = takeMessage(error)
                return []
            }
            if Int(total) <= capacity {
                ids.removeLast(capacity - Int(total))
                return ids
            }
            capacity = Int(total)
        }
    }
}

/// Copies and frees a message allocated by the shim.
func takeMessage(_ pointer: UnsafeMutablePointer<CChar>?) -> String? {
    guard let pointer else { return nil }
    defer { spm_string_free(pointer) }
    return String(cString: pointer)
}
