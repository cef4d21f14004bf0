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
/// Measured on multilingual-e5-small against fp32. Over the 2,000 CoSQA functions of
/// Benchmarks/encoder, every projection in int8 gives cosine mean 0.99935, min 0.99888
/// (gate: mean >= 0.998, min >= 0.99), and on 500 of them int8 in one projection alone
/// costs most in Q/K/V (mean 0.99956), then FFN input (0.99983), FFN output (0.99987),
/// attention output (0.99999); keeping the first and last layers in bf16 hardly helps
/// (0.99942). But CoSQA semantic nDCG@10 (`quarry eval`, fp32: dev 56.70, test 54.71)
/// falls to dev 56.08 (-0.62, over the 0.3 allowed) with everything in int8, and holds
/// with Q/K/V in bf16 (dev 56.73, test 55.13): that is the default. `QUARRY_INT8_KEEP`
/// (comma-separated projection names and/or layer indices, e.g. `qkv,0,11`; empty for
/// none) replaces the default set, to measure another model or choice.
struct ProjectionPrecisions: Sendable, Equatable {
    var base: qk_precision?
    var bf16Projections: Set<Projection> = []
    var bf16Layers: Set<Int> = []
    /// Attention's two products (Q·Kᵀ and P·V) on bf16 inputs. On by default under int8
    /// (`QUARRY_INT8_ATTENTION=fp32` turns it off). Measured with Q/K/V in bf16 as above:
    /// cosine to fp32 mean 0.99969, min 0.99951 over the 2,000 texts; CoSQA semantic
    /// nDCG@10 dev 56.76, test 54.63 (fp32 56.70, 54.71): within the 0.3 points.
    var bf16Attention = false

    init(_ base: qk_precision?, bf16Projections: Set<Projection> = [], bf16Layers: Set<Int> = []) {
        self.base = base
        self.bf16Projections = bf16Projections
        self.bf16Layers = bf16Layers
    }

    /// Projections kept in bf16 under int8 unless `QUARRY_INT8_KEEP` says otherwise.
    static let defaultKeptInBF16 = "qkv"

    /// `base`, with the bf16 exceptions (`QUARRY_INT8_KEEP`, else the default) when `base` is int8.
    static func resolving(_ base: qk_precision?, environment: [String: String] = ProcessInfo.processInfo.environment) -> Self {
        var plan = Self(base)
        guard base == QK_INT8 else { return plan }
        plan.bf16Attention = environment["QUARRY_INT8_ATTENTION"] != "fp32"
        let keep = environment["QUARRY_INT8_KEEP"] ?? defaultKeptInBF16
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
