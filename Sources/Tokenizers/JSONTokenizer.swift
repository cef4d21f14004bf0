// Hugging Face tokenizer.json (BPE models) without the Rust library.
import Foundation

/// A BPE tokenizer loaded from a Hugging Face `tokenizer.json`: byte-level BPE (GPT-2
/// byte mapping, o200k or GPT-2 split regex, `ignore_merges`) and Gemma-style BPE
/// (`▁` for spaces, byte fallback, `fuse_unk`), with added tokens and the Template,
/// Roberta and Bert post-processors.
public final class JSONTokenizer: Tokenizer {
    private let model: BPEModel
    private let normalizer: TextNormalizer?
    private let preTokenizer: [PreTokenizerStep]
    private let rawAddedTokens: AddedTokenMatcher
    private let normalizedAddedTokens: AddedTokenMatcher
    private let postProcessor: PostProcessor
    public let specialTokens: SpecialTokenIDs
    public let vocabularySize: Int
    public let modelMaxLength: Int?

    public convenience init(contentsOf path: String, modelMaxLength: Int? = nil) throws(TokenizerError) {
        try self.init(data: try readFile(path), modelMaxLength: modelMaxLength)
    }

    public init(data: Data, modelMaxLength: Int? = nil) throws(TokenizerError) {
        let root: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw TokenizerError.invalidModel("tokenizer.json is not an object")
            }
            root = object
        } catch let error as TokenizerError {
            throw error
        } catch {
            throw .invalidModel("tokenizer.json: \(error.localizedDescription)")
        }
        let parser = TokenizerJSONParser(root: root)
        let steps = try parser.preTokenizer()
        let byteLevel = steps.contains { if case .byteLevel = $0 { return true } else { return false } }
        let addedTokens = try parser.addedTokens()
        let model = try parser.model(byteLevel: byteLevel)
        self.model = model
        normalizer = try parser.normalizer()
        preTokenizer = steps
        rawAddedTokens = AddedTokenMatcher(addedTokens.filter { !$0.normalized })
        normalizedAddedTokens = AddedTokenMatcher(addedTokens.filter(\.normalized).map { token in
            var token = token
            if let normalizer = parser.normalizerForAddedTokens { token.content = normalizer.apply(token.content) }
            return token
        })
        let lookup = { (content: String) -> Int32? in
            addedTokens.first { $0.content == Array(content.utf8) }?.id ?? model.vocabulary[ByteKey(Array(content.utf8))]
        }
        postProcessor = try parser.postProcessor(lookup: lookup)
        let maxID = max(model.vocabulary.values.max() ?? -1, addedTokens.map(\.id).max() ?? -1)
        vocabularySize = Int(maxID) + 1
        specialTokens = SpecialTokenIDs(
            classification: postProcessor.prefix.first,
            separator: postProcessor.suffix.last,
            padding: parser.paddingID() ?? ["<pad>", "[PAD]", "<|pad|>"].lazy.compactMap(lookup).first,
            unknown: model.options.unknownID,
            mask: ["<mask>", "[MASK]", "<|mask|>"].lazy.compactMap(lookup).first)
        self.modelMaxLength = modelMaxLength ?? parser.truncationLength()
    }

    public func encode(_ text: String, addSpecialTokens: Bool, maxLength: Int?) -> [Int32] {
        var scratch = BPEScratch()
        let content = rawAddedTokens.encode(text) { piece, output in
            encodeUnmatched(piece, into: &output, scratch: &scratch)
        }
        return postProcessor.apply(to: content, addSpecialTokens: addSpecialTokens, maxLength: maxLength)
    }

    /// Normalises text outside raw added tokens, then matches the normalised added tokens.
    private func encodeUnmatched(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout [Int32],
                                 scratch: inout BPEScratch) {
        let normalized = normalizer?.apply(Array(bytes)) ?? Array(bytes)
        normalized.withUnsafeBufferPointer { buffer in
            normalizedAddedTokens.encode(buffer, into: &output) { piece, output in
                encodeWords(Array(piece), into: &output, scratch: &scratch)
            }
        }
    }

    private func encodeWords(_ bytes: [UInt8], into output: inout [Int32], scratch: inout BPEScratch) {
        var buffer = bytes
        var pieces = [0..<buffer.count]
        for step in preTokenizer { pieces = step.apply(buffer: &buffer, pieces: pieces) }
        buffer.withUnsafeBufferPointer { words in
            for piece in pieces where !piece.isEmpty {
                model.tokenize(UnsafeBufferPointer(rebasing: words[piece]), into: &output, scratch: &scratch)
            }
        }
    }
}

