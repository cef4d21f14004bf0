import CKernels
import COpenBLAS
import Foundation

/// An fp32 weight tensor behind a plain pointer, so the hot loops need no nested
/// `withUnsafe…` closures. The values either live in the tensor's own allocation
/// (widened f16/bf16 weights, concatenated biases) or are borrowed from a mapped
/// weights file, which the tensor then keeps alive: aligned fp32 weights are used
/// where they lie, never copied.
final class WeightTensor: @unchecked Sendable {
    let shape: [Int]
    let count: Int
    let data: UnsafePointer<Float>
    /// The mapping `data` points into; nil when the tensor owns `data`.
    private let owner: AnyObject?

    /// A tensor of its own; `initialize` must write all `count` values.
    init(shape: [Int], initializingWith initialize: (UnsafeMutablePointer<Float>) -> Void) {
        self.shape = shape
        count = shape.reduce(1, *)
        let storage = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
        initialize(storage)
        data = UnsafePointer(storage)
        owner = nil
    }

    /// A tensor of its own holding `values` (zeros past their end).
    convenience init(shape: [Int], values: [Float]) {
        self.init(shape: shape) { storage in
            let count = shape.reduce(1, *)
            let copied = min(values.count, count)
            values.withUnsafeBufferPointer { source in
                if let base = source.baseAddress, copied > 0 { storage.initialize(from: base, count: copied) }
            }
            (storage + copied).initialize(repeating: 0, count: count - copied)
        }
    }

    /// A view of `count` values at `pointer`, valid as long as `owner` lives.
    init(shape: [Int], borrowing pointer: UnsafePointer<Float>, owner: AnyObject) {
        self.shape = shape
        count = shape.reduce(1, *)
        data = pointer
        self.owner = owner
    }

    deinit {
        if owner == nil { UnsafeMutablePointer(mutating: data).deallocate() }
    }
}

/// The weight matrix `[rows, columns]` of a projection, held as one tensor or as row
/// blocks (separate Q, K, V weights that run as one fused product without being copied
/// together), plus the packed form the CKernels GEMM uses, made once it pays. Packed or
/// not, CKernels computes the same bits, so when packing happens never shows in results.
final class LinearWeight: @unchecked Sendable {
    /// Output features (`n`).
    let rows: Int
    /// Input features (`k`).
    let columns: Int
    /// Row blocks, in order, each `[rows_i, columns]`.
    let blocks: [WeightTensor]

    /// Packed weights per CKernels precision (indexed by raw value), each made on first use.
    private var packed: [OpaquePointer?] = [nil, nil, nil]
    /// Input rows multiplied so far by products big enough to pack for.
    private var rowsSeen = 0
    private let packingLock = NSLock()

    /// Products with fewer input rows than this never pack the weights: they read the
    /// fp32 weights in place, which for a query's few tokens costs a fraction of packing
    /// (a copy of every weight of the model, page faults included), unless packed already.
    static let minimumPackedRows = 64
    /// Weights are packed once products of at least `minimumPackedRows` rows have
    /// multiplied more than this many rows in all: one text of up to 512 tokens embeds
    /// as fast or faster without packing (`quarry embed`, measured), while indexing
    /// (8192-token batches) packs on its first batch and then runs ~2x faster in bf16.
    static let packingRowThreshold = 512

    init(blocks: [WeightTensor]) {
        self.blocks = blocks
        rows = blocks.reduce(0) { $0 + ($1.shape.first ?? 0) }
        columns = blocks.first.map { $0.shape.count == 2 ? $0.shape[1] : 0 } ?? 0
    }

    convenience init(_ tensor: WeightTensor) { self.init(blocks: [tensor]) }

    deinit { packed.forEach { qk_weights_free($0) } }

    /// The weights packed in `precision` for the CKernels GEMM when a product of `m` input
    /// rows should use them: never for BLAS (nil) nor small products; packed on first use
    /// past `packingRowThreshold`, once per precision (passages and queries may differ).
    /// Weights packed already (by `pack`, or by enough large products) serve every product
    /// in their precision, however few its rows: the same bits as the in-place kernel,
    /// from half (bf16) or a quarter (int8) of the bytes.
    func packedForLinear(rows m: Int, precision: qk_precision?) -> OpaquePointer? {
        guard let precision else { return nil }
        let slot = Int(precision.rawValue)
        packingLock.lock()
        defer { packingLock.unlock() }
        if let weights = packed[slot] { return weights }
        guard m >= Self.minimumPackedRows else { return nil }
        rowsSeen += m
        guard rowsSeen > Self.packingRowThreshold else { return nil }
        packed[slot] = makePacked(precision)
        return packed[slot]
    }

