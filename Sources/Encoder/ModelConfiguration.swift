import Foundation

/// How token states become one vector.
public enum Pooling: String, Sendable {
    /// The first token's state (CLS / `<s>`).
    case cls
    /// Average over the sequence's tokens (padding never enters: sequences are packed unpadded).
    case mean
}

/// The sizes every supported encoder has, read from the same config.json keys.
struct TransformerShape: Sendable, Equatable {
    var vocabularySize: Int
    var hiddenSize: Int
    var layerCount: Int
    var headCount: Int
    var intermediateSize: Int
    var maxPositions: Int

    init(_ reader: ConfigReader, defaultMaxPositions: Int?) throws(EncoderError) {
        vocabularySize = try reader.int("vocab_size")
        hiddenSize = try reader.int("hidden_size")
        layerCount = try reader.int("num_hidden_layers")
        headCount = try reader.int("num_attention_heads")
        intermediateSize = try reader.int("intermediate_size")
        maxPositions = try reader.int("max_position_embeddings", default: defaultMaxPositions)
        try reader.require([vocabularySize, hiddenSize, layerCount, headCount, intermediateSize, maxPositions].allSatisfy { $0 > 0 },
                           "model sizes must be positive")
        try reader.require(hiddenSize % headCount == 0,
                           "hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(headCount)")
    }
}

/// Hyper-parameters of a BERT or XLM-RoBERTa encoder (post-LayerNorm).
@dynamicMemberLookup
struct BertConfiguration: Sendable, Equatable {
    var shape: TransformerShape
    var typeVocabularySize: Int
    var layerNormEpsilon: Float
    var activation: Activation
    /// XLM-RoBERTa numbers positions from `padding_idx + 1` and gives pad tokens `padding_idx`;
    /// BERT numbers them 0, 1, 2, … . nil means BERT numbering.
    var positionPaddingIndex: Int?

    subscript<Value>(dynamicMember key: KeyPath<TransformerShape, Value>) -> Value { shape[keyPath: key] }

    /// Longest sequence the position table allows.
    var maxSequenceLength: Int {
        if let pad = positionPaddingIndex { return shape.maxPositions - pad - 1 }
        return shape.maxPositions
    }
}

/// Hyper-parameters of a ModernBERT encoder.
@dynamicMemberLookup
struct ModernBertConfiguration: Sendable, Equatable {
    var shape: TransformerShape
    var normEpsilon: Float
    var normBias: Bool
    var attentionBias: Bool
    var mlpBias: Bool
    var activation: Activation
    /// true where the layer attends globally, false for sliding-window layers.
    var globalLayers: [Bool]
    var globalRopeTheta: Float
    var localRopeTheta: Float
    /// Total local window (`local_attention`); a query sees keys within half of it on each side.
    var localWindow: Int

    subscript<Value>(dynamicMember key: KeyPath<TransformerShape, Value>) -> Value { shape[keyPath: key] }
}

enum Architecture: Sendable, Equatable {
    case bert(BertConfiguration)
    case modernBert(ModernBertConfiguration)

    var shape: TransformerShape {
        switch self {
        case let .bert(c): return c.shape
        case let .modernBert(c): return c.shape
        }
    }

    var maxSequenceLength: Int {
        switch self {
        case let .bert(c): return c.maxSequenceLength
        case let .modernBert(c): return c.maxPositions
        }
    }
}

/// Everything read from a Hugging Face model directory apart from the weights.
struct ModelDescription: Sendable, Equatable {
    var architecture: Architecture
    var pooling: Pooling
    /// Prompt prefixes by name (`query`, `passage`, `document`), from config_sentence_transformers.json.
    var prompts: [String: String]
    /// Token ids of the special tokens named in config.json, when present.
    var padTokenID: Int?

    static func load(directory: String) throws(EncoderError) -> ModelDescription {
        let configPath = (directory as NSString).appendingPathComponent("config.json")
        let config = try readJSONObject(configPath)
        let reader = ConfigReader(path: configPath, values: config)
        guard let modelType = config["model_type"] as? String else {
            throw .invalidConfiguration(path: configPath, reason: "missing key 'model_type'")
        }
        let architecture: Architecture
        switch modelType {
        case "bert", "xlm-roberta", "roberta":
            architecture = .bert(try parseBert(reader, modelType: modelType))
        case "modernbert":
            architecture = .modernBert(try parseModernBert(reader))
        default:
            throw .unsupportedArchitecture(path: configPath, modelType: modelType)
        }
        var pooling: Pooling
        if case .modernBert = architecture { pooling = .cls } else { pooling = .mean }
        if let declared = try readPooling(directory: directory) { pooling = declared }
        let prompts = try readPrompts(directory: directory)
        return ModelDescription(architecture: architecture, pooling: pooling, prompts: prompts,
                                padTokenID: config["pad_token_id"] as? Int)
    }

