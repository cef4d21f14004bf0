import CKernels
import Foundation

/// Which side of a retrieval pair a text is; selects the model's prompt prefix.
public enum TextRole: Sendable {
    case query
    case passage
}

/// The tokenizer seam: turns text into the model's token ids, special tokens included
/// (e.g. `<s> … </s>`). The Tokenizers module's tokenizers are adapted to this at integration.
public protocol TokenSequencing: Sendable {
    func tokenIDs(for text: String) -> [Int32]
}

/// Adapts any encode function to `TokenSequencing`.
public struct TokenizerFunction: TokenSequencing {
    private let body: @Sendable (String) -> [Int32]

    public init(_ body: @escaping @Sendable (String) -> [Int32]) { self.body = body }

    public func tokenIDs(for text: String) -> [Int32] { body(text) }
}

public struct EncoderOptions: Sendable {
    /// Tokens packed into one forward pass (a longer single sequence still runs alone).
    public var maxBatchTokens: Int
    /// Truncate inputs to this many tokens; nil uses the model's own limit.
    public var maxTokens: Int?
    /// Deliberate forward-pass mistakes, for tests only.
    var debug = ForwardDebugOptions()

    public init(maxBatchTokens: Int = 8192, maxTokens: Int? = nil) {
        self.maxBatchTokens = maxBatchTokens
        self.maxTokens = maxTokens
    }
}

/// A sentence-embedding model loaded from a Hugging Face model directory
/// (config.json + model.safetensors, sentence-transformers files when present).
/// Thread-safe: calls are serialised; each call uses all cores.
public final class EmbeddingModel: @unchecked Sendable {
    /// The directory's last path component.
    public let name: String
    /// Full embedding dimension (hidden size); Matryoshka calls may ask for fewer.
    public let dimension: Int
    /// Longest token sequence the model accepts, special tokens included.
    public let maxTokens: Int
    public let pooling: Pooling
    /// Prompt prefixes by name (`query`, `passage`, …), empty when the model has none.
    public let prompts: [String: String]

    let modelDescription: ModelDescription
    private let weights: SafetensorsFile
    private let network: any EncoderNetwork
    private let tokenizer: (any TokenSequencing)?
    private let directory: String
    private let options: EncoderOptions
    private let workspace = Workspace()
    private let lock = NSLock()
    private var tokensRun = 0
    /// The passages' arithmetic once checked (see `passagePrecisions`).
    private var checkedPassagePrecisions: ProjectionPrecisions?
    private let precisionLock = NSLock()

    /// Tokens run through the network so far, special tokens included (for throughput reports).
    public var tokensEmbedded: Int {
        lock.lock()
        defer { lock.unlock() }
        return tokensRun
    }

    /// Loads `directory`. `tokenizer` is needed only by the text-level calls.
    public init(directory: String, tokenizer: (any TokenSequencing)? = nil,
                options: EncoderOptions = .init()) throws(EncoderError) {
        let description = try ModelDescription.load(directory: directory)
        let weightsPath = (directory as NSString).appendingPathComponent("model.safetensors")
        let weights = try SafetensorsFile(path: weightsPath)
        let network: any EncoderNetwork
        switch description.architecture {
        case let .bert(configuration):
            network = try BertNetwork(configuration: configuration, weights: weights)
        case let .modernBert(configuration):
            network = try ModernBertNetwork(configuration: configuration, weights: weights)
        }
        network.debug = options.debug
        self.modelDescription = description
        self.weights = weights
        self.network = network
        self.tokenizer = tokenizer
        self.directory = directory
        self.options = options
        name = (directory as NSString).lastPathComponent
        dimension = description.architecture.shape.hiddenSize
        maxTokens = min(options.maxTokens ?? .max, description.architecture.maxSequenceLength)
        pooling = description.pooling
        prompts = description.prompts
    }

    /// Maps in the weights the forward pass reads where they lie in the file (not the
    /// embedding tables, of which a pass reads a few rows), so that the first embedding
    /// does not wait on page faults. Worth calling beside other start-up work, e.g. while
    /// the tokenizer loads on another thread; the first embedding works without it.
    public func prefetchWeights() {
        weights.prefetchLentTensors()
    }

