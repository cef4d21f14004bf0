import CKernels
import Foundation

/// Deliberate deviations from the reference forward pass. Tests switch them on to
/// prove the parity fixtures catch each classic porting mistake; production never does.
struct ForwardDebugOptions: Sendable, Equatable {
    /// Use the local theta on global layers and vice versa.
    var swapRopeThetas = false
    /// Replace the configured activation (e.g. tanh GELU for exact GELU).
    var activationOverride: Activation?
    /// Activate the second half of Wi's output instead of the first.
    var swapGateHalves = false
    /// Rotate adjacent pairs (GPT-J style) instead of the two halves.
    var interleavedRope = false
    /// Added to the half window of local attention layers.
    var halfWindowAdjustment = 0
}

/// One unit of attention work: a block of queries of one head of one sequence.
struct AttentionJob {
    var sequenceStart: Int
    var head: Int
    var queries: Range<Int>
    var keys: Range<Int>
}

/// Multi-head self-attention over packed, unpadded sequences.
///
/// `qkv` holds one row of `3·hidden` per token (Q, then K, then V, each head-major);
/// the result, heads concatenated, goes to `output` (`hidden` per token). Each sequence
/// attends only to itself, which is exactly the padding mask of the padded reference.
/// Queries are processed in blocks so memory stays O(block × keys), never O(T²), and
/// local layers only ever score the keys inside the window.
struct SelfAttention {
    var headCount: Int
    var headDimension: Int
    /// Keys within this distance of the query are visible; nil means global attention.
    var halfWindow: Int?
    /// Both products on bf16 inputs with fp32 sums (the softmax stays fp32); see
    /// `ProjectionPrecisions.bf16Attention`.
    var bf16 = false

    var hiddenSize: Int { headCount * headDimension }

    func jobs(for sequences: [Range<Int>]) -> [AttentionJob] {
        var jobs: [AttentionJob] = []
        for sequence in sequences {
            let length = sequence.count
            // Local blocks are small so few keys outside the window get scored; global blocks
            // are bounded so one block's score matrix stays a few MB even at 32K tokens.
            let block = halfWindow.map { max(32, min(256, $0)) } ?? 128
            var start = 0
            while start < length {
                let end = min(length, start + block)
                let keys: Range<Int>
                if let halfWindow {
                    keys = max(0, start - halfWindow)..<min(length, end + halfWindow)
                } else {
                    keys = 0..<length
                }
                for head in 0..<headCount {
                    jobs.append(AttentionJob(sequenceStart: sequence.lowerBound, head: head, queries: start..<end, keys: keys))
                }
                start = end
            }
        }
        return jobs
    }

    func callAsFunction(qkv: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                        sequences: [Range<Int>], scratch: [ScratchBuffer]) {
        let jobs = jobs(for: sequences)
        let workers = min(scratch.count, jobs.count)
        guard workers > 0 else { return }
        let scoreCapacity = jobs.reduce(0) {
            max($0, qk_attention_scratch_floats(Int32($1.queries.count), Int32($1.keys.count), Int32(headDimension)))
        }
        let buffers = scratch.prefix(workers).map { $0.reserve(scoreCapacity) }
        concurrently(workers) { worker in
            var index = worker
            while index < jobs.count {
                run(jobs[index], qkv: qkv, output: output, scores: buffers[worker])
                index += workers
            }
        }
    }

