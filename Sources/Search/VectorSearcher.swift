import COpenBLAS
import QuarryCore
import Store

/// How `VectorSearcher` scans the vectors.
public enum VectorQuantization: Sendable, Hashable {
    /// Exact fp32 dot products (one BLAS matrix-vector product per query).
    case none
    /// Scan int8 codes (one scale per vector, a quarter of the bytes), then
    /// rescore the best `rescore` candidates (at least the number asked for)
    /// with the fp32 vectors, so the order returned is exact among them.
    case int8(rescore: Int)
}

/// Exact nearest-neighbour search over one model's chunk vectors of one
/// revision, held in memory as a contiguous row-major `count x dimension`
/// matrix with a parallel array of chunk ids.
///
/// Vectors are L2-normalised by the encoder, so a dot product is the cosine.
/// The query is normalised here, so scores are cosines in [-1, 1] whatever
/// its length. Immutable after loading: safe to share between threads.
public final class VectorSearcher: @unchecked Sendable {
    public let dimension: Int
    public let quantization: VectorQuantization
    /// Row `i` of the matrix belongs to `chunkIDs[i]`.
    public let chunkIDs: [Int64]
    private let vectors: [Float]
    private let codes: [Int8]
    private let scales: [Float]

    public var count: Int { chunkIDs.count }

    /// Loads every vector of `model` for the chunks of `revision` (default:
    /// the newest) from the store.
    public convenience init(store: IndexStore, model: ModelRecord, revision: String? = nil,
                            quantization: VectorQuantization = .none) throws(SearchError) {
        var ids: [Int64] = []
        var matrix: [Float] = []
        do {
            try store.forEachEmbedding(model: model, revision: revision) { id, vector in
                ids.append(id)
                matrix.append(contentsOf: vector)
            }
        } catch {
            throw .store(error)
        }
        try self.init(chunkIDs: ids, vectors: matrix, dimension: model.dimension, quantization: quantization)
    }

    /// Searches the given rows: `vectors` holds `chunkIDs.count` rows of `dimension` floats.
    public init(chunkIDs: [Int64], vectors: [Float], dimension: Int,
                quantization: VectorQuantization = .none) throws(SearchError) {
        guard dimension > 0 else { throw .invalidVectors("dimension must be positive, not \(dimension)") }
        guard vectors.count == chunkIDs.count * dimension else {
            throw .invalidVectors("\(vectors.count) floats do not make \(chunkIDs.count) rows of \(dimension)")
        }
        guard chunkIDs.count < Int(Int32.max) else { throw .invalidVectors("more than 2^31 vectors") }
        if let bad = vectors.firstIndex(where: { !$0.isFinite }) {
            throw .invalidVectors("chunk \(chunkIDs[bad / dimension]) has a non-finite component")
        }
        self.chunkIDs = chunkIDs
        self.vectors = vectors
        self.dimension = dimension
        self.quantization = quantization
        if case .int8 = quantization {
            (codes, scales) = Self.quantize(vectors, dimension: dimension)
        } else {
            (codes, scales) = ([], [])
        }
    }

    /// The `k` rows most similar to `query`, best first, as (chunk id, cosine).
    /// Ties keep row (chunk id) order.
    public func nearest(to query: [Float], k: Int) throws(SearchError) -> [(chunkID: Int64, score: Double)] {
        guard query.count == dimension else { throw .dimensionMismatch(query: query.count, index: dimension) }
        guard query.allSatisfy(\.isFinite) else { throw .invalidVectors("the query vector has a non-finite component") }
        let k = min(k, count)
        guard k > 0 else { return [] }
        let unit = Self.normalised(query)
        switch quantization {
        case .none:
            return exactTop(unit, k: k)
        case .int8(let rescore):
            return quantisedTop(unit, k: k, candidates: min(count, max(k, rescore)))
        }
    }