    /// Packs every projection in the arithmetic of queries now (once; e.g. bf16: half the
    /// fp32 weights' bytes), for a process that keeps the model to embed many queries: a
    /// query's few tokens make each projection a matrix-vector product bound by reading its
    /// weights, which unpacked would be the fp32 ones, converted on every call. Vectors are
    /// unchanged (the packed and in-place kernels compute the same bits). Costs a few tens
    /// of milliseconds and the packed copy's memory; a one-shot search is better off without.
    public func prepareForQueries() {
        let precisions = ProjectionPrecisions(LinearKernels.precision(for: .query))
        for (projection, layer, weight) in network.projections {
            if let precision = precisions(projection, layer: layer) { weight.pack(precision) }
        }
    }

    /// The prompt prefixed to texts of `role` (`query: `, `passage: ` for e5; empty for Granite).
    public func prompt(for role: TextRole) -> String {
        switch role {
        case .query: return prompts["query"] ?? ""
        case .passage: return prompts["passage"] ?? prompts["document"] ?? ""
        }
    }

    /// Token ids the model would embed for `text` as `role`: prompt prefixed, truncated to
    /// `maxTokens` keeping the final (end-of-sequence) token.
    public func tokenIDs(for text: String, as role: TextRole) throws(EncoderError) -> [Int32] {
        guard let tokenizer else { throw .missingTokenizer(directory: directory) }
        var ids = tokenizer.tokenIDs(for: prompt(for: role) + text)
        if ids.count > maxTokens, let last = ids.last {
            ids.removeSubrange((maxTokens - 1)...)
            ids.append(last)
        }
        return ids
    }

    /// Number of tokens of `text` without prompt or truncation (for chunk budgets).
    public func tokenCount(_ text: String) throws(EncoderError) -> Int {
        guard let tokenizer else { throw .missingTokenizer(directory: directory) }
        return tokenizer.tokenIDs(for: text).count
    }

    /// L2-normalised embeddings of `texts`, optionally truncated to the first `dimension`
    /// components (Matryoshka) and re-normalised. `role` also picks the arithmetic
    /// (`LinearKernels.precision(for:)`: e.g. int8 passages, bf16 queries).
    public func embed(_ texts: [String], as role: TextRole, dimension: Int? = nil) throws(EncoderError) -> [[Float]] {
        var sequences: [[Int32]] = []
        sequences.reserveCapacity(texts.count)
        for text in texts { sequences.append(try tokenIDs(for: text, as: role)) }
        return try embed(tokenIDs: sequences, dimension: dimension, as: role)
    }

    /// L2-normalised pooled embeddings of already tokenised sequences (special tokens
    /// included), in the arithmetic of texts of `role`.
    public func embed(tokenIDs sequences: [[Int32]], dimension requested: Int? = nil,
                      as role: TextRole = .query) throws(EncoderError) -> [[Float]] {
        let width = requested ?? dimension
        guard width > 0, width <= dimension else {
            throw .invalidInput("dimension \(width) is outside 1...\(dimension)")
        }
        let precisions = role == .passage ? passagePrecisions() : ProjectionPrecisions(LinearKernels.precision(for: .query))
        var result = try embed(tokenIDs: sequences, width: width, precisions: precisions)
        // Quantised activations must never turn into stored vectors that fp32 would not
        // give: a non-finite int8 vector is computed again in the query arithmetic.
        let broken = precisions.base == QK_INT8 ? result.indices.filter { !result[$0].allSatisfy(\.isFinite) } : []
        if !broken.isEmpty {
            let again = try embed(tokenIDs: broken.map { sequences[$0] }, width: width,
                                  precisions: ProjectionPrecisions(LinearKernels.precision(for: .query)))
            for (index, vector) in zip(broken, again) { result[index] = vector }
        }
        return result
    }

    /// Pooled, normalised vectors of `width` components, computed in `precisions`.
    func embed(tokenIDs sequences: [[Int32]], width: Int, precisions: ProjectionPrecisions) throws(EncoderError) -> [[Float]] {
        var result = [[Float]](repeating: [], count: sequences.count)
        try forEachBatch(sequences, precisions: precisions) { batch, ranges, states in
            for (index, range) in zip(batch, ranges) {
                result[index] = pool(states, range: range, width: width)
            }
        }
        return result
    }

    /// Final hidden states (`tokens × dimension`) of each sequence, for parity checks.
    func hiddenStates(tokenIDs sequences: [[Int32]],
                      precisions: ProjectionPrecisions = ProjectionPrecisions(LinearKernels.precision(for: .query))) throws(EncoderError) -> [[Float]] {
        var result = [[Float]](repeating: [], count: sequences.count)
        try forEachBatch(sequences, precisions: precisions) { batch, ranges, states in
            for (index, range) in zip(batch, ranges) {
                result[index] = Array(UnsafeBufferPointer(start: states + range.lowerBound * dimension,
                                                          count: range.count * dimension))
            }
        }
        return result
    }

