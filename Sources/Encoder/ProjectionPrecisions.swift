import CKernels
import Foundation

/// The four projections of an encoder layer, as precision plans name them.
enum Projection: String, CaseIterable, Sendable {
    /// Q, K and V (BERT's three matrices run as one; ModernBERT's Wqkv).
    case qkv
    /// Attention output (BERT `attention.output.dense`, ModernBERT `attn.Wo`).
    case attentionOutput = "attention-output"
    /// FFN input (BERT `intermediate.dense`, ModernBERT's gated `mlp.Wi`).
    case mlpInput = "mlp-input"
    /// FFN output (BERT `output.dense`, ModernBERT `mlp.Wo`).
    case mlpOutput = "mlp-output"
}

/// The arithmetic of every projection of one forward pass: one CKernels precision (nil:
/// BLAS), except that under int8 some projections or layers may stay in bf16.
///
/// Measured on multilingual-e5-small over the 2,000 CoSQA functions of
/// Benchmarks/encoder (cosine to fp32): every projection in int8 gives mean 0.99935,
/// min 0.99888, which meets the gate (mean >= 0.998, min >= 0.99) with room, so the
/// default keeps nothing in bf16. `QUARRY_INT8_KEEP` (comma-separated projection
/// names and/or layer indices, e.g. `mlp-output,0,11`) keeps some in bf16, to measure
/// which matter on another model.
struct ProjectionPrecisions: Sendable, Equatable {
    var base: qk_precision?
    var bf16Projections: Set<Projection> = []
    var bf16Layers: Set<Int> = []

    init(_ base: qk_precision?, bf16Projections: Set<Projection> = [], bf16Layers: Set<Int> = []) {
        self.base = base
        self.bf16Projections = bf16Projections
        self.bf16Layers = bf16Layers
    }

    /// `base`, with the exceptions `QUARRY_INT8_KEEP` names when `base` is int8.
    static func resolving(_ base: qk_precision?, environment: [String: String] = ProcessInfo.processInfo.environment) -> Self {
        var plan = Self(base)
        guard base == QK_INT8, let keep = environment["QUARRY_INT8_KEEP"] else { return plan }
        for item in keep.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if let layer = Int(item) {
                plan.bf16Layers.insert(layer)
            } else if let projection = Projection(rawValue: item) {
                plan.bf16Projections.insert(projection)
            }
        }
        return plan
    }

    /// The precision of `projection` in layer `layer`.
    func callAsFunction(_ projection: Projection, layer: Int) -> qk_precision? {
        guard base == QK_INT8, bf16Projections.contains(projection) || bf16Layers.contains(layer) else { return base }
        return QK_BF16
    }
}

extension qk_precision: @retroactive @unchecked Sendable {}
