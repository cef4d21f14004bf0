#ifndef QUARRY_KERNELS_H
#define QUARRY_KERNELS_H
/*
 * Hand-written x86-64 AVX-512 kernels for the encoder's linear layers:
 *
 *     Y[m, n] = X[m, k] · W[n, k]^T (+ bias[n])
 *
 * W is known at load time and is packed once (qk_weights_pack) into 32-wide
 * output panels; X and Y are row-major fp32. Three precisions:
 *
 *   QK_FP32  fp32 FMA (vfmadd231ps), accurate like sgemm (~1e-6 relative).
 *   QK_BF16  W and X rounded to bf16 (round-to-nearest-even), products summed
 *            in fp32 with vdpbf16ps (AVX512_BF16). ~3e-3 relative error.
 *   QK_INT8  W quantised symmetrically per output channel to int8; each row of
 *            X quantised dynamically (per row, symmetric, 127 levels) to u8 with
 *            zero point 128; int32 sums with vpdpbusd (AVX512_VNNI), the
 *            zero-point term removed with the packed weight column sums, then
 *            scaled to fp32. ~5e-3 relative error.
 *
 * Everything is compiled for baseline x86-64: the AVX-512 code paths carry
 * per-function target attributes and are only reached after a runtime CPU
 * check, so the library loads and runs on any x86-64 (and on non-x86
 * targets, where every query reports "unsupported").
 *
 * Portable fallback: qk_weights_pack returns NULL when the CPU lacks the
 * requested feature (see qk_cpu_supports). The caller then keeps its fp32
 * weights and uses cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n,
 * k, 1, x, k, w, k, 0, y, n) (plus bias) itself; this library does not link
 * a BLAS.
 *
 * Threading: a persistent pool of worker threads (the calling thread is
 * worker 0; workers sleep on a condition variable between calls). Chunks of
 * rows of X (or of 32-wide output panels when m is small) are handed out
 * dynamically; tiny products run on the calling thread alone. Results do not
 * depend on the thread count (each output is summed in the same order).
 * Calls from several threads at once are safe: calls that use one thread
 * (small products, or qk_set_threads(1)) run concurrently on their callers;
 * calls that use the pool are serialised.
 *
 * Attention (Q·K^T and P·V per head) has no dedicated kernel: run one
 * (sequence, head) per qk_parallel_for index, either with single-threaded
 * cblas_sgemm (fp32; as fast as this library's fp32 there) or by packing K
 * and V per head with qk_weights_pack_strided and calling qk_linear, which
 * pays off in bf16 (~1.7x at T = 128..512, Benchmarks/kernels/README.md).
 */
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    QK_FP32 = 0,
    QK_BF16 = 1,
    QK_INT8 = 2
} qk_precision;

/* 1 when this CPU (and OS) can run kernels of precision p, else 0.
 * FP32 needs AVX512F+FMA, BF16 additionally AVX512_BF16, INT8 AVX512_VNNI
 * (all need AVX512BW/VL). */
int qk_cpu_supports(qk_precision p);

/* Opaque packed weights. Immutable after packing; may be shared by threads. */
typedef struct qk_weights qk_weights;

/* Packs the row-major fp32 matrix w[n][k] (one row per output channel) for
 * precision p. w is copied; the caller may free it afterwards.
 * Returns NULL when p is unsupported on this CPU (qk_cpu_supports(p) == 0),
 * when n or k is < 1, or when memory runs out. */
qk_weights *qk_weights_pack(const float *w, int n, int k, qk_precision p);

/* Like qk_weights_pack, reading W from a strided or transposed source.
 * Element (j, kk) of W (output channel j, reduction index kk) is read from
 *   w[j * ldw + kk]  when transposed == 0 (needs ldw >= k),
 *   w[kk * ldw + j]  when transposed != 0 (needs ldw >= n: w holds W^T).
 * For attention per head: S = Q·K^T packs K (n = T, k = d, ldw = row stride
 * of the QKV buffer); O = P·V packs V with transposed = 1 (n = d, k = T).
 * Packing is cheap next to those products (T*d elements vs T*T*d MACs). */
qk_weights *qk_weights_pack_strided(const float *w, size_t ldw, int transposed, int n, int k,
                                    qk_precision p);

/* Frees packed weights; NULL is ignored. */
void qk_weights_free(qk_weights *w);

/* Dimensions and precision of packed weights. */
int qk_weights_n(const qk_weights *w);
int qk_weights_k(const qk_weights *w);
qk_precision qk_weights_precision(const qk_weights *w);

/* y[m][n] = x[m][k] · W^T (+ bias[n] when bias is not NULL).
 * x is row-major with row stride k, y row-major with row stride n.
 * y must not overlap x. m < 1 does nothing. */
void qk_linear(const qk_weights *w, const float *x, int m, float *y, const float *bias);

/* Same with explicit row strides (in floats): ldx >= k, ldy >= n. Lets the
 * caller read from / write into column slices of larger buffers. */
void qk_linear_strided(const qk_weights *w, const float *x, size_t ldx, int m,
                       float *y, size_t ldy, const float *bias);

/* y[m][n] += x[m][k] · W^T (+ bias[n]), strides as above: adds the layer's
 * output to what y holds (a residual connection) without another pass. */
void qk_linear_accumulate(const qk_weights *w, const float *x, size_t ldx, int m,
                          float *y, size_t ldy, const float *bias);

/* qk_linear without packing W beforehand: W is row-major fp32 w[n][k] (row
 * stride ldw >= k), read where it lies; x has row stride ldx >= k, y row
 * stride ldy >= n. Each 32-channel panel is packed into a small buffer just
 * before use, so the results are bit for bit those of qk_linear with W
 * packed for precision p (a row's output does not depend on which of the two
 * ran, nor on the other rows), without a packed copy of W in memory. For
 * products with few rows of X (a short query's tokens), where packing all of
 * W costs more than the product. Runs on the calling thread; callers may
 * split the channels among threads (w + j0 * ldw, y + j0, bias + j0; splits
 * at multiples of 32 leave no panel lanes idle). Returns 0, or -1 without writing
 * anything when p is unsupported (qk_cpu_supports(p) == 0), k < 1, a stride
 * is too small or memory runs out: use cblas_sgemm then. */
int qk_linear_unpacked(const float *w, size_t ldw, int n, int k, const float *x, size_t ldx, int m,
                       float *y, size_t ldy, const float *bias, qk_precision p);

/* Sets the number of threads used by qk_linear (the caller counts as one).
 * n <= 0 selects the number of online CPUs (the default). Capped at 64. */
void qk_set_threads(int n);

/* The number of threads qk_linear currently uses (on the calling thread). */
int qk_get_threads(void);

/* Caps the threads that the calling thread's own qk_linear and
 * qk_parallel_for calls use (0: no cap); other threads are unaffected. For a
 * caller whose other cores are busy with its own work (a search ranking
 * keywords while it embeds the query): its products then run alone rather
 * than wait for a worker that a busy core must first schedule. */
void qk_set_thread_limit(int n);

/* Calls fn(ctx, i) once for every i in [0, count), spread over the same
 * thread pool (indices handed out one at a time; order unspecified); returns
 * when all calls have finished. Meant for attention, one (sequence, head)
 * per index, each running a single-threaded cblas_sgemm (set
 * openblas_set_num_threads(1) so OpenBLAS's own spinning workers do not
 * compete with this pool). fn may call qk_linear (it then runs on the
 * calling thread alone) but must not call qk_parallel_for expecting more
 * parallelism. */
typedef void (*qk_index_fn)(void *ctx, int index);
void qk_parallel_for(int count, qk_index_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