    /// The best `limit` chunks for `queryVector` that pass `filters`, located
    /// in the revision by the store (one hit per blob chunk, with its other
    /// paths). The vectors must have been loaded for the same revision.
    ///
    /// Filters apply after scoring: candidates are taken best first in
    /// growing rounds until `limit` of them pass or none are left.
    public func search(_ queryVector: [Float], in store: IndexStore, filters: SearchFilters = SearchFilters(),
                       limit: Int) throws(SearchError) -> [ChunkHit] {
        guard limit > 0, count > 0 else { return [] }
        let languages = filters.languageSet
        let pathFilter = filters.pathFilter
        let filtered = languages != nil || pathFilter != nil
        var candidates = filtered ? max(4 * limit, 64) : limit
        while true {
            let ranked = try nearest(to: queryVector, k: candidates)
            let hits: [ChunkHit]
            do {
                hits = try store.chunkHits(ranked, revision: filters.revision, languages: languages,
                                           pathFilter: pathFilter, limit: limit)
            } catch {
                throw .store(error)
            }
            if hits.count >= limit || candidates >= count { return hits }
            candidates = min(count, candidates * 4)
        }
    }

    // MARK: Scoring

    private func exactTop(_ query: [Float], k: Int) -> [(chunkID: Int64, score: Double)] {
        var scores = [Float](repeating: 0, count: count)
        vectors.withUnsafeBufferPointer { matrix in
            query.withUnsafeBufferPointer { q in
                scores.withUnsafeMutableBufferPointer { out in
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(count), Int32(dimension), 1,
                                matrix.baseAddress, Int32(dimension), q.baseAddress, 1, 0, out.baseAddress, 1)
                }
            }
        }
        var top = TopK(capacity: k)
        for i in 0..<scores.count { top.offer(scores[i], Int32(i)) }
        return top.sorted().map { (chunkIDs[Int($0.index)], Double($0.score)) }
    }

    private func quantisedTop(_ query: [Float], k: Int, candidates: Int) -> [(chunkID: Int64, score: Double)] {
        let (queryCodes, _) = Self.quantize(query, dimension: dimension)
        var approximate = TopK(capacity: candidates)
        codes.withUnsafeBufferPointer { rows in
            queryCodes.withUnsafeBufferPointer { q in
                for row in 0..<count {
                    let base = row * dimension
                    var sum: Int32 = 0
                    for j in 0..<dimension { sum &+= Int32(rows[base + j]) &* Int32(q[j]) }
                    // The query's own scale is common to all rows: it cannot change the order.
                    approximate.offer(Float(sum) * scales[row], Int32(row))
                }
            }
        }
        var exact = TopK(capacity: k)
        vectors.withUnsafeBufferPointer { matrix in
            for candidate in approximate.sorted() {
                let base = Int(candidate.index) * dimension
                var sum: Float = 0
                for j in 0..<dimension { sum += matrix[base + j] * query[j] }
                exact.offer(sum, candidate.index)
            }
        }
        return exact.sorted().map { (chunkIDs[Int($0.index)], Double($0.score)) }
    }

    /// Symmetric per-row int8 codes: row `i` is approximately `codes[i] * scales[i]`.
    static func quantize(_ values: [Float], dimension: Int) -> (codes: [Int8], scales: [Float]) {
        let rows = values.count / dimension
        var codes = [Int8](repeating: 0, count: values.count)
        var scales = [Float](repeating: 0, count: rows)
        for row in 0..<rows {
            let base = row * dimension
            var largest: Float = 0
            for j in 0..<dimension { largest = max(largest, abs(values[base + j])) }
            guard largest > 0 else { continue }
            let scale = largest / 127
            scales[row] = scale
            for j in 0..<dimension {
                codes[base + j] = Int8(max(-127, min(127, (values[base + j] / scale).rounded())))
            }
        }
        return (codes, scales)
    }

    static func normalised(_ vector: [Float]) -> [Float] {
        var sum: Float = 0
        for value in vector { sum += value * value }
        guard sum > 0, sum.isFinite else { return vector }
        let scale = 1 / sum.squareRoot()
        return vector.map { $0 * scale }
    }
}
