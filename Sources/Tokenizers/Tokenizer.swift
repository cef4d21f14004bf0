// The tokenizer seam between model directories and the encoder.
import Foundation

/// Ids of the special tokens a model uses; `nil` when the vocabulary has none.
public struct SpecialTokenIDs: Sendable, Hashable {
    /// First token of a sequence (`<s>`, `[CLS]`, `<bos>`).
    public var classification: Int32?
    /// Last token of a sequence (`</s>`, `[SEP]`, `<eos>`).
    public var separator: Int32?
    public var padding: Int32?
    public var unknown: Int32?
    public var mask: Int32?

    public init(classification: Int32? = nil, separator: Int32? = nil, padding: Int32? = nil,
                unknown: Int32? = nil, mask: Int32? = nil) {
        self.classification = classification
        self.separator = separator
        self.padding = padding
        self.unknown = unknown
        self.mask = mask
    }
}

/// Turns text into model input ids. Implementations are immutable after loading
/// and safe to share between threads.
public protocol Tokenizer: Sendable {
    /// Encodes `text`; with `addSpecialTokens` the model's template (e.g. `<s> … </s>`) is applied.
    /// When `maxLength` is given the content is cut from the right so that the result,
    /// special tokens included, holds at most `maxLength` ids.
    func encode(_ text: String, addSpecialTokens: Bool, maxLength: Int?) -> [Int32]
    var specialTokens: SpecialTokenIDs { get }
    /// Number of ids the model's embedding table must cover.
    var vocabularySize: Int { get }
    /// The model window from `tokenizer_config.json` (`model_max_length`), when known.
    var modelMaxLength: Int? { get }
}

extension Tokenizer {
    /// Encodes without truncation.
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int32] {
        encode(text, addSpecialTokens: addSpecialTokens, maxLength: nil)
    }

    /// Number of content tokens in `text` (no special tokens), for chunk budgets.
    public func tokenCount(_ text: String) -> Int {
        encode(text, addSpecialTokens: false, maxLength: nil).count
    }
}

/// Why a tokenizer could not be loaded or written.
public enum TokenizerError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    case fileNotFound(String)
    case unreadable(path: String, reason: String)
    case invalidModel(String)
    case unsupported(String)
    case sentencePiece(String)

    public var description: String {
        switch self {
        case .fileNotFound(let path): return "tokenizer file not found: \(path)"
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .invalidModel(let reason): return "invalid tokenizer model: \(reason)"
        case .unsupported(let what): return "unsupported tokenizer feature: \(what)"
        case .sentencePiece(let reason): return "sentencepiece: \(reason)"
        }
    }

    public var errorDescription: String? { description }
}

/// Loads the tokenizer of a Hugging Face style model directory: `tokenizer.json` when
/// present, else `sentencepiece.bpe.model` (XLM-R id mapping). `model_max_length` from
/// `tokenizer_config.json` becomes the tokenizer's `modelMaxLength` when present.
public func loadTokenizer(modelDirectory: String) throws(TokenizerError) -> any Tokenizer {
    let directory = URL(fileURLWithPath: modelDirectory)
    let maxLength = modelMaxLength(configPath: directory.appendingPathComponent("tokenizer_config.json").path)
    let jsonPath = directory.appendingPathComponent("tokenizer.json").path
    if FileManager.default.fileExists(atPath: jsonPath) {
        return try JSONTokenizer(contentsOf: jsonPath, modelMaxLength: maxLength)
    }
    let spmPath = directory.appendingPathComponent("sentencepiece.bpe.model").path
    if FileManager.default.fileExists(atPath: spmPath) {
        // The built vocabulary is cached beside the model: a one-shot search then skips ~30 ms.
        return try SentencePieceTokenizer(modelPath: spmPath, modelMaxLength: maxLength,
                                          cachePath: spmPath + TokenizerCacheFile.suffix)
    }
    throw .fileNotFound("\(jsonPath) or \(spmPath)")
}

/// `model_max_length` of a `tokenizer_config.json`; transformers writes a huge sentinel
/// (1e30) when the window is unknown, which is treated as absent.
func modelMaxLength(configPath: String) -> Int? {
    guard let data = FileManager.default.contents(atPath: configPath),
          let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
          let value = object["model_max_length"] as? NSNumber else { return nil }
    let length = value.doubleValue
    guard length >= 1, length < 1e9 else { return nil }
    return Int(length)
}

/// The bytes of `path`; `mapped` maps the file instead of copying it (for large
/// files that are kept whole, where the copy and its page faults cost milliseconds).
func readFile(_ path: String, mapped: Bool = false) throws(TokenizerError) -> Data {
    guard FileManager.default.fileExists(atPath: path) else { throw .fileNotFound(path) }
    if mapped {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
    }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw .unreadable(path: path, reason: "read failed")
    }
    return data
}
