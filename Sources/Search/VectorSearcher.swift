import CKernels
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
    /// Scan a bf16 copy of the vectors (half the bytes of fp32, on CKernels'
    /// AVX512-BF16 product and its threads), then rescore exactly every row
    /// whose bf16 score could reach the best asked for: the same rows and
    /// scores as `.none`, bit for bit (see `BF16Screen`). For a process that
    /// keeps its searcher (a server): making the copy costs a pass over the
    /// vectors and memory of half their size. `.none` where the CPU lacks bf16.
    case bf16Screened
}

/// One query's scores for every row of a `VectorSearcher`, and the best rows
/// of a search's first round: see `VectorSearcher.scan`.
public struct VectorScan: Sendable {
    /// The normalised query.
    let query: [Float]
    let scores: [Float]
    /// How many rows the first round locates (fewer when the matrix has fewer).
    let candidates: Int
    /// The best `candidates + VectorSearcher.hubnessMargin` rows by stored
    /// score, so a search at another hubness strength re-ranks them without
    /// selecting from every row again.
    let best: [(row: Int, score: Double)]
    /// How long scoring and selecting took.
    let seconds: Double
}

/// Exact nearest-neighbour search over one model's vectors: every row of the
/// store's `VectorMatrix` (the mapped vector file, normally), scored with one
/// BLAS matrix-vector product per query.
///
/// Rows are chunk texts, not chunks: a text held by several chunks, blobs or
/// revisions is one row, and `search` turns the best rows into the chunks of
/// the revision searched. Vectors are L2-normalised by the encoder, so a dot
/// product is the cosine. The query is normalised here, so scores are cosines
/// in [-1, 1] whatever its length. Immutable: safe to share between threads.
public final class VectorSearcher: @unchecked Sendable {
    public let matrix: VectorMatrix
    public let quantization: VectorQuantization
    private let codes: [Int8]
    private let scales: [Float]
    private let screen: BF16Screen?
    /// With the bf16 screen (a long-lived searcher): rows by content hash,
    /// for container members' scores (see `scores(of:query:hubness:)`).
    private let rowsByHash: RowsByHash?

    public var dimension: Int { matrix.dimension }
    public var count: Int { matrix.count }

    /// Every vector of `model` in the store.
    public convenience init(store: IndexStore, model: ModelRecord,
                            quantization: VectorQuantization = .none) throws(SearchError) {
        let matrix: VectorMatrix
        do {
            matrix = try store.vectorMatrix(for: model)
        } catch {
            throw .store(error)
        }
        self.init(matrix: matrix, quantization: quantization)
    }

    public init(matrix: VectorMatrix, quantization: VectorQuantization = .none) {
        self.matrix = matrix
        self.quantization = quantization
        if case .int8 = quantization {
            (codes, scales) = Self.quantize(matrix)
        } else {
            (codes, scales) = ([], [])
        }
        screen = quantization == .bf16Screened ? BF16Screen(matrix) : nil
        rowsByHash = quantization == .bf16Screened ? RowsByHash(matrix) : nil
    }

    /// The score of each of `hashes`' vectors with the unit `query`, as
    /// `score(_:_:hubness:)` computes it; hashes without a row are absent.
    /// Nil when this searcher keeps no rows by hash: ask the store then.
    func scores(of hashes: [ContentHash], query: [Float], hubness: Float?) -> [ContentHash: Double]? {
        guard let rowsByHash, query.count == dimension else { return nil }
        var scores: [ContentHash: Double] = [:]
        for hash in hashes {
            if let row = rowsByHash.row(of: hash) { scores[hash] = Self.score(matrix.vector(ofRow: row), query, hubness: hubness) }
        }
        return scores
    }

    /// A stored `vector`'s score with the unit `query` as the ranking scores
    /// it: the dot product, scaled by `HubnessCorrection.lengthFactor` for a
    /// search at another hubness strength (`hubness`; nil: as stored);
    /// -infinity for a zero vector.
    static func score(_ vector: UnsafeBufferPointer<Float>, _ query: [Float], hubness: Float?) -> Double {
        var dot: Float = 0, norm: Float = 0
        for (a, b) in zip(vector, query) {
            dot += a * b
            norm += a * a
        }
        guard norm > 0 else { return -.infinity }
        return Double(dot * HubnessCorrection.lengthFactor(norm: norm.squareRoot(), strength: hubness))
    }

    /// The `k` rows most similar to `query`, best first, as (row, cosine).
    /// Ties keep row order.
    public func nearest(to query: [Float], k: Int) throws(SearchError) -> [(row: Int, score: Double)] {
        let unit = try unit(query)
        return top(k, of: score(unit), query: unit)
    }

