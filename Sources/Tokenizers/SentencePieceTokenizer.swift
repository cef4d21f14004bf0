// SentencePiece unigram models with Hugging Face's XLM-R id layout.
import CSentencePiece
import Foundation

/// A SentencePiece unigram model exposed with the fairseq id layout that Hugging Face's
/// `XLMRobertaTokenizer` uses: `<s>`=0, `<pad>`=1, `</s>`=2, `<unk>`=3, SentencePiece
/// id `i >= 3` becomes `i + 1`, SentencePiece's unk becomes 3, and `<mask>` is the last id.
/// `<s> <pad> </s> <unk> <mask>` written in the text are matched as those tokens.
public final class SentencePieceTokenizer: Tokenizer, @unchecked Sendable {
    // @unchecked: nothing is mutated after loading (the word cache locks), and
    // libsentencepiece's const encode path is thread-safe.

    /// Which segmentation runs.
    public enum Engine: Sendable {
        /// The pipeline transformers' XLMRobertaTokenizer builds (Precompiled normaliser
        /// per grapheme, whitespace split, Metaspace, Viterbi in Double). It differs from
        /// libsentencepiece on score ties and a few combining-mark sequences, and is the
        /// reference the published models were evaluated with.
        case transformers
        /// libsentencepiece's own `Encode`.
        case sentencePiece
    }

    /// libsentencepiece's processor. Building it (a double-array trie over
    /// 250k pieces) costs about as much as the rest of loading, and the default
    /// engine does not segment with it, so it is built on first use.
    private var processor: OpaquePointer? { try? loadedProcessor.load() }
    private let loadedProcessor: LazyProcessor
    private var unknownPieceID: Int32 { processor.map(spm_unk_id) ?? 0 }
    private let engine: Engine
    private let addedTokens: AddedTokenMatcher
    private let unigram: UnigramModel
    private let charsmap: PrecompiledCharsmap?
    private let cache = IDCache()
    public let specialTokens: SpecialTokenIDs
    public let vocabularySize: Int
    public let modelMaxLength: Int?

    /// Offset fairseq adds to every SentencePiece id (the `<pad>` slot).
    private static let fairseqOffset: Int32 = 1
    private static let metaspace: [UInt8] = Array("▁".utf8)

    /// Loads `modelPath`. With `cachePath` the built vocabulary is kept in that file (see
    /// `TokenizerCacheFile`): read from it when it matches the model, else built and written.
    public convenience init(modelPath: String, modelMaxLength: Int? = nil,
                            engine: Engine = .transformers, cachePath: String? = nil) throws(TokenizerError) {
        let source = cachePath.flatMap { _ in TokenizerCacheFile.SourceIdentity(path: modelPath) }
        let modelData = try readFile(modelPath, mapped: true)
        guard let cachePath, var source else {
            try self.init(modelData: modelData, modelMaxLength: modelMaxLength, engine: engine)
            return
        }
        source.sample = TokenizerCacheFile.sampleHash(of: modelData)
        let vocabulary: Vocabulary
        if let cached = TokenizerCacheFile.read(cachePath, source: source) {
            vocabulary = cached
        } else {
            vocabulary = try Vocabulary(modelData: modelData)
            TokenizerCacheFile.write(vocabulary, source: source, to: cachePath)
        }
        try self.init(vocabulary: vocabulary, modelData: modelData, modelMaxLength: modelMaxLength, engine: engine)
    }

    public convenience init(modelData: Data, modelMaxLength: Int? = nil, engine: Engine = .transformers) throws(TokenizerError) {
        try self.init(vocabulary: try Vocabulary(modelData: modelData), modelData: modelData,
                      modelMaxLength: modelMaxLength, engine: engine)
    }

    /// What loading a ModelProto builds: the unigram model in the fairseq id layout and the
    /// normalisation rules. A cache file holds exactly this.
    struct Vocabulary {
        /// Pieces in the ModelProto.
        var pieceCount: Int
        var unigram: UnigramModel.Parts
        var precompiledCharsmap: [UInt8]

        init(pieceCount: Int, unigram: UnigramModel.Parts, precompiledCharsmap: [UInt8]) {
            self.pieceCount = pieceCount
            self.unigram = unigram
            self.precompiledCharsmap = precompiledCharsmap
        }

        init(modelData: Data) throws(TokenizerError) {
            // transformers' XLMRobertaConverter: four fairseq specials, pieces[3...], then <mask>.
            var pieces = PieceTable()
            for special in ["<s>", "<pad>", "</s>", "<unk>"] { pieces.append(special.utf8, score: 0) }
            let contents = try SentencePieceModelContents(modelData, appendingPiecesFrom: 3, to: &pieces)
            guard contents.pieceCount >= 3 else {
                throw .invalidModel("ModelProto has \(contents.pieceCount) pieces, fewer than <unk> <s> </s>")
            }
            pieces.append("<mask>".utf8, score: 0)
            self.init(pieceCount: contents.pieceCount,
                      unigram: UnigramModel(pieces: pieces, unknownID: SentencePieceTokenizer.unknownID).parts,
                      precompiledCharsmap: contents.precompiledCharsmap)
        }
    }

    private static let unknownID: Int32 = 3

