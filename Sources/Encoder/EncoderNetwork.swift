import Foundation

/// A transformer that maps packed token sequences to final hidden states.
protocol EncoderNetwork: AnyObject {
    var hiddenSize: Int { get }
    var debug: ForwardDebugOptions { get set }
    /// Final hidden states, `tokens.count × hiddenSize`, valid until the next call with `workspace`.
    /// `sequences` partition `0..<tokens.count`; every id is already validated. Projections
    /// run in the precisions `precisions` gives them.
    func forward(tokens: [Int32], sequences: [Range<Int>], precisions: ProjectionPrecisions,
                 workspace: Workspace) -> UnsafeMutablePointer<Float>
    /// Every projection's weights, with what it is and its layer (to pack them ahead).
    var projections: [(projection: Projection, layer: Int, weight: LinearWeight)] { get }
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

    /// The tensor `name`, checked against `shape`: borrowed from the mapping when it is
    /// fp32 already (no copy, and only the pages a forward pass reads are ever loaded),
    /// else widened into a tensor of its own.
    func load(_ name: String, shape: [Int]) throws(EncoderError) -> WeightTensor {
        let info = try entry(name, shape: shape)
        if let pointer = file.mappedFloats(of: info) {
            return WeightTensor(shape: shape, borrowing: pointer, owner: file)
        }
        return WeightTensor(shape: shape) { file.convert(info, elements: 0..<info.elementCount, to: $0) }
    }

    /// A projection's weight matrix `[rows, columns]`.
    func loadLinear(_ name: String, rows: Int, columns: Int) throws(EncoderError) -> LinearWeight {
        LinearWeight(try load(name, shape: [rows, columns]))
    }

    /// Projections `names` (each `[rows, columns]`) as one fused matrix, their blocks left apart.
    func loadLinear(stacking names: [String], rows: Int, columns: Int) throws(EncoderError) -> LinearWeight {
        var blocks: [WeightTensor] = []
        for name in names { blocks.append(try load(name, shape: [rows, columns])) }
        return LinearWeight(blocks: blocks)
    }

    /// A `[rows, columns]` table left in the mapped file (see `MappedRows`).
    func loadRows(_ name: String, shape: [Int]) throws(EncoderError) -> MappedRows {
        let info = try entry(name, shape: shape)
        guard shape.count == 2 else {
            throw .shapeMismatch(path: file.path, tensor: prefix + name, expected: shape, actual: info.shape)
        }
        return MappedRows(file: file, info: info)
    }

    func loadIfPresent(_ name: String, shape: [Int]) throws(EncoderError) -> WeightTensor? {
        guard file.tensors[prefix + name] != nil else { return nil }
        return try load(name, shape: shape)
    }

    /// Vectors `names` (each `[count]`) concatenated into one tensor of its own, e.g. the
    /// Q, K, V biases of a fused projection (small, so copying is free).
    func loadConcatenated(_ names: [String], count: Int) throws(EncoderError) -> WeightTensor {
        var parts: [WeightTensor] = []
        for name in names { parts.append(try load(name, shape: [count])) }
        return WeightTensor(shape: [names.count * count]) { storage in
            for (index, part) in parts.enumerated() { (storage + index * count).initialize(from: part.data, count: count) }
        }
    }

    private func entry(_ name: String, shape: [Int]) throws(EncoderError) -> TensorInfo {
        let fullName = prefix + name
        guard let info = file.tensors[fullName] else { throw .missingTensor(path: file.path, tensor: fullName) }
        guard info.shape == shape else {
            throw .shapeMismatch(path: file.path, tensor: fullName, expected: shape, actual: info.shape)
        }
        return info
    }
}
