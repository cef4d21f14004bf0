import CKernels
import Foundation

/// The check a model passes before its passages are embedded in int8: a few real texts
/// (code and prose in several languages) embedded in int8 and in fp32 must agree within
/// the quality gate the default was measured against (Benchmarks/encoder, 2,000 CoSQA
/// functions): every cosine >= `minimumCosine`, their mean >= `minimumMeanCosine`, and
/// every component finite. A model whose activations quantise badly (large outlier
/// channels) fails here and keeps bf16, instead of storing wrong vectors.
enum Int8Check {
    static let minimumCosine: Float = 0.99
    static let minimumMeanCosine: Float = 0.998

    static let texts = [
        "def read_config(path):\n    with open(path) as f:\n        return json.load(f)",
        "func fetchWithRetry(_ url: URL, attempts: Int) async throws -> Data {\n    for attempt in 1...attempts {\n"
            + "        if let data = try? await session.data(from: url).0 { return data }\n"
            + "        try await Task.sleep(for: .seconds(attempt))\n    }\n    throw FetchError.exhausted\n}",
        "SELECT users.name, COUNT(orders.id) FROM users JOIN orders ON orders.user_id = users.id GROUP BY users.name;",
        "Returns the number of bytes written, or -1 when the descriptor is closed.",
        "Lädt die Konfigurationsdatei und prüft, ob alle Pflichtfelder gesetzt sind.",
        "如果连接失败，请在五秒后重试，并记录错误信息。",
        "public static int parseHex(String s) { return Integer.parseInt(s.trim(), 16); }",
        "if err != nil {\n\treturn nil, fmt.Errorf(\"open %s: %w\", name, err)\n}",
    ]

    /// Token sequences of `texts` as the model's passages, or, for a model without a
    /// tokenizer, fixed ids spread over its vocabulary.
    static func sequences(for model: EmbeddingModel, vocabularySize: Int) -> [[Int32]] {
        if let real = try? texts.map({ text throws(EncoderError) in try model.tokenIDs(for: text, as: .passage) }) {
            return real
        }
        return (0..<8).map { text in
            (0..<48).map { position in Int32((text * 7919 + position * 104_729) % max(1, vocabularySize)) }
        }
    }

    /// Why `cosines` of int8 against fp32 vectors (nil entries: non-finite) miss the bounds; nil when they meet them.
    static func failure(cosines: [Float?]) -> String? {
        if cosines.contains(where: { $0 == nil }) { return "a non-finite vector" }
        let values = cosines.compactMap { $0 }
        guard let minimum = values.min() else { return nil }
        let mean = values.reduce(0, +) / Float(values.count)
        if minimum < minimumCosine || mean < minimumMeanCosine {
            return "cosine to fp32: min \(minimum), mean \(mean)"
        }
        return nil
    }
}

extension EmbeddingModel {
    /// Why int8 `plan` fails `Int8Check` for this model, or nil when it passes. Without
    /// fp32 kernels to compare with, int8 is not trusted.
    func int8CheckFailure(_ plan: ProjectionPrecisions) -> String? {
        guard qk_cpu_supports(QK_FP32) == 1 else { return "no fp32 kernels to check against" }
        let sequences = Int8Check.sequences(for: self, vocabularySize: modelDescription.architecture.shape.vocabularySize)
        do {
            let reference = try embed(tokenIDs: sequences, width: dimension, precisions: ProjectionPrecisions(QK_FP32))
            let quantised = try embed(tokenIDs: sequences, width: dimension, precisions: plan)
            return Int8Check.failure(cosines: zip(reference, quantised).map { a, b in
                let cosine = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
                return b.allSatisfy(\.isFinite) && cosine.isFinite ? cosine : nil
            })
        } catch {
            return "\(error)"
        }
    }
}
