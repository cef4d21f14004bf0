import COpenBLAS
import Store

/// The cross-lingual keyword bridge: a question's nearest words among the
/// index's own vocabulary, found by the question's vector, searched as
/// keywords. A Chinese or Arabic question matches no keyword of an English
/// codebase; its vector, though, lies near the English words that name what
/// it asks about ("クッキーを設定する" -> cookie, set), and those words find the
/// identifiers and comments that use them.
public struct KeywordBridge: Sendable, Hashable {
    /// How many nearest words join the keyword search.
    public var words: Int
    /// Words less similar to the question than this are left out.
    public var minimumSimilarity: Float
    /// The bridged ranking's weight in the hybrid fusion for a question
    /// none of whose words the index holds; it shrinks as more of them match.
    public var weight: Double
    /// Questions whose words the index's keywords cover this much (0...1)
    /// or more are not bridged.
    public var maximumCoverage: Double

    /// Tuned on the dev splits of `quarry eval --set multilingual` (hybrid
    /// hit@1/hit@5/MRR@10 44.7/68.0/54.6 without the bridge; 10 words at
    /// a constant weight 0.2: 45.3/70.7/55.6; 5 at 0.3: 44.7/70.1/55.5; 10
    /// at 0.5: 41.8/71.5/54.5; 10 at 1: 35.5/69.3/50.0) and of CoSQA, whose
    /// English web queries the constant weight cost 0.8 nDCG@10 (57.09 ->
    /// 56.32): scaled by the uncovered share and left out from half
    /// covered, the set keeps 46.1/69.7/56.0 and CoSQA 57.09.
    public init(words: Int = 10, minimumSimilarity: Float = 0, weight: Double = 0.2, maximumCoverage: Double = 0.5) {
        self.words = words
        self.minimumSimilarity = minimumSimilarity
        self.weight = weight
        self.maximumCoverage = maximumCoverage
    }
}

/// An index's word vectors, loaded once per searcher (or kept by a server
/// between searches). Immutable: safe to share between threads.
public final class WordVectors: @unchecked Sendable {
    public let words: [String]
    private let vectors: [Float]
    private let dimension: Int

    public init(store: IndexStore, model: ModelRecord) throws(SearchError) {
        do {
            (words, vectors) = try store.wordVectors(model: model)
        } catch {
            throw .store(error)
        }
        dimension = model.dimension
    }

    /// The `count` words nearest the unit `query` with similarity at least
    /// `minimum`, best first, leaving out those in `excluded`.
    func nearest(to query: [Float], count: Int, minimum: Float, excluding excluded: Set<String>) -> [String] {
        guard !words.isEmpty, count > 0, query.count == dimension else { return [] }
        var scores = [Float](repeating: 0, count: words.count)
        vectors.withUnsafeBufferPointer { matrix in
            query.withUnsafeBufferPointer { q in
                scores.withUnsafeMutableBufferPointer { out in
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(words.count), Int32(dimension), 1,
                                matrix.baseAddress, Int32(dimension), q.baseAddress, 1, 0, out.baseAddress, 1)
                }
            }
        }
        var best = TopK(capacity: count + excluded.count)
        for (row, score) in scores.enumerated() where score >= minimum { best.offer(score, Int32(row)) }
        return best.sorted().map { words[Int($0.index)] }.filter { !excluded.contains($0) }.prefix(count).map { $0 }
    }
}