    private static func parseBert(_ reader: ConfigReader, modelType: String) throws(EncoderError) -> BertConfiguration {
        let activationName = try reader.string("hidden_act", default: "gelu")
        guard let activation = Activation(configName: activationName) else {
            throw .invalidConfiguration(path: reader.path, reason: "unsupported hidden_act '\(activationName)'")
        }
        let positionType = try reader.string("position_embedding_type", default: "absolute")
        guard positionType == "absolute" else {
            throw .invalidConfiguration(path: reader.path, reason: "unsupported position_embedding_type '\(positionType)'")
        }
        let usesPaddingOffset = modelType != "bert"
        let configuration = BertConfiguration(
            shape: try TransformerShape(reader, defaultMaxPositions: nil),
            typeVocabularySize: try reader.int("type_vocab_size", default: 2),
            layerNormEpsilon: try reader.float("layer_norm_eps", default: 1e-12),
            activation: activation,
            positionPaddingIndex: usesPaddingOffset ? try reader.int("pad_token_id", default: 1) : nil)
        try reader.require(configuration.typeVocabularySize > 0, "type_vocab_size must be positive")
        try reader.require(configuration.maxSequenceLength > 0, "max_position_embeddings leaves no room for tokens")
        return configuration
    }

    private static func parseModernBert(_ reader: ConfigReader) throws(EncoderError) -> ModernBertConfiguration {
        let layerCount = try reader.int("num_hidden_layers")
        let activationName = try reader.string("hidden_activation", default: "gelu")
        guard let activation = Activation(configName: activationName) else {
            throw .invalidConfiguration(path: reader.path, reason: "unsupported hidden_activation '\(activationName)'")
        }
        // Newer transformers write layer_types; older ones global_attn_every_n_layers.
        var globalLayers: [Bool]
        if let types = reader.values["layer_types"] as? [String] {
            try reader.require(types.count == layerCount, "layer_types has \(types.count) entries for \(layerCount) layers")
            globalLayers = []
            for type in types {
                switch type {
                case "full_attention": globalLayers.append(true)
                case "sliding_attention": globalLayers.append(false)
                default: throw .invalidConfiguration(path: reader.path, reason: "unknown layer type '\(type)'")
                }
            }
        } else {
            let every = try reader.int("global_attn_every_n_layers", default: 3)
            try reader.require(every > 0, "global_attn_every_n_layers must be positive")
            globalLayers = (0..<layerCount).map { $0 % every == 0 }
        }
        // Newer: rope_parameters {full_attention: {rope_theta}, sliding_attention: {rope_theta}}.
        var globalTheta = try reader.float("global_rope_theta", default: 160_000)
        var localTheta = try reader.float("local_rope_theta", default: 10_000)
        if let parameters = reader.values["rope_parameters"] as? [String: Any] {
            if let full = parameters["full_attention"] as? [String: Any], let theta = (full["rope_theta"] as? NSNumber)?.floatValue {
                globalTheta = theta
            }
            if let sliding = parameters["sliding_attention"] as? [String: Any], let theta = (sliding["rope_theta"] as? NSNumber)?.floatValue {
                localTheta = theta
            }
            for (type, value) in parameters {
                let ropeType = (value as? [String: Any])?["rope_type"] as? String ?? "default"
                try reader.require(ropeType == "default", "unsupported rope_type '\(ropeType)' for \(type)")
            }
        }
        var window = try reader.int("local_attention", default: 128)
        if reader.values["local_attention"] == nil, let half = reader.values["sliding_window"] as? Int { window = 2 * half }
        let configuration = ModernBertConfiguration(
            shape: try TransformerShape(reader, defaultMaxPositions: 8192),
            normEpsilon: try reader.float("norm_eps", default: 1e-5),
            normBias: try reader.bool("norm_bias", default: false),
            attentionBias: try reader.bool("attention_bias", default: false),
            mlpBias: try reader.bool("mlp_bias", default: false),
            activation: activation,
            globalLayers: globalLayers,
            globalRopeTheta: globalTheta,
            localRopeTheta: localTheta,
            localWindow: window)
        try reader.require((configuration.hiddenSize / configuration.headCount) % 2 == 0, "RoPE needs an even head dimension")
        try reader.require(window >= 0, "local_attention must not be negative")
        return configuration
    }