    /// Floats held by one worker's attention score buffer (memory checks in tests).
    var workspaceScoreCapacity: Int { workspace.scores.map(\.capacity).max() ?? 0 }

    /// Validates, sorts by length and packs sequences into batches of at most
    /// `maxBatchTokens` tokens, runs the network on each and hands over the states.
    /// Sequences are concatenated without padding, so no compute is spent on pad tokens.
    private func forEachBatch(_ sequences: [[Int32]], precisions: ProjectionPrecisions,
                              _ consume: (_ indices: [Int], _ ranges: [Range<Int>], _ states: UnsafeMutablePointer<Float>) -> Void) throws(EncoderError) {
        let vocabulary = modelDescription.architecture.shape.vocabularySize
        for (index, sequence) in sequences.enumerated() {
            guard !sequence.isEmpty else { throw .invalidInput("sequence \(index) is empty") }
            guard sequence.count <= maxTokens else {
                throw .invalidInput("sequence \(index) has \(sequence.count) tokens, the model takes at most \(maxTokens)")
            }
            if let bad = sequence.first(where: { $0 < 0 || Int($0) >= vocabulary }) {
                throw .invalidInput("sequence \(index) holds token id \(bad) outside the vocabulary of \(vocabulary)")
            }
        }
        let order = sequences.indices.sorted { sequences[$0].count > sequences[$1].count }
        lock.lock()
        defer { lock.unlock() }
        var position = 0
        var tokens: [Int32] = []
        while position < order.count {
            var batch: [Int] = []
            var ranges: [Range<Int>] = []
            tokens.removeAll(keepingCapacity: true)
            while position < order.count {
                let sequence = sequences[order[position]]
                if !batch.isEmpty && tokens.count + sequence.count > options.maxBatchTokens { break }
                ranges.append(tokens.count..<(tokens.count + sequence.count))
                tokens.append(contentsOf: sequence)
                batch.append(order[position])
                position += 1
            }
            let states = network.forward(tokens: tokens, sequences: ranges, precisions: precisions, workspace: workspace)
            tokensRun += tokens.count
            consume(batch, ranges, states)
        }
    }

    /// The arithmetic of passages: `LinearKernels.precision(for: .passage)`, except that
    /// int8 chosen by default must first pass this model's check (`int8Check`), else
    /// passages run like queries, said once on stderr.
    func passagePrecisions() -> ProjectionPrecisions {
        precisionLock.lock()
        defer { precisionLock.unlock() }
        if let checked = checkedPassagePrecisions { return checked }
        var plan = ProjectionPrecisions.resolving(LinearKernels.precision(for: .passage))
        if plan.base == QK_INT8, !LinearKernels.isOverridden, let failure = int8CheckFailure(plan) {
            let fallback = LinearKernels.precision(for: .query)
            FileHandle.standardError.write(Data(
                "quarry: \(name): int8 passages fail the quality check (\(failure)); using \(LinearKernels.name(of: fallback))\n".utf8))
            plan = ProjectionPrecisions(fallback)
        }
        checkedPassagePrecisions = plan
        return plan
    }

    private func pool(_ states: UnsafeMutablePointer<Float>, range: Range<Int>, width: Int) -> [Float] {
        let h = dimension
        var vector = [Float](repeating: 0, count: width)
        switch pooling {
        case .cls:
            for i in 0..<width { vector[i] = states[range.lowerBound * h + i] }
        case .mean:
            var sums = [Double](repeating: 0, count: width)
            for token in range {
                let row = states + token * h
                for i in 0..<width { sums[i] += Double(row[i]) }
            }
            for i in 0..<width { vector[i] = Float(sums[i] / Double(range.count)) }
        }
        normalize(&vector)
        return vector
    }
}

/// Scales `vector` to unit L2 norm (left as is when it is all zeros).
func normalize(_ vector: inout [Float]) {
    var squares = 0.0
    for value in vector { squares += Double(value) * Double(value) }
    let norm = max(squares.squareRoot(), 1e-12)
    for i in vector.indices { vector[i] = Float(Double(vector[i]) / norm) }
}