    private func run(_ job: AttentionJob, qkv: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                     scores: UnsafeMutablePointer<Float>) {
        let hidden = hiddenSize, stride = 3 * hidden, d = headDimension
        let queryCount = job.queries.count, keyCount = job.keys.count
        let headOffset = job.head * d
        let query = qkv + (job.sequenceStart + job.queries.lowerBound) * stride + headOffset
        let key = qkv + (job.sequenceStart + job.keys.lowerBound) * stride + hidden + headOffset
        let value = qkv + (job.sequenceStart + job.keys.lowerBound) * stride + 2 * hidden + headOffset
        let scale = Float(1 / Double(d).squareRoot())
        let out = output + (job.sequenceStart + job.queries.lowerBound) * hidden + headOffset
        // The fused C block handles head dimensions 32 and 64 on AVX-512; BLAS (fp32) does the rest.
        if qk_attention_block(query, key, value, stride, Int32(queryCount), Int32(keyCount), Int32(d), scale,
                              Int32(job.queries.lowerBound), Int32(job.keys.lowerBound),
                              Int32(halfWindow ?? -1), bf16 ? 1 : 0, out, hidden, scores) == 0 {
            return
        }
        matrixMultiply(m: queryCount, n: keyCount, k: d, alpha: scale, query, lda: stride,
                       key, ldb: stride, transposeB: true, scores, ldc: keyCount)
        for row in 0..<queryCount {
            // Keys this query may see, as columns of the score block.
            var lower = 0, upper = keyCount
            if let halfWindow {
                let position = job.queries.lowerBound + row
                lower = max(0, position - halfWindow - job.keys.lowerBound)
                upper = min(keyCount, position + halfWindow + 1 - job.keys.lowerBound)
            }
            softmaxRow(scores + row * keyCount, keyCount: keyCount, visible: lower..<max(lower, upper))
        }
        matrixMultiply(m: queryCount, n: d, k: keyCount, scores, lda: keyCount,
                       value, ldb: stride, transposeB: false, out, ldc: hidden)
    }

    /// Softmax of `row[visible]` in place, zero elsewhere. A row with nothing visible
    /// becomes all zeros (so its output is zero, not NaN).
    private func softmaxRow(_ row: UnsafeMutablePointer<Float>, keyCount: Int, visible: Range<Int>) {
        let lower = min(visible.lowerBound, keyCount), upper = min(visible.upperBound, keyCount)
        if lower > 0 { row.update(repeating: 0, count: lower) }
        if upper < keyCount { (row + upper).update(repeating: 0, count: keyCount - upper) }
        if upper > lower { qk_softmax(row + lower, upper - lower) }
    }
}

/// cos/sin tables of rotary position embeddings for one theta, grown on demand.
final class RotaryTable: @unchecked Sendable {
    let theta: Float
    let headDimension: Int
    private(set) var positions = 0
    private var cosines: [Float] = []
    private var sines: [Float] = []

    init(theta: Float, headDimension: Int) {
        self.theta = theta
        self.headDimension = headDimension
    }

    /// Makes the tables cover positions 0..<count. Frequencies are computed in fp32
    /// exactly as the reference does (`theta ** (2k/d)` then `position * inv_freq`).
    func reserve(_ count: Int) {
        guard count > positions else { return }
        let half = headDimension / 2
        let inverseFrequencies = (0..<half).map { 1 / powf(theta, Float(2 * $0) / Float(headDimension)) }
        cosines = [Float](repeating: 0, count: count * half)
        sines = [Float](repeating: 0, count: count * half)
        for position in 0..<count {
            for k in 0..<half {
                let angle = Float(position) * inverseFrequencies[k]
                cosines[position * half + k] = cosf(angle)
                sines[position * half + k] = sinf(angle)
            }
        }
        positions = count
    }

    /// Rotates Q and K of every head of every token in place; positions restart at each sequence.
    func apply(to qkv: UnsafeMutablePointer<Float>, sequences: [Range<Int>], headCount: Int, interleaved: Bool) {
        let half = headDimension / 2, hidden = headCount * headDimension
        reserve(sequences.map(\.count).max() ?? 0)
        cosines.withUnsafeBufferPointer { cosTable in
            sines.withUnsafeBufferPointer { sinTable in
                for sequence in sequences {
                    parallelRanges(sequence.count) { range in
                        for position in range {
                            let row = qkv + (sequence.lowerBound + position) * 3 * hidden
                            let c = cosTable.baseAddress! + position * half
                            let s = sinTable.baseAddress! + position * half
                            for part in 0..<2 {
                                for head in 0..<headCount {
                                    let x = row + part * hidden + head * headDimension
                                    if interleaved {
                                        for k in 0..<half {
                                            let a = x[2 * k], b = x[2 * k + 1]
                                            x[2 * k] = a * c[k] - b * s[k]
                                            x[2 * k + 1] = b * c[k] + a * s[k]
                                        }
                                    } else {
                                        for k in 0..<half {
                                            let a = x[k], b = x[k + half]
                                            x[k] = a * c[k] - b * s[k]
                                            x[k + half] = b * c[k] + a * s[k]
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
