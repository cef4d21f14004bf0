import Foundation

/// BERT / XLM-RoBERTa: absolute position and token-type embeddings, post-LayerNorm layers.
final class BertNetwork: EncoderNetwork {
    struct Layer {
        var qkvWeight: LinearWeight, qkvBias: WeightTensor
        var outputWeight: LinearWeight, outputBias: WeightTensor
        var attentionNormWeight: WeightTensor, attentionNormBias: WeightTensor
        var intermediateWeight: LinearWeight, intermediateBias: WeightTensor
        var mlpOutputWeight: LinearWeight, mlpOutputBias: WeightTensor
        var outputNormWeight: WeightTensor, outputNormBias: WeightTensor
    }

    let configuration: BertConfiguration
    var debug = ForwardDebugOptions()
    private let wordEmbeddings: MappedRows
    private let positionEmbeddings: WeightTensor
    private let tokenTypeEmbeddings: WeightTensor
    private let embeddingNormWeight: WeightTensor
    private let embeddingNormBias: WeightTensor
    private let layers: [Layer]
    private var positions: [Int] = []

    var hiddenSize: Int { configuration.hiddenSize }

    var projections: [(projection: Projection, layer: Int, weight: LinearWeight)] {
        layers.enumerated().flatMap { index, layer in
            [(.qkv, index, layer.qkvWeight), (.attentionOutput, index, layer.outputWeight),
             (.mlpInput, index, layer.intermediateWeight), (.mlpOutput, index, layer.mlpOutputWeight)]
        }
    }

    init(configuration c: BertConfiguration, weights file: SafetensorsFile) throws(EncoderError) {
        configuration = c
        let loader = try WeightLoader(file: file, anchor: "embeddings.word_embeddings.weight")
        let h = c.hiddenSize, f = c.intermediateSize
        wordEmbeddings = try loader.loadRows("embeddings.word_embeddings.weight", shape: [c.vocabularySize, h])
        positionEmbeddings = try loader.load("embeddings.position_embeddings.weight", shape: [c.maxPositions, h])
        tokenTypeEmbeddings = try loader.load("embeddings.token_type_embeddings.weight", shape: [c.typeVocabularySize, h])
        embeddingNormWeight = try loader.load("embeddings.LayerNorm.weight", shape: [h])
        embeddingNormBias = try loader.load("embeddings.LayerNorm.bias", shape: [h])
        var layers: [Layer] = []
        for i in 0..<c.layerCount {
            let p = "encoder.layer.\(i)."
            let projections = ["query", "key", "value"].map { p + "attention.self.\($0)" }
            layers.append(Layer(
                qkvWeight: try loader.loadLinear(stacking: projections.map { $0 + ".weight" }, rows: h, columns: h),
                qkvBias: try loader.loadConcatenated(projections.map { $0 + ".bias" }, count: h),
                outputWeight: try loader.loadLinear(p + "attention.output.dense.weight", rows: h, columns: h),
                outputBias: try loader.load(p + "attention.output.dense.bias", shape: [h]),
                attentionNormWeight: try loader.load(p + "attention.output.LayerNorm.weight", shape: [h]),
                attentionNormBias: try loader.load(p + "attention.output.LayerNorm.bias", shape: [h]),
                intermediateWeight: try loader.loadLinear(p + "intermediate.dense.weight", rows: f, columns: h),
                intermediateBias: try loader.load(p + "intermediate.dense.bias", shape: [f]),
                mlpOutputWeight: try loader.loadLinear(p + "output.dense.weight", rows: h, columns: f),
                mlpOutputBias: try loader.load(p + "output.dense.bias", shape: [h]),
                outputNormWeight: try loader.load(p + "output.LayerNorm.weight", shape: [h]),
                outputNormBias: try loader.load(p + "output.LayerNorm.bias", shape: [h])))
        }
        self.layers = layers
    }

    /// Position ids as the reference computes them: 0,1,2,… for BERT; for XLM-RoBERTa
    /// `padding_idx + (number of non-pad tokens so far)` and `padding_idx` for pad tokens.
    func positionIDs(of sequence: ArraySlice<Int32>) -> [Int] {
        guard let pad = configuration.positionPaddingIndex else { return Array(0..<sequence.count) }
        var count = 0
        return sequence.map { id in
            if Int(id) == pad { return pad }
            count += 1
            return pad + count
        }
    }

    func forward(tokens: [Int32], sequences: [Range<Int>], precisions: ProjectionPrecisions,
                 workspace: Workspace) -> UnsafeMutablePointer<Float> {
        let c = configuration, t = tokens.count, h = c.hiddenSize, f = c.intermediateSize
        let x = workspace.hidden.reserve(t * h)
        positions.removeAll(keepingCapacity: true)
        for sequence in sequences { positions.append(contentsOf: positionIDs(of: tokens[sequence])) }
        positions.withUnsafeBufferPointer { positionIDs in
            tokens.withUnsafeBufferPointer { ids in
                parallelRanges(t) { range in
                    for token in range {
                        let row = x + token * h
                        wordEmbeddings.copyRow(Int(ids[token]), to: row)
                        let position = positionEmbeddings.data + positionIDs[token] * h
                        let type = tokenTypeEmbeddings.data
                        // (word + type) + position, the reference's order of additions.
                        for i in 0..<h { row[i] = (row[i] + type[i]) + position[i] }
                    }
                }
            }
        }
        layerNorm(x, rows: t, width: h, weight: embeddingNormWeight, bias: embeddingNormBias, epsilon: c.layerNormEpsilon)
        let attention = SelfAttention(headCount: c.headCount, headDimension: h / c.headCount, halfWindow: nil,
                                      bf16: precisions.bf16Attention)
        let activation = debug.activationOverride ?? c.activation
        let qkv = workspace.qkv.reserve(t * 3 * h)
        let context = workspace.context.reserve(t * h)
        let projection = workspace.projection.reserve(t * h)
        let intermediate = workspace.intermediate.reserve(t * f)
        for (index, layer) in layers.enumerated() {
            linear(x, layer.qkvWeight, bias: layer.qkvBias, qkv, m: t, precision: precisions(.qkv, layer: index))
            attention(qkv: qkv, output: context, sequences: sequences, scratch: workspace.scores)
            linear(context, layer.outputWeight, bias: layer.outputBias, projection, m: t,
                   precision: precisions(.attentionOutput, layer: index))
            layerNorm(x, rows: t, width: h, weight: layer.attentionNormWeight, bias: layer.attentionNormBias,
                      epsilon: c.layerNormEpsilon, adding: projection)
            linear(x, layer.intermediateWeight, bias: layer.intermediateBias, intermediate, m: t,
                   precision: precisions(.mlpInput, layer: index))
            activate(intermediate, count: t * f, activation)
            linear(intermediate, layer.mlpOutputWeight, bias: layer.mlpOutputBias, projection, m: t,
                   precision: precisions(.mlpOutput, layer: index))
            layerNorm(x, rows: t, width: h, weight: layer.outputNormWeight, bias: layer.outputNormBias,
                      epsilon: c.layerNormEpsilon, adding: projection)
        }
        return x
    }
}