    private init(vocabulary: Vocabulary, modelData: Data, modelMaxLength: Int?, engine: Engine) throws(TokenizerError) {
        self.engine = engine
        self.modelMaxLength = modelMaxLength
        let pieceCount = vocabulary.pieceCount
        loadedProcessor = LazyProcessor(modelData: modelData, expectedPieces: pieceCount)
        if engine == .sentencePiece { try loadedProcessor.load() }
        let maskID = Int32(pieceCount + 1)
        unigram = UnigramModel(parts: vocabulary.unigram, unknownID: Self.unknownID)
        charsmap = vocabulary.precompiledCharsmap.isEmpty ? nil : try PrecompiledCharsmap(vocabulary.precompiledCharsmap)
        vocabularySize = vocabulary.unigram.scores.count
        specialTokens = SpecialTokenIDs(classification: 0, separator: 2, padding: 1, unknown: Self.unknownID, mask: maskID)
        addedTokens = AddedTokenMatcher([("<s>", 0), ("<pad>", 1), ("</s>", 2), ("<unk>", Self.unknownID), ("<mask>", maskID)].map {
            AddedToken(id: $0.1, content: Array($0.0.utf8), singleWord: false, leftStrip: false, rightStrip: false,
                       normalized: false, special: true)
        })
    }

    /// Loads the model into libsentencepiece now (it otherwise loads on first
    /// use), surfacing any error it reports.
    public func validateWithSentencePiece() throws(TokenizerError) { try loadedProcessor.load() }

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
        var scratch = UnigramScratch()
        let content = addedTokens.encode(text) { piece, output in
            switch engine {
            case .transformers: encodeLikeTransformers(piece, into: &output, scratch: &scratch)
            case .sentencePiece: output += pieceIDs(piece).map(modelID(forPieceID:))
            }
        }
        return Self.template.apply(to: content, addSpecialTokens: addSpecialTokens, maxLength: maxLength)
    }

    private static let template = PostProcessor(prefix: [0], suffix: [2])

    /// Precompiled normaliser, split on Unicode whitespace, "▁" prefix and split on "▁"
    /// (Metaspace, prepend always), then unigram per word.
    private func encodeLikeTransformers(_ utf8: UnsafeBufferPointer<UInt8>, into output: inout [Int32],
                                        scratch: inout UnigramScratch) {
        var normalized: [UInt8] = []
        if let charsmap {
            charsmap.normalize(Substring(String(decoding: utf8, as: UTF8.self)), into: &normalized)
        } else {
            normalized = Array(utf8)
        }
        var word: [UInt8] = []
        normalized.withUnsafeBufferPointer { bytes in
            var index = 0
            while index < bytes.count {
                let (scalar, length) = decodeUTF8(bytes, at: index)
                if scalar.properties.isWhitespace {
                    encodeWord(&word, into: &output, scratch: &scratch)
                } else {
                    word.append(contentsOf: bytes[index..<(index + length)])
                }
                index += length
            }
        }
        encodeWord(&word, into: &output, scratch: &scratch)
    }

    private func encodeWord(_ word: inout [UInt8], into output: inout [Int32], scratch: inout UnigramScratch) {
        guard !word.isEmpty else { return }
        defer { word.removeAll(keepingCapacity: true) }
        if !word.starts(with: Self.metaspace) { word.insert(contentsOf: Self.metaspace, at: 0) }
        let key = ByteKey(word)
        if let hit = cache.lookup(key) {
            output += hit
            return
        }
        let first = output.count
        word.withUnsafeBufferPointer { bytes in
            // Split before every "▁" (MergedWithNext), so each piece starts with one.
            var start = 0
            var index = Self.metaspace.count
            while index <= bytes.count {
                if index == bytes.count || bytes[index...].starts(with: Self.metaspace) {
                    unigram.tokenize(UnsafeBufferPointer(rebasing: bytes[start..<index]), into: &output, scratch: &scratch)
                    start = index
                    index += Self.metaspace.count
                } else {
                    index += 1
                }
            }
        }
        cache.store(key, Array(output[first...]))
    }

    /// Raw SentencePiece ids of `text` from libsentencepiece (empty if it reports an
    /// error, which for a loaded model only happens on allocation failure).
    public func pieceIDs(_ text: String) -> [Int32] {
        var text = text
        return text.withUTF8 { pieceIDs($0) }
    }

    private func pieceIDs(_ utf8: UnsafeBufferPointer<UInt8>) -> [Int32] {
        // transformers splits words on Unicode whitespace after normalisation; NEL (U+0085)
        // is the one such character that nmt_nfkc keeps, so it becomes a plain space here.
        let nextLine: [UInt8] = [0xC2, 0x85]
        if occurrences(of: nextLine, in: utf8, range: 0..<utf8.count).isEmpty {
            return encodeWithLibrary(utf8)
        }
        let replaced = replacingOccurrences(of: nextLine, with: [0x20], in: Array(utf8))
        return replaced.withUnsafeBufferPointer { encodeWithLibrary($0) }
    }

    private func encodeWithLibrary(_ bytes: UnsafeBufferPointer<UInt8>) -> [Int32] {
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

/// libsentencepiece's processor for a model, built once on first use.
private final class LazyProcessor: @unchecked Sendable {
    private let modelData: Data
    private let expectedPieces: Int
    private let lock = NSLock()
    private var processor: OpaquePointer?

    init(modelData: Data, expectedPieces: Int) {
        self.modelData = modelData
        self.expectedPieces = expectedPieces
    }

    deinit { if let processor { spm_free(processor) } }

    @discardableResult
    func load() throws(TokenizerError) -> OpaquePointer {
        lock.lock()
        defer { lock.unlock() }
        if let processor { return processor }
        var error: UnsafeMutablePointer<CChar>?
        let loaded = modelData.withUnsafeBytes { spm_load_bytes($0.baseAddress, $0.count, &error) }
        guard let loaded else { throw .sentencePiece(takeMessage(error) ?? "load failed") }
        guard Int(spm_piece_count(loaded)) == expectedPieces else {
            let count = spm_piece_count(loaded)
            spm_free(loaded)
            throw .invalidModel("ModelProto has \(expectedPieces) pieces, libsentencepiece \(count)")
        }
        processor = loaded
        return loaded
    }
}