/// Reads the parts of a tokenizer.json object, rejecting what this implementation lacks.
struct TokenizerJSONParser {
    let root: [String: Any]

    private func object(_ value: Any?) -> [String: Any]? { value as? [String: Any] }
    private func type(_ value: [String: Any]) -> String { value["type"] as? String ?? "" }

    func normalizer() throws(TokenizerError) -> TextNormalizer? {
        guard let spec = object(root["normalizer"]) else { return nil }
        return try normalizer(spec)
    }

    /// HF normalises `normalized` added tokens' content with the tokenizer's normalizer.
    var normalizerForAddedTokens: TextNormalizer? { try? normalizer() }

    private func normalizer(_ spec: [String: Any]) throws(TokenizerError) -> TextNormalizer {
        switch type(spec) {
        case "Sequence":
            let parts = spec["normalizers"] as? [[String: Any]] ?? []
            var steps: [TextNormalizer] = []
            for part in parts { steps.append(try normalizer(part)) }
            return .sequence(steps)
        case "Replace":
            guard let pattern = object(spec["pattern"])?["String"] as? String,
                  let content = spec["content"] as? String else {
                throw .unsupported("Replace normalizer with a regex pattern")
            }
            return .replace(pattern: Array(pattern.utf8), content: Array(content.utf8))
        case "Prepend":
            return .prepend(Array((spec["prepend"] as? String ?? "").utf8))
        case "NFC": return .unicode(.nfc)
        case "NFD": return .unicode(.nfd)
        case "NFKC": return .unicode(.nfkc)
        case "NFKD": return .unicode(.nfkd)
        case "Lowercase": return .lowercase
        case let other: throw .unsupported("normalizer \(other)")
        }
    }

    func preTokenizer() throws(TokenizerError) -> [PreTokenizerStep] {
        guard let spec = object(root["pre_tokenizer"]) else { return [] }
        return try preTokenizer(spec)
    }

    private func preTokenizer(_ spec: [String: Any]) throws(TokenizerError) -> [PreTokenizerStep] {
        switch type(spec) {
        case "Sequence":
            var steps: [PreTokenizerStep] = []
            for part in spec["pretokenizers"] as? [[String: Any]] ?? [] { steps += try preTokenizer(part) }
            return steps
        case "ByteLevel":
            return [.byteLevel(addPrefixSpace: spec["add_prefix_space"] as? Bool ?? false,
                               useRegex: spec["use_regex"] as? Bool ?? true)]
        case "Split":
            let name = spec["behavior"] as? String ?? ""
            guard let behavior = SplitBehavior(rawValue: name) else { throw .unsupported("Split behavior \(name)") }
            let invert = spec["invert"] as? Bool ?? false
            let pattern = object(spec["pattern"]) ?? [:]
            if let literal = pattern["String"] as? String {
                return [.splitString(Array(literal.utf8), behavior, invert: invert)]
            }
            let regex = pattern["Regex"] as? String ?? ""
            guard let known = SplitRegex(pattern: regex) else { throw .unsupported("Split regex \(regex)") }
            return [.splitRegex(known, behavior, invert: invert)]
        case let other:
            throw .unsupported("pre-tokenizer \(other)")
        }
    }

    func addedTokens() throws(TokenizerError) -> [AddedToken] {
        var tokens: [AddedToken] = []
        for entry in root["added_tokens"] as? [[String: Any]] ?? [] {
            guard let id = (entry["id"] as? NSNumber)?.int32Value, let content = entry["content"] as? String else {
                throw .invalidModel("added token without id or content")
            }
            tokens.append(AddedToken(
                id: id, content: Array(content.utf8),
                singleWord: entry["single_word"] as? Bool ?? false,
                leftStrip: entry["lstrip"] as? Bool ?? false,
                rightStrip: entry["rstrip"] as? Bool ?? false,
                normalized: entry["normalized"] as? Bool ?? false,
                special: entry["special"] as? Bool ?? false))
        }
        return tokens
    }