    /// Pooling declared by sentence-transformers' modules.json -> <pooling dir>/config.json.
    private static func readPooling(directory: String) throws(EncoderError) -> Pooling? {
        let modulesPath = (directory as NSString).appendingPathComponent("modules.json")
        guard FileManager.default.fileExists(atPath: modulesPath) else { return nil }
        guard let modules = try readJSON(modulesPath) as? [[String: Any]] else {
            throw .invalidConfiguration(path: modulesPath, reason: "expected a list of modules")
        }
        guard let module = modules.first(where: { ($0["type"] as? String)?.hasSuffix("Pooling") == true }),
              let subpath = module["path"] as? String else { return nil }
        let poolingPath = ((directory as NSString).appendingPathComponent(subpath) as NSString).appendingPathComponent("config.json")
        let pooling = try readJSONObject(poolingPath)
        if pooling["pooling_mode_cls_token"] as? Bool == true { return .cls }
        if pooling["pooling_mode_mean_tokens"] as? Bool == true { return .mean }
        throw .invalidConfiguration(path: poolingPath, reason: "only CLS and mean pooling are supported")
    }

    private static func readPrompts(directory: String) throws(EncoderError) -> [String: String] {
        let path = (directory as NSString).appendingPathComponent("config_sentence_transformers.json")
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        let object = try readJSONObject(path)
        guard let prompts = object["prompts"], !(prompts is NSNull) else { return [:] }
        guard let table = prompts as? [String: Any] else {
            throw .invalidConfiguration(path: path, reason: "'prompts' is not a map")
        }
        return table.compactMapValues { $0 as? String }
    }
}

func readJSON(_ path: String) throws(EncoderError) -> Any {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw .unreadableFile(path: path, reason: "no such file or not readable")
    }
    do {
        return try JSONSerialization.jsonObject(with: data)
    } catch {
        throw .invalidConfiguration(path: path, reason: "not valid JSON")
    }
}

func readJSONObject(_ path: String) throws(EncoderError) -> [String: Any] {
    guard let object = try readJSON(path) as? [String: Any] else {
        throw .invalidConfiguration(path: path, reason: "expected a JSON object")
    }
    return object
}

/// Typed access to config.json values with errors that name the key.
struct ConfigReader {
    var path: String
    var values: [String: Any]

    func int(_ key: String, default fallback: Int? = nil) throws(EncoderError) -> Int {
        guard let value = values[key], !(value is NSNull) else {
            if let fallback { return fallback }
            throw .invalidConfiguration(path: path, reason: "missing key '\(key)'")
        }
        guard let number = value as? NSNumber, number.doubleValue == Double(number.intValue) else {
            throw .invalidConfiguration(path: path, reason: "'\(key)' is not an integer")
        }
        return number.intValue
    }

    func float(_ key: String, default fallback: Float) throws(EncoderError) -> Float {
        guard let value = values[key], !(value is NSNull) else { return fallback }
        guard let number = value as? NSNumber else {
            throw .invalidConfiguration(path: path, reason: "'\(key)' is not a number")
        }
        return number.floatValue
    }

    func bool(_ key: String, default fallback: Bool) throws(EncoderError) -> Bool {
        guard let value = values[key], !(value is NSNull) else { return fallback }
        guard let flag = value as? Bool else {
            throw .invalidConfiguration(path: path, reason: "'\(key)' is not a boolean")
        }
        return flag
    }

    func string(_ key: String, default fallback: String) throws(EncoderError) -> String {
        guard let value = values[key], !(value is NSNull) else { return fallback }
        guard let text = value as? String else {
            throw .invalidConfiguration(path: path, reason: "'\(key)' is not a string")
        }
        return text
    }

    func require(_ condition: Bool, _ reason: String) throws(EncoderError) {
        if !condition { throw .invalidConfiguration(path: path, reason: reason) }
    }
}