    /// Packs the weights in `precision` now unless done before, so that a process about to
    /// embed many short queries (a server) reads the packed form from its first query on
    /// (a query's handful of tokens is a matrix-vector product bound by reading weights).
    func pack(_ precision: qk_precision) {
        let slot = Int(precision.rawValue)
        packingLock.lock()
        defer { packingLock.unlock() }
        if packed[slot] == nil { packed[slot] = makePacked(precision) }
    }

    /// A packed copy in `precision`; nil where the CPU lacks it.
    private func makePacked(_ precision: qk_precision) -> OpaquePointer? {
        if blocks.count == 1 {
            return qk_weights_pack(blocks[0].data, Int32(rows), Int32(columns), precision)
        }
        // The packer reads one contiguous matrix; the joined copy lives only while packing.
        let joined = UnsafeMutablePointer<Float>.allocate(capacity: rows * columns)
        defer { joined.deallocate() }
        var offset = 0
        for block in blocks {
            (joined + offset).initialize(from: block.data, count: block.count)
            offset += block.count
        }
        return qk_weights_pack(joined, Int32(rows), Int32(columns), precision)
    }

    /// `output[r, c] = input[r, :] · W[c, :] (+ bias[c])` for `r` in `inputRows` and `c` in
    /// `outputColumns`, on the fp32 weights where they lie; `output` has `self.rows` columns.
    /// `inPlaceKernel` is the precision of CKernels' unpacked kernel, which computes exactly
    /// what the packed weights would, so a text's vector does not depend on the batch it came
    /// in; nil means BLAS, which copies the weights into its own panels on every call.
    func multiply(_ input: UnsafePointer<Float>, inputRows: Range<Int>, outputColumns: Range<Int>,
                  bias: WeightTensor?, _ output: UnsafeMutablePointer<Float>, inPlaceKernel: qk_precision?) {
        let n = rows, k = columns, m = inputRows.count
        var blockStart = 0
        for block in blocks {
            let blockRows = block.shape.first ?? 0
            defer { blockStart += blockRows }
            let lower = max(blockStart, outputColumns.lowerBound)
            let upper = min(blockStart + blockRows, outputColumns.upperBound)
            guard lower < upper else { continue }
            let weights = block.data + (lower - blockStart) * k
            let blockBias = bias.map { $0.data + lower }
            let x = input + inputRows.lowerBound * k
            let out = output + inputRows.lowerBound * n + lower
            if let precision = inPlaceKernel,
               qk_linear_unpacked(weights, k, Int32(upper - lower), Int32(k), x, k, Int32(m),
                                  out, n, blockBias, precision) == 0 {
                continue
            }
            var beta: Float = 0
            if let blockBias {
                for row in 0..<m { (out + row * n).update(from: blockBias, count: upper - lower) }
                beta = 1
            }
            matrixMultiply(m: m, n: upper - lower, k: k, x, lda: k,
                           weights, ldb: k, transposeB: true, beta: beta, out, ldc: n)
        }
    }
}

/// Which GEMM serves the projections of each side of retrieval, fixed for the process
/// before the first model loads (weights are packed once per precision used, when large
/// products have used them enough, see `LinearWeight`; until then and for small products
/// the same arithmetic runs on the weights as stored).
///
/// `QUARRY_KERNELS` decides for both sides when set: `fp32` (AVX-512 FMA), `bf16`
/// (AVX512_BF16), `int8` (AVX512-VNNI) or `blas`. Otherwise the library default is fp32,
/// the reference mode: its results match BLAS to ~1e-6, so parity tests hold in it.
/// Applications that prefer speed call `preferSpeed()` first (the CLI does): queries then
/// run in bf16 (~1e-3 relative error per product, cosine > 0.9999 to fp32 on real texts)
/// and passages in int8 where the CPU has VNNI, Q/K/V kept in bf16 (`ProjectionPrecisions`
/// has the measurements), subject to each model's own check at first use
/// (`EmbeddingModel.passagePrecisions`), else bf16 as well.
public enum LinearKernels {
    nonisolated(unsafe) private static var speedPreferred = false
    private static let lock = NSLock()

    /// Makes bf16 queries and int8 passages the default when `QUARRY_KERNELS` does not
    /// say otherwise. Call before any model loads; later calls have no effect.
    public static func preferSpeed() {
        lock.lock()
        defer { lock.unlock() }
        speedPreferred = true
    }

