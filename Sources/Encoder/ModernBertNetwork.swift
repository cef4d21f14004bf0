import Foundation

/// ModernBERT (Granite Embedding R2): pre-norm layers, fused Wqkv, rotary positions with
/// separate global/local theta, sliding-window local attention and a gated MLP.
final class ModernBertNetwork: EncoderNetwork {
    struct Layer {
        /// nil for layer 0, whose attention norm is the identity.
        var attentionNormWeight: WeightTensor?, attentionNormBias: WeightTensor?
        var qkvWeight: LinearWeight, qkvBias: WeightTensor?
        var outputWeight: LinearWeight, outputBias: WeightTensor?
        var mlpNormWeight: WeightTensor, mlpNormBias: WeightTensor?
        var inputWeight: LinearWeight, inputBias: WeightTensor?
        var mlpOutputWeight: LinearWeight, mlpOutputBias: WeightTensor?
        var isGlobal: Bool
    }

    let configuration: ModernBertConfiguration
    var debug = ForwardDebugOptions()
    private let tokenEmbeddings: MappedRows
    private let embeddingNormWeight: WeightTensor, embeddingNormBias: WeightTensor?
    private let finalNormWeight: WeightTensor, finalNormBias: WeightTensor?
    private let layers: [Layer]
    private let globalRotary: RotaryTable
    private let localRotary: RotaryTable

    var hiddenSize: Int { configuration.hiddenSize }

    var projections: [(projection: Projection, layer: Int, weight: LinearWeight)] {
        layers.enumerated().flatMap { index, layer in
            [(.qkv, index, layer.qkvWeight), (.attentionOutput, index, layer.outputWeight),
             (.mlpInput, index, layer.inputWeight), (.mlpOutput, index, layer.mlpOutputWeight)]
        }
    }

    init(configuration c: ModernBertConfiguration, weights file: SafetensorsFile) throws(EncoderError) {
        configuration = c
        let loader = try WeightLoader(file: file, anchor: "embeddings.tok_embeddings.weight")
        let h = c.hiddenSize, f = c.intermediateSize
        func norm(_ name: String) throws(EncoderError) -> (WeightTensor, WeightTensor?) {
            let weight = try loader.load(name + ".weight", shape: [h])
            let bias = c.normBias ? try loader.load(name + ".bias", shape: [h]) : nil
            return (weight, bias)
        }
        func bias(_ name: String, _ present: Bool, _ size: Int) throws(EncoderError) -> WeightTensor? {
            present ? try loader.load(name + ".bias", shape: [size]) : nil
        }
        tokenEmbeddings = try loader.loadRows("embeddings.tok_embeddings.weight", shape: [c.vocabularySize, h])
        (embeddingNormWeight, embeddingNormBias) = try norm("embeddings.norm")
        (finalNormWeight, finalNormBias) = try norm("final_norm")
        var layers: [Layer] = []
        for i in 0..<c.layerCount {
            let p = "layers.\(i)."
            let attentionNorm = i == 0 ? (nil, nil) : try norm(p + "attn_norm")
            let mlpNorm = try norm(p + "mlp_norm")
            layers.append(Layer(
                attentionNormWeight: attentionNorm.0, attentionNormBias: attentionNorm.1,
                qkvWeight: try loader.loadLinear(p + "attn.Wqkv.weight", rows: 3 * h, columns: h),
                qkvBias: try bias(p + "attn.Wqkv", c.attentionBias, 3 * h),
                outputWeight: try loader.loadLinear(p + "attn.Wo.weight", rows: h, columns: h),
                outputBias: try bias(p + "attn.Wo", c.attentionBias, h),
                mlpNormWeight: mlpNorm.0, mlpNormBias: mlpNorm.1,
                inputWeight: try loader.loadLinear(p + "mlp.Wi.weight", rows: 2 * f, columns: h),
                inputBias: try bias(p + "mlp.Wi", c.mlpBias, 2 * f),
                mlpOutputWeight: try loader.loadLinear(p + "mlp.Wo.weight", rows: h, columns: f),
                mlpOutputBias: try bias(p + "mlp.Wo", c.mlpBias, h),
                isGlobal: c.globalLayers[i]))
        }
        self.layers = layers
        let headDimension = h / c.headCount
        globalRotary = RotaryTable(theta: c.globalRopeTheta, headDimension: headDimension)
        localRotary = RotaryTable(theta: c.localRopeTheta, headDimension: headDimension)
    }