    /// The text row `row` embeds.
    public func contentHash(ofRow row: Int) -> ContentHash { matrix.contentHash(ofRow: row) }

    /// The best `limit` chunks for `queryVector` that pass `filters`, located
    /// in the revision by the store (one hit per blob chunk, with its other
    /// paths).
    ///
    /// Filters, the revision included, apply after scoring: rows are taken
    /// best first in growing rounds until `limit` chunks pass or none are
    /// left. The scan itself runs once.
    public func search(_ queryVector: [Float], in store: IndexStore, filters: SearchFilters = SearchFilters(),
                       limit: Int) throws(SearchError) -> [ChunkHit] {
        var statistics = SearchStatistics()
        return try search(queryVector, in: store, filters: filters, limit: limit, statistics: &statistics)
    }

    /// `search(_:in:filters:limit:)`, adding the time spent scoring to `statistics`.
    public func search(_ queryVector: [Float], in store: IndexStore, filters: SearchFilters = SearchFilters(),
                       limit: Int, statistics: inout SearchStatistics) throws(SearchError) -> [ChunkHit] {
        guard limit > 0, count > 0 else { return [] }
        return try search(try scan(queryVector, filters: filters, limit: limit, statistics: &statistics), in: store,
                          filters: filters, limit: limit, statistics: &statistics)
    }

    /// `scan`, adding its time to `statistics`.
    func scan(_ queryVector: [Float], filters: SearchFilters, limit: Int,
              statistics: inout SearchStatistics) throws(SearchError) -> VectorScan {
        let scan = try scan(queryVector, filters: filters, limit: limit)
        statistics.vectorScoringSeconds += scan.seconds
        return scan
    }

    /// The part of `search` that needs no store: every row scored and the
    /// first round's best rows for `filters` and `limit`. It reads only the
    /// vectors, so it can run while another thread uses the store.
    public func scan(_ queryVector: [Float], filters: SearchFilters = SearchFilters(),
                     limit: Int) throws(SearchError) -> VectorScan {
        let query = try unit(queryVector)
        let started = SearchStatistics.now()
        let scores = score(query)
        let candidates = firstCandidates(filters: filters, limit: limit)
        let best = top(candidates + Self.hubnessMargin, of: scores, query: query)
        return VectorScan(query: query, scores: scores, candidates: candidates, best: best,
                          seconds: SearchStatistics.now() - started)
    }

    /// `search` from a `scan` of the same query (any limit: rounds beyond
    /// the scan's first take more rows from its scores), adding the time
    /// spent selecting rows, not the scan's own, to `statistics`. With
    /// `hubness`, rows rank as if stored at that hubness strength
    /// (`HubnessCorrection.strength(forCoverage:)`).
    public func search(_ scan: VectorScan, in store: IndexStore, filters: SearchFilters = SearchFilters(),
                       limit: Int, hubness: Float? = nil,
                       statistics: inout SearchStatistics) throws(SearchError) -> [ChunkHit] {
        guard limit > 0, count > 0, scan.scores.count == count else { return [] }
        let languages = filters.languageSet
        let pathFilter = filters.pathFilter
        let chunkFilter = filters.chunkFilter
        var candidates = firstCandidates(filters: filters, limit: limit)
        while true {
            let selecting = SearchStatistics.now()
            let best = candidates == scan.candidates
                ? reranked(scan.best, keeping: candidates, hubness: hubness)
                : top(candidates, of: scan.scores, query: scan.query, hubness: hubness)
            statistics.vectorScoringSeconds += SearchStatistics.now() - selecting
            let ranked = best.map { (hash: contentHash(ofRow: $0.row), score: $0.score) }
            let hits: [ChunkHit]
            do {
                hits = try store.chunkHits(forContentHashes: ranked, revision: filters.revision, languages: languages,
                                           pathFilter: pathFilter, chunkFilter: chunkFilter, limit: limit)
            } catch {
                throw .store(error)
            }
            if hits.count >= limit || candidates >= count { return hits }
            candidates = min(count, candidates * 4)
        }
    }

    /// How many rows the first round locates: filters reject some, so more.
    private func firstCandidates(filters: SearchFilters, limit: Int) -> Int {
        let filtered = filters.languageSet != nil || !filters.paths.isEmpty || filters.chunkFilter != nil
        return min(count, filtered ? max(4 * limit, 64) : limit + limit / 2 + 5)
    }

    // MARK: Scoring

    private func unit(_ query: [Float]) throws(SearchError) -> [Float] {
        guard query.count == dimension else { throw .dimensionMismatch(query: query.count, index: dimension) }
        guard query.allSatisfy(\.isFinite) else { throw .invalidVectors("the query vector has a non-finite component") }
        return Self.normalised(query)
    }