    /// Puts OpenBLAS on one thread for the whole process. Quarry schedules
    /// its own threads; a second pool's worker, left spinning after a large
    /// call (a server's word-vector product), takes the core that another
    /// part of the same search is running on.
    public static func keepBLASOnOneThread() { _ = useSingleThreadedBLAS }

    /// Runs `body` with the calling thread's kernel calls on at most
    /// `threads` threads (`qk_set_thread_limit`); other threads are unaffected.
    public static func withThreadLimit<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T {
        qk_set_thread_limit(Int32(max(0, threads)))
        defer { qk_set_thread_limit(0) }
        return try body()
    }

    /// The precision of texts of `role`: a CKernels precision, or nil for BLAS.
    public static func precision(for role: TextRole) -> qk_precision? {
        switch role {
        case .query: return resolved.query
        case .passage: return resolved.passage
        }
    }

    /// Whether `QUARRY_KERNELS` chose the precision (then no model check overrides it).
    public static var isOverridden: Bool { resolved.overridden }

    private static let resolved: (query: qk_precision?, passage: qk_precision?, overridden: Bool) = {
        lock.lock()
        let speed = speedPreferred
        lock.unlock()
        func supported(_ wanted: qk_precision) -> qk_precision? {
            if qk_cpu_supports(wanted) == 1 { return wanted }
            return qk_cpu_supports(QK_BF16) == 1 && wanted == QK_INT8 ? QK_BF16
                : qk_cpu_supports(QK_FP32) == 1 ? QK_FP32 : nil
        }
        switch ProcessInfo.processInfo.environment["QUARRY_KERNELS"]?.lowercased() {
        case "blas": return (nil, nil, true)
        case "fp32": return (supported(QK_FP32), supported(QK_FP32), true)
        case "bf16": return (supported(QK_BF16), supported(QK_BF16), true)
        case "int8": return (supported(QK_INT8), supported(QK_INT8), true)
        default:
            guard speed else { return (supported(QK_FP32), supported(QK_FP32), false) }
            return (supported(QK_BF16), supported(QK_INT8), false)
        }
    }()

    /// Human-readable name of a precision, for benchmarks and reports.
    public static func name(of precision: qk_precision?) -> String {
        switch precision {
        case .some(QK_BF16): return "avx512-bf16"
        case .some(QK_INT8): return "avx512-vnni-int8"
        case .some: return "avx512-fp32"
        case .none: return "openblas"
        }
    }
}

/// Growable scratch memory reused across forward passes, so the layer loops allocate nothing.
final class ScratchBuffer: @unchecked Sendable {
    private(set) var data: UnsafeMutablePointer<Float>
    private(set) var capacity: Int

    init(capacity: Int = 1) {
        self.capacity = max(1, capacity)
        data = .allocate(capacity: self.capacity)
    }

    /// A pointer to at least `count` floats; contents are unspecified.
    func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            data.deallocate()
            capacity = count
            data = .allocate(capacity: count)
        }
        return data
    }

    deinit { data.deallocate() }
}

/// The encoder's only call into BLAS: row-major `C = alpha · A · op(B) + beta · C`, with
/// `op(B) = Bᵀ` when `transposeB`. Projections and attention both come through here, so faster
/// kernels (CKernels) replace BLAS at this one place. Always single-threaded: callers split work.
func matrixMultiply(m: Int, n: Int, k: Int, alpha: Float = 1,
                    _ a: UnsafePointer<Float>, lda: Int,
                    _ b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
                    beta: Float = 0, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
    _ = useSingleThreadedBLAS
    cblas_sgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// A projection: `output[m×n] = input[m×k] · weight[n×k]ᵀ (+ bias[n])` in `precision` (nil:
/// BLAS). Large products use the packed CKernels GEMM; the others read the fp32 weights in place with CKernels'
/// unpacked kernel (same results), or BLAS where the CPU lacks AVX-512 or `QUARRY_KERNELS=blas`.
func linear(_ input: UnsafePointer<Float>, _ weight: LinearWeight, bias: WeightTensor?,
            _ output: UnsafeMutablePointer<Float>, m: Int, precision: qk_precision?) {
    let n = weight.rows
    guard m > 0, n > 0 else { return }
    if let packed = weight.packedForLinear(rows: m, precision: precision) {
        // The kernels split rows over their own thread pool.
        qk_linear(packed, input, Int32(m), output, bias?.data)
        return
    }
    // The in-place kernel splits output columns, so each worker streams its share of the
    // weights once. BLAS splits rows when there are plenty (OpenBLAS's own pool nested
    // under the attention threads thrashes), else columns too.
    let inPlaceKernel = precision
    if inPlaceKernel != nil || m < 8 * encoderWorkerCount {
        parallelRanges(n, minimumPerWorker: 128) { columns in
            weight.multiply(input, inputRows: 0..<m, outputColumns: columns, bias: bias, output,
                            inPlaceKernel: inPlaceKernel)
        }
    } else {
        parallelRanges(m, minimumPerWorker: 8) { rows in
            weight.multiply(input, inputRows: rows, outputColumns: 0..<n, bias: bias, output, inPlaceKernel: nil)
        }
    }
}

/// The encoder schedules its own threads; OpenBLAS must not start a second pool under them.
let useSingleThreadedBLAS: Void = openblas_set_num_threads(1)

/// Number of worker threads for the element-wise and attention loops.
let encoderWorkerCount = max(1, ProcessInfo.processInfo.activeProcessorCount)

/// Carries a value the caller guarantees is used race-free into a concurrent closure.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
}