    func forward(tokens: [Int32], sequences: [Range<Int>], precisions: ProjectionPrecisions,
                 workspace: Workspace) -> UnsafeMutablePointer<Float> {
        let c = configuration, t = tokens.count, h = c.hiddenSize, f = c.intermediateSize
        let x = workspace.hidden.reserve(t * h)
        tokens.withUnsafeBufferPointer { ids in
            parallelRanges(t) { range in
                for token in range {
                    tokenEmbeddings.copyRow(Int(ids[token]), to: x + token * h)
                }
            }
        }
        layerNorm(x, rows: t, width: h, weight: embeddingNormWeight, bias: embeddingNormBias, epsilon: c.normEpsilon)
        let normalized = workspace.normalized.reserve(t * h)
        let qkv = workspace.qkv.reserve(t * 3 * h)
        let context = workspace.context.reserve(t * h)
        let projection = workspace.projection.reserve(t * h)
        let intermediate = workspace.intermediate.reserve(t * 2 * f)
        let gated = workspace.gated.reserve(t * f)
        let activation = debug.activationOverride ?? c.activation
        let headDimension = h / c.headCount
        for (index, layer) in layers.enumerated() {
            var attentionInput = UnsafePointer(x)
            if let weight = layer.attentionNormWeight {
                normalized.update(from: x, count: t * h)
                layerNorm(normalized, rows: t, width: h, weight: weight, bias: layer.attentionNormBias, epsilon: c.normEpsilon)
                attentionInput = UnsafePointer(normalized)
            }
            linear(attentionInput, layer.qkvWeight, bias: layer.qkvBias, qkv, m: t, precision: precisions(.qkv, layer: index))
            let rotary = layer.isGlobal != debug.swapRopeThetas ? globalRotary : localRotary
            rotary.apply(to: qkv, sequences: sequences, headCount: c.headCount, interleaved: debug.interleavedRope)
            let attention = SelfAttention(
                headCount: c.headCount, headDimension: headDimension,
                halfWindow: layer.isGlobal ? nil : c.localWindow / 2 + debug.halfWindowAdjustment,
                bf16: precisions.bf16Attention)
            attention(qkv: qkv, output: context, sequences: sequences, scratch: workspace.scores)
            linear(context, layer.outputWeight, bias: layer.outputBias, projection, m: t,
                   precision: precisions(.attentionOutput, layer: index))
            addInPlace(x, projection, count: t * h)

            normalized.update(from: x, count: t * h)
            layerNorm(normalized, rows: t, width: h, weight: layer.mlpNormWeight, bias: layer.mlpNormBias, epsilon: c.normEpsilon)
            linear(normalized, layer.inputWeight, bias: layer.inputBias, intermediate, m: t,
                   precision: precisions(.mlpInput, layer: index))
            // Wi's output is [input | gate]: the FIRST half goes through the activation.
            let (activatedOffset, gateOffset) = debug.swapGateHalves ? (f, 0) : (0, f)
            parallelRanges(t) { range in
                for token in range {
                    let row = intermediate + token * 2 * f
                    let out = gated + token * f
                    for j in 0..<f { out[j] = activation.apply(row[activatedOffset + j]) * row[gateOffset + j] }
                }
            }
            linear(gated, layer.mlpOutputWeight, bias: layer.mlpOutputBias, projection, m: t,
                   precision: precisions(.mlpOutput, layer: index))
            addInPlace(x, projection, count: t * h)
        }
        layerNorm(x, rows: t, width: h, weight: finalNormWeight, bias: finalNormBias, epsilon: c.normEpsilon)
        return x
    }
}
