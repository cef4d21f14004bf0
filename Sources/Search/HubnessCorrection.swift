import COpenBLAS

/// Scales each passage vector down by how much of a "hub" it is.
///
/// In a small multilingual encoder some chunks (a `go.mod`, a file list, a
/// generic helper) lie close to almost every question, and a question in
/// Arabic or Chinese, placed less precisely than an English one, lands on
/// them first. How close a chunk lies to its nearest *reference questions*
/// (thousands of short software sentences in some ninety languages, with no
/// relation to any repository) measures that: its hubness `h`, the mean
/// cosine to its 10 nearest. The stored vector is multiplied by
/// `(1 - strength * h) / (1 - strength * typicalHubness)`, so a question's
/// cosine with a hub shrinks more than with a chunk that only it is near
/// (the local scaling of CSLS, folded into the vector: searches, the vector
/// file and the bf16 screen are unchanged). A chunk's scale depends only on
/// its own vector and the reference set, so identical text gets the same
/// vector in every index and the correction can be applied to stored vectors
/// without embedding them again.
///
/// Measured with `quarry eval --set multilingual` (semantic mode, offline
/// replica of the ranking; see CONTRIBUTING.md): strength 0, 0.2, 0.3, 0.4
/// gave dev hit@5 68.0, 69.3, 70.7, 70.7 (non-English 66.1, 67.9, 69.4,
/// 69.2); 0.3 was chosen on dev.
public struct HubnessCorrection: Sendable {
    /// Bumped when the formula or its constants change: vectors made under
    /// another version are another representation.
    public static let version = 1
    public static let neighbours = 10
    public static let strength: Float = 0.3
    /// A chunk of this hubness keeps its length, so scores stay near cosines.
    static let typicalHubness: Float = 0.85

    /// Unit reference vectors, row-major (`referenceCount` x `dimension`).
    private let references: [Float]
    public let referenceCount: Int
    public let dimension: Int
    /// Identifies the reference set (a digest of the file it came from).
    public let referenceDigest: String

    /// The name stored vectors of this correction are recorded under (`IndexStore.vectorRepresentation`).
    public var representation: String { Self.representation(digest: referenceDigest) }

    public static func representation(digest: String) -> String { "hubness-\(version)-\(digest)" }

    /// Nil without at least `neighbours` references of one dimension.
    public init?(references: [[Float]], digest: String) {
        guard let dimension = references.first?.count, dimension > 0, references.count >= Self.neighbours,
              references.allSatisfy({ $0.count == dimension && $0.allSatisfy(\.isFinite) })
        else { return nil }
        self.dimension = dimension
        referenceCount = references.count
        referenceDigest = digest
        self.references = references.flatMap(VectorSearcher.normalised)
    }

    /// Each vector's hubness: its mean cosine with its `neighbours` nearest references.
    public func hubness(of vectors: [[Float]]) -> [Float] {
        guard !vectors.isEmpty else { return [] }
        var result: [Float] = []
        result.reserveCapacity(vectors.count)
        // Pages bound the score matrix (page x references floats).
        let pageSize = 512
        var similarities = [Float](repeating: 0, count: min(pageSize, vectors.count) * referenceCount)
        var nearest = [Float](repeating: 0, count: Self.neighbours)
        for pageStart in stride(from: 0, to: vectors.count, by: pageSize) {
            let page = vectors[pageStart..<min(vectors.count, pageStart + pageSize)]
            let rows = page.flatMap { $0.count == dimension ? VectorSearcher.normalised($0) : [Float](repeating: 0, count: dimension) }
            rows.withUnsafeBufferPointer { a in
                references.withUnsafeBufferPointer { b in
                    similarities.withUnsafeMutableBufferPointer { c in
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(page.count), Int32(referenceCount),
                                    Int32(dimension), 1, a.baseAddress, Int32(dimension), b.baseAddress,
                                    Int32(dimension), 0, c.baseAddress, Int32(referenceCount))
                    }
                }
            }
            for row in 0..<page.count {
                result.append(Self.meanOfLargest(similarities, row * referenceCount, referenceCount, into: &nearest))
            }
        }
        return result
    }

    /// The factor a vector of hubness `h` is multiplied by.
    public static func scale(forHubness h: Float) -> Float {
        (1 - strength * h) / (1 - strength * typicalHubness)
    }

    /// Questions whose words the index's keywords cover this much (0...1) or
    /// more are ranked by plain cosine: hubness misleads questions that
    /// share no words with the code (a question in another language), while
    /// English questions about English code lost by it (CoSQA test
    /// nDCG@10 54.88 -> 53.48 at strength 0.3 for every question). The
    /// keyword bridge uses the same rule.
    public static let maximumCoverage = 0.5

    /// The hubness strength a search for a question with keyword `coverage`
    /// ranks by: nil for the stored one, 0 for plain cosines.
    public static func strength(forCoverage coverage: Double) -> Float? {
        coverage < maximumCoverage ? nil : 0
    }

    /// What a stored vector of length `norm` is multiplied by to rank as if
    /// stored with `strength` (nil: as stored). Stored vectors have length
    /// `scale(forHubness: h)`, so the length gives back `h`. A plain vector
    /// (length 1: an index without the correction) reads as typical hubness,
    /// so its factor is 1 at any strength.
    @inline(__always)
    public static func lengthFactor(norm: Float, strength: Float?) -> Float {
        guard let strength, strength != Self.strength, norm > 0 else { return 1 }
        let h = (1 - norm * (1 - Self.strength * typicalHubness)) / Self.strength
        return (1 - strength * h) / (1 - strength * typicalHubness) / norm
    }

    /// `vectors` scaled by their hubness (see the type's comment).
    public func applied(to vectors: [[Float]]) -> [[Float]] {
        zip(vectors, hubness(of: vectors)).map { vector, h in
            let factor = Self.scale(forHubness: h)
            return vector.map { $0 * factor }
        }
    }

    /// The mean of the `nearest.count` largest of `count` values from `start`;
    /// `nearest` is scratch kept sorted ascending, so a value enters only when
    /// it beats the smallest kept.
    private static func meanOfLargest(_ values: [Float], _ start: Int, _ count: Int, into nearest: inout [Float]) -> Float {
        let k = min(nearest.count, count)
        guard k > 0 else { return 0 }
        for i in 0..<k { nearest[i] = -.infinity }
        for i in start..<(start + count) {
            let value = values[i]
            guard value > nearest[0] else { continue }
            var slot = 0
            while slot + 1 < k && nearest[slot + 1] < value {
                nearest[slot] = nearest[slot + 1]
                slot += 1
            }
            nearest[slot] = value
        }
        var sum: Float = 0
        for i in 0..<k { sum += nearest[i] }
        return sum / Float(k)
    }
}