/// Runs `body(worker)` for `0..<workers` on separate threads and waits for all.
/// Callers hand each worker disjoint memory, which is why the body need not be Sendable.
/// A thread capped to one by `LinearKernels.withThreadLimit` runs them all itself, in order.
func concurrently(_ workers: Int, _ body: (Int) -> Void) {
    if workers <= 1 || qk_get_threads() <= 1 {
        for worker in 0..<max(1, workers) { body(worker) }
        return
    }
    withoutActuallyEscaping(body) { escapable in
        let box = UncheckedSendable(value: escapable)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in box.value(worker) }
    }
}

/// Runs `body` over `0..<count` split into contiguous ranges, one per worker.
func parallelRanges(_ count: Int, minimumPerWorker: Int = 16, _ body: (Range<Int>) -> Void) {
    let workers = min(encoderWorkerCount, max(1, count / max(1, minimumPerWorker)))
    concurrently(workers) { worker in
        let lower = count * worker / workers
        let upper = count * (worker + 1) / workers
        if lower < upper { body(lower..<upper) }
    }
}

/// In-place LayerNorm over rows of width `width`: population variance, eps inside the root,
/// after adding `residual` row by row when given (the post-LN residual connection).
/// Runs in C (`qk_layer_norm`): vectorised fp32 partial sums, as the reference reduces.
func layerNorm(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int,
               weight: WeightTensor, bias: WeightTensor?, epsilon: Float,
               adding residual: UnsafePointer<Float>? = nil) {
    parallelRanges(rows) { range in
        qk_layer_norm(x + range.lowerBound * width, residual.map { $0 + range.lowerBound * width },
                      range.count, width, weight.data, bias?.data, epsilon)
    }
}

/// `x += y` element-wise.
func addInPlace(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) {
    parallelRanges(count, minimumPerWorker: 4096) { range in
        for i in range { x[i] += y[i] }
    }
}

/// Activation functions named by `hidden_act` / `hidden_activation`.
enum Activation: String, Sendable {
    /// Exact erf GELU (`gelu` in transformers).
    case gelu
    /// tanh-approximated GELU (`gelu_new`, `gelu_pytorch_tanh`).
    case geluTanh
    case silu
    case relu

    init?(configName: String) {
        switch configName {
        case "gelu", "gelu_python": self = .gelu
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": self = .geluTanh
        case "silu", "swish": self = .silu
        case "relu": self = .relu
        default: return nil
        }
    }

    @inline(__always)
    func apply(_ x: Float) -> Float {
        switch self {
        case .gelu: return 0.5 * x * (1 + erff(x * 0.70710678118654752440))
        case .geluTanh:
            return 0.5 * x * (1 + tanhf(0.79788456080286535588 * (x + 0.044715 * x * x * x)))
        case .silu: return x / (1 + expf(-x))
        case .relu: return max(0, x)
        }
    }
}

/// Applies `activation` in place to `count` values.
func activate(_ x: UnsafeMutablePointer<Float>, count: Int, _ activation: Activation) {
    parallelRanges(count, minimumPerWorker: 4096) { range in
        // GELU and SiLU run as vectorised C (libm's scalar erff/expf were ~20% of a forward pass).
        switch activation {
        case .gelu: qk_gelu_erf(x + range.lowerBound, range.count)
        case .silu: qk_silu(x + range.lowerBound, range.count)
        case .geluTanh, .relu: for i in range { x[i] = activation.apply(x[i]) }
        }
    }
}