    /// One score per row for a normalised query (see `unit`): exact cosines,
    /// or int8 or bf16 approximations to rescore.
    private func score(_ unit: [Float]) -> [Float] {
        var scores = [Float](repeating: 0, count: count)
        guard count > 0 else { return scores }
        if let screen {
            screen.score(unit, into: &scores)
            return scores
        }
        switch quantization {
        case .none, .bf16Screened:
            unit.withUnsafeBufferPointer { q in
                scores.withUnsafeMutableBufferPointer { out in
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(count), Int32(dimension), 1,
                                matrix.floats, Int32(matrix.rowStride), q.baseAddress, 1, 0, out.baseAddress, 1)
                }
            }
        case .int8:
            let (queryCodes, _) = Self.quantize(unit, dimension: dimension)
            codes.withUnsafeBufferPointer { rows in
                queryCodes.withUnsafeBufferPointer { q in
                    for row in 0..<count {
                        let base = row * dimension
                        var sum: Int32 = 0
                        for j in 0..<dimension { sum &+= Int32(rows[base + j]) &* Int32(q[j]) }
                        // The query's own scale is common to all rows: it cannot change the order.
                        scores[row] = Float(sum) * scales[row]
                    }
                }
            }
        }
        return scores
    }

    /// Rows re-ranked by length beyond `k` when a search asks for another
    /// hubness strength than the stored one: lengths differ by a few
    /// percent, so the best `k` at one strength lie among the best `k` plus
    /// these at the other.
    static let hubnessMargin = 200

    /// The best `k` rows at hubness strength `hubness` (nil: as stored):
    /// the best `k + hubnessMargin` by stored score, rescored by their lengths.
    private func top(_ k: Int, of scores: [Float], query: [Float], hubness: Float?) -> [(row: Int, score: Double)] {
        guard let hubness, hubness != HubnessCorrection.strength else { return top(k, of: scores, query: query) }
        return reranked(top(k + Self.hubnessMargin, of: scores, query: query), keeping: k, hubness: hubness)
    }

    /// The best `k` of `wide` (rows by stored score, best first) at hubness strength `hubness`.
    private func reranked(_ wide: [(row: Int, score: Double)], keeping k: Int,
                          hubness: Float?) -> [(row: Int, score: Double)] {
        guard let hubness, hubness != HubnessCorrection.strength else { return Array(wide.prefix(k)) }
        var best = TopK(capacity: k)
        for candidate in wide {
            let vector = matrix.vector(ofRow: candidate.row)
            var norm: Float = 0
            for value in vector { norm += value * value }
            let factor = HubnessCorrection.lengthFactor(norm: norm.squareRoot(), strength: hubness)
            best.offer(Float(candidate.score) * factor, Int32(candidate.row))
        }
        return best.sorted().map { (Int($0.index), Double($0.score)) }
    }

    /// The best `k` rows by `scores`; int8 scores are approximate, so their
    /// best candidates are rescored with the fp32 vectors first.
    private func top(_ k: Int, of scores: [Float], query: [Float]) -> [(row: Int, score: Double)] {
        let k = min(k, count)
        guard k > 0 else { return [] }
        if let screen { return screen.top(k, of: scores, query: query) }
        var candidates = k
        if case .int8(let rescore) = quantization { candidates = min(count, max(k, rescore)) }
        var best = TopK(capacity: candidates)
        for row in 0..<scores.count { best.offer(scores[row], Int32(row)) }
        guard case .int8 = quantization else {
            return best.sorted().map { (Int($0.index), Double($0.score)) }
        }
        var exact = TopK(capacity: k)
        for candidate in best.sorted() {
            let vector = matrix.vector(ofRow: Int(candidate.index))
            var sum: Float = 0
            for j in 0..<dimension { sum += vector[j] * query[j] }
            exact.offer(sum, candidate.index)
        }
        return exact.sorted().map { (Int($0.index), Double($0.score)) }
    }

    /// Symmetric per-row int8 codes of the matrix: row `i` is approximately `codes[i] * scales[i]`.
    static func quantize(_ matrix: VectorMatrix) -> (codes: [Int8], scales: [Float]) {
        var codes: [Int8] = []
        var scales: [Float] = []
        codes.reserveCapacity(matrix.count * matrix.dimension)
        scales.reserveCapacity(matrix.count)
        for row in 0..<matrix.count {
            let (rowCodes, rowScales) = quantize(Array(matrix.vector(ofRow: row)), dimension: matrix.dimension)
            codes += rowCodes
            scales += rowScales
        }
        return (codes, scales)
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
