import Foundation

/// A transformer that maps packed token sequences to final hidden states.
protocol EncoderNetwork: AnyObject {
    var hiddenSize: Int { get }
    var debug: ForwardDebugOptions { get set }
    /// Final hidden states, `tokens.count × hiddenSize`, valid until the next call with `workspace`.
    /// `sequences` partition `0..<tokens.count`; every id is already validated.
    func forward(tokens: [Int32], sequences: [Range<Int>], workspace: Workspace) -> UnsafeMutablePointer<Float>
}

/// Scratch memory of one forward pass, reused across calls.
final class Workspace: @unchecked Sendable {
    let hidden = ScratchBuffer()
    let normalized = ScratchBuffer()
    let qkv = ScratchBuffer()
    let context = ScratchBuffer()
    let projection = ScratchBuffer()
    let intermediate = ScratchBuffer()
    let gated = ScratchBuffer()
    /// One attention score buffer per worker thread.
    let scores: [ScratchBuffer] = (0..<encoderWorkerCount).map { _ in ScratchBuffer() }
}

/// Loads tensors of one architecture from a safetensors file, resolving the
/// checkpoint's name prefix (`bert.`, `roberta.`, `model.`, …) once.
struct WeightLoader {
    let file: SafetensorsFile
    let prefix: String

    /// Finds the prefix under which `anchor` (e.g. `embeddings.word_embeddings.weight`) is stored.
    init(file: SafetensorsFile, anchor: String) throws(EncoderError) {
        self.file = file
        if file.tensors[anchor] != nil {
            prefix = ""
        } else if let name = file.tensors.keys.filter({ $0.hasSuffix("." + anchor) }).min(by: { $0.count < $1.count }) {
            prefix = String(name.dropLast(anchor.count))
        } else {
            throw .missingTensor(path: file.path, tensor: anchor)
        }
    }

    func load(_ name: String, shape: [Int]) throws(EncoderError) -> WeightTensor {
        let fullName = prefix + name
        guard let info = file.tensors[fullName] else { throw .missingTensor(path: file.path, tensor: fullName) }
        guard info.shape == shape else {
            throw .shapeMismatch(path: file.path, tensor: fullName, expected: shape, actual: info.shape)
        }
        return WeightTensor(shape: shape, values: file.floats(of: info))
    }

    /// A `[rows, columns]` table left in the mapped file (see `MappedRows`).
    func loadRows(_ name: String, shape: [Int]) throws(EncoderError) -> MappedRows {
        let fullName = prefix + name
        guard let info = file.tensors[fullName] else { throw .missingTensor(path: file.path, tensor: fullName) }
        guard info.shape == shape, shape.count == 2 else {
            throw .shapeMismatch(path: file.path, tensor: fullName, expected: shape, actual: info.shape)
        }
        return MappedRows(file: file, info: info)
    }

    func loadIfPresent(_ name: String, shape: [Int]) throws(EncoderError) -> WeightTensor? {
        guard file.tensors[prefix + name] != nil else { return nil }
        return try load(name, shape: shape)
    }

    /// Loads `names` (each `[rows_i, columns]`) stacked row-wise into one tensor,
    /// so separate Q, K, V projections run as one fused matrix product.
    func loadStacked(_ names: [String], rows: Int, columns: Int?) throws(EncoderError) -> WeightTensor {
        let shape = columns.map { [rows, $0] } ?? [rows]
        let width = columns ?? 1
        let stacked = WeightTensor(shape: [names.count * rows] + (columns.map { [$0] } ?? []))
        for (index, name) in names.enumerated() {
            let part = try load(name, shape: shape)
            (stacked.data + index * rows * width).update(from: part.data, count: rows * width)
        }
        return stacked
    }
}