    func model(byteLevel: Bool) throws(TokenizerError) -> BPEModel {
        guard let spec = object(root["model"]) else { throw .invalidModel("tokenizer.json has no model") }
        let kind = spec["type"] as? String ?? "BPE"
        guard kind == "BPE" else { throw .unsupported("model \(kind)") }
        if let prefix = spec["continuing_subword_prefix"] as? String, !prefix.isEmpty {
            throw .unsupported("continuing_subword_prefix")
        }
        if let suffix = spec["end_of_word_suffix"] as? String, !suffix.isEmpty {
            throw .unsupported("end_of_word_suffix")
        }
        guard let vocabSpec = spec["vocab"] as? [String: Any] else { throw .invalidModel("BPE model has no vocab") }
        let key = { (token: String) -> ByteKey in ByteKey(byteLevel ? ByteLevelMapping.bytes(of: token) : Array(token.utf8)) }
        var vocabulary: [ByteKey: Int32] = [:]
        vocabulary.reserveCapacity(vocabSpec.count)
        for (token, value) in vocabSpec {
            guard let id = (value as? NSNumber)?.int32Value else { throw .invalidModel("vocab entry \(token) has no id") }
            vocabulary[key(token)] = id
        }
        var merges: [(ByteKey, ByteKey)] = []
        for entry in spec["merges"] as? [Any] ?? [] {
            if let pair = entry as? [String], pair.count == 2 {
                merges.append((key(pair[0]), key(pair[1])))
            } else if let line = entry as? String {
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw .invalidModel("merge \"\(line)\" is not two tokens") }
                merges.append((key(String(parts[0])), key(String(parts[1]))))
            } else {
                throw .invalidModel("unreadable merge entry")
            }
        }
        var options = BPEModel.Options()
        options.byteLevel = byteLevel
        options.byteFallback = spec["byte_fallback"] as? Bool ?? false
        options.fuseUnknown = spec["fuse_unk"] as? Bool ?? false
        options.ignoreMerges = spec["ignore_merges"] as? Bool ?? false
        if let unknown = spec["unk_token"] as? String {
            options.unknownID = vocabulary[ByteKey(Array(unknown.utf8))] ?? vocabulary[key(unknown)]
        }
        return BPEModel(vocabulary: vocabulary, merges: merges, options: options)
    }

    func postProcessor(lookup: (String) -> Int32?) throws(TokenizerError) -> PostProcessor {
        guard let spec = object(root["post_processor"]) else { return PostProcessor() }
        return try postProcessor(spec, lookup: lookup)
    }

    private func postProcessor(_ spec: [String: Any], lookup: (String) -> Int32?) throws(TokenizerError) -> PostProcessor {
        switch type(spec) {
        case "Sequence":
            var result = PostProcessor()
            for part in spec["processors"] as? [[String: Any]] ?? [] {
                let next = try postProcessor(part, lookup: lookup)
                result.prefix += next.prefix
                result.suffix = next.suffix + result.suffix
            }
            return result
        case "ByteLevel":
            return PostProcessor()  // only adjusts offsets
        case "RobertaProcessing", "BertProcessing":
            guard let cls = spec["cls"] as? [Any], let sep = spec["sep"] as? [Any],
                  let clsID = (cls.last as? NSNumber)?.int32Value, let sepID = (sep.last as? NSNumber)?.int32Value else {
                throw .invalidModel("\(type(spec)) without cls/sep")
            }
            return PostProcessor(prefix: [clsID], suffix: [sepID])
        case "TemplateProcessing":
            return try template(spec)
        case let other:
            throw .unsupported("post-processor \(other)")
        }
    }

    /// Special tokens before and after `$A` in the single-sequence template.
    private func template(_ spec: [String: Any]) throws(TokenizerError) -> PostProcessor {
        let specials = object(spec["special_tokens"]) ?? [:]
        var result = PostProcessor()
        var seenSequence = false
        for item in spec["single"] as? [[String: Any]] ?? [] {
            if item["Sequence"] != nil {
                seenSequence = true
                continue
            }
            guard let name = object(item["SpecialToken"])?["id"] as? String,
                  let ids = (object(specials[name])?["ids"] as? [NSNumber])?.map(\.int32Value) else {
                throw .invalidModel("TemplateProcessing item without a known special token")
            }
            if seenSequence { result.suffix += ids } else { result.prefix += ids }
        }
        return result
    }

    func paddingID() -> Int32? {
        (object(root["padding"])?["pad_id"] as? NSNumber)?.int32Value
    }

    func truncationLength() -> Int? {
        (object(root["truncation"])?["max_length"] as? NSNumber)?.intValue
    }
}

/// GPT-2's reversible byte <-> printable character mapping.
enum ByteLevelMapping {
    /// Character for each byte: printable Latin-1 bytes map to themselves, the rest to U+0100 onwards.
    static let characters: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
            if printable {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(next) ?? " "
                next += 1
            }
        }
        return table
    }()

    private static let bytesByCharacter: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (byte, scalar) in characters.enumerated() { map[scalar.value] = UInt8(byte) }
        return map
    }()

    /// Raw bytes of a byte-level token; characters outside the mapping (added tokens)
    /// keep their UTF-8 bytes.
    static func bytes(of token: String) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            if let byte = bytesByCharacter[scalar.value] {
                result.append(byte)
            } else {
                result.append(contentsOf: String(scalar).utf8)
            }
        }
        return result
    }
}
