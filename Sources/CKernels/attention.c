/*
 * Fused attention for one (head, query block); see attention.h.
 *
 * K is first transposed into scratch (kt[c * np + j], np = keys rounded up
 * to 16, zero padded), so that both products are broadcast-FMA micro-tiles
 * like the linear kernels' (fma_tile): scores in 6 queries x 64 keys, P V
 * reading V's rows in place in 12 (d = 32) or 6 (d = 64) queries x d. In
 * fp32 the order of additions differs from BLAS only in blocking, well inside
 * the parity budget; the bf16 variant (int8 passages) rounds Q, K, P and V to
 * bf16 pairs first and sums in fp32.
 */
#include "attention.h"
#include "activations.h"
#include "kernels.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

size_t qk_attention_scratch_floats(int queries, int keys, int d) {
    const size_t q = (size_t)(queries > 0 ? queries : 0), n = (size_t)(keys > 0 ? keys : 0);
    /* Other head dimensions take the BLAS path, which needs the scores only. */
    if (d != 32 && d != 64) return q * n;
    const size_t np = (n + 15) / 16 * 16;
    /* fp32 scores, then the larger of the two paths' operands: fp32 keys
     * transposed (d x np), or bf16 queries, keys, values and probabilities. */
    const size_t fp32 = np * (size_t)d, bf16 = q * (size_t)d / 2 + np * (size_t)d + np * q / 2;
    return np * q + (fp32 > bf16 ? fp32 : bf16);
}

#if defined(__x86_64__)
#include <immintrin.h>
#include "simd.h"

#define QA_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#define QA_INLINE static inline __attribute__((always_inline)) QA_TARGET
#if defined(__clang__)
#define QA_UNROLL _Pragma("clang loop unroll(full)")
#else
#define QA_UNROLL
#endif

/* kt[c * np + j] = k[j * ld + c] for j < keys, c < d; zero for keys <= j < np. */
static QA_TARGET void transpose_keys(const float *k, size_t ld, int keys, int d, int np, float *kt) {
    for (int j0 = 0; j0 < np; j0 += 16) {
        const int rows = keys - j0 < 16 ? keys - j0 : 16;
        for (int c0 = 0; c0 < d; c0 += 16) {
            __m512 r[16];
            for (int i = 0; i < 16; i++)
                r[i] = i < rows ? _mm512_loadu_ps(k + (size_t)(j0 + i) * ld + c0) : _mm512_setzero_ps();
            transpose16(r);
            for (int m = 0; m < 16; m++) _mm512_storeu_ps(kt + (size_t)(c0 + m) * np + j0, r[m]);
        }
    }
}

/* c[r][0 .. 16 nv) = scale * sum_x a[r * lda + x] * b[x * ldb + 0 .. 16 nv) for
 * r < mr, x < depth: one broadcast of a per row and step, nv vector loads of
 * b per step, mr * nv FMAs (mr * nv <= 24 accumulators). mr and nv are
 * constants after inlining, so short tails cost no idle FMAs. Both products
 * of attention are this tile: Q Kt (a = Q, b = Kt) and P V (a = P, b = V).
 * With bf16, every 4-byte element of a and b is a pair of bf16 values along
 * the reduction (depth counts pairs) and each step is one vdpbf16ps. */
QA_INLINE void fma_tile(const float *a, size_t lda, const float *b, size_t ldb, int depth,
                        const int mr, const int nv, const int bf16, float scale, float *c, size_t ldc) {
    __m512 acc[12][4];
    QA_UNROLL
    for (int r = 0; r < mr; r++)
        QA_UNROLL
        for (int v = 0; v < nv; v++) acc[r][v] = _mm512_setzero_ps();
    for (int x = 0; x < depth; x++) {
        const float *row = b + (size_t)x * ldb;
        __m512 bv[4];
        QA_UNROLL
        for (int v = 0; v < nv; v++) bv[v] = _mm512_loadu_ps(row + 16 * v);
        QA_UNROLL
        for (int r = 0; r < mr; r++) {
            const __m512 av = _mm512_set1_ps(a[(size_t)r * lda + x]);
            QA_UNROLL
            for (int v = 0; v < nv; v++)
                acc[r][v] = bf16 ? _mm512_dpbf16_ps(acc[r][v], (__m512bh)av, (__m512bh)bv[v])
                                 : _mm512_fmadd_ps(av, bv[v], acc[r][v]);
        }
    }
    const __m512 s = _mm512_set1_ps(scale);
    QA_UNROLL
    for (int r = 0; r < mr; r++)
        QA_UNROLL
        for (int v = 0; v < nv; v++) _mm512_storeu_ps(c + (size_t)r * ldc + 16 * v, _mm512_mul_ps(acc[r][v], s));
}

/* Rows [i, i + mr) of a product whose tiles are ROWS x NV vectors, mr <= ROWS. */
#define QA_TILE_ROWS(NV, A, LDA, B, LDB, DEPTH, BF16, SCALE, C, LDC)                                \
    switch (mr) {                                                                            \
    case 12: fma_tile(A, LDA, B, LDB, DEPTH, 12, NV, BF16, SCALE, C, LDC); break;                  \
    case 11: fma_tile(A, LDA, B, LDB, DEPTH, 11, NV, BF16, SCALE, C, LDC); break;                  \
    case 10: fma_tile(A, LDA, B, LDB, DEPTH, 10, NV, BF16, SCALE, C, LDC); break;                  \
    case 9: fma_tile(A, LDA, B, LDB, DEPTH, 9, NV, BF16, SCALE, C, LDC); break;                    \
    case 8: fma_tile(A, LDA, B, LDB, DEPTH, 8, NV, BF16, SCALE, C, LDC); break;                    \
    case 7: fma_tile(A, LDA, B, LDB, DEPTH, 7, NV, BF16, SCALE, C, LDC); break;                    \
    case 6: fma_tile(A, LDA, B, LDB, DEPTH, 6, NV, BF16, SCALE, C, LDC); break;                    \
    case 5: fma_tile(A, LDA, B, LDB, DEPTH, 5, NV, BF16, SCALE, C, LDC); break;                    \
    case 4: fma_tile(A, LDA, B, LDB, DEPTH, 4, NV, BF16, SCALE, C, LDC); break;                    \
    case 3: fma_tile(A, LDA, B, LDB, DEPTH, 3, NV, BF16, SCALE, C, LDC); break;                    \
    case 2: fma_tile(A, LDA, B, LDB, DEPTH, 2, NV, BF16, SCALE, C, LDC); break;                    \
    default: fma_tile(A, LDA, B, LDB, DEPTH, 1, NV, BF16, SCALE, C, LDC); break;                   \
    }

/* scores[i * np + j] = scale * q_i . k_j, in tiles of 6 queries x 64 keys.
 * q rows have stride ld and `depth` steps (d floats, or d/2 bf16 pairs);
 * kt holds one row of np keys per step. */
static QA_TARGET void scores_block(const float *q, size_t ld, int queries, const float *kt, int np,
                                   int depth, const int bf16, float scale, float *scores) {
    for (int i = 0; i < queries; i += 6) {
        const int mr = queries - i < 6 ? queries - i : 6;
        const float *qi = q + (size_t)i * ld;
        for (int j0 = 0; j0 < np; j0 += 64) {
            const float *b = kt + j0;
            float *c = scores + (size_t)i * np + j0;
            switch ((np - j0) / 16 < 4 ? (np - j0) / 16 : 4) {
            case 4: QA_TILE_ROWS(4, qi, ld, b, (size_t)np, depth, bf16, scale, c, (size_t)np) break;
            case 3: QA_TILE_ROWS(3, qi, ld, b, (size_t)np, depth, bf16, scale, c, (size_t)np) break;
            case 2: QA_TILE_ROWS(2, qi, ld, b, (size_t)np, depth, bf16, scale, c, (size_t)np) break;
            default: QA_TILE_ROWS(1, qi, ld, b, (size_t)np, depth, bf16, scale, c, (size_t)np) break;
            }
        }
    }
}

/* out_i = sum_j p_ij v_j: tiles of 12 queries x 32 (d = 32) or 6 x 64. p rows
 * have stride lp and `depth` steps (keys, or key pairs); v one row of d per step. */
static QA_TARGET void values_block(const float *p, size_t lp, const float *v, size_t ldv, int queries,
                                   int depth, int d, const int bf16, float *out, size_t ldo) {
    const int rows = d == 32 ? 12 : 6;
    for (int i = 0; i < queries; i += rows) {
        const int mr = queries - i < rows ? queries - i : rows;
        const float *pi = p + (size_t)i * lp;
        float *oi = out + (size_t)i * ldo;
        if (d == 32) {
            QA_TILE_ROWS(2, pi, lp, v, ldv, depth, bf16, 1.0f, oi, ldo)
        } else {
            QA_TILE_ROWS(4, pi, lp, v, ldv, depth, bf16, 1.0f, oi, ldo)
        }
    }
}

/* The keys [lower, upper) a query at `offset` from the first key sees within
 * half_window, clamped to [0, keys) (empty when it sees none). */
static void visible_keys(int offset, int half_window, int keys, int *lower, int *upper) {
    int lo = offset - half_window, hi = offset + half_window + 1;
    if (lo < 0) lo = 0;
    if (lo > keys) lo = keys;
    if (hi > keys) hi = keys;
    if (hi < lo) hi = lo;
    *lower = lo;
    *upper = hi;
}

/* Softmax of each query's visible keys in place (zero elsewhere, [keys, np) untouched). */
static void softmax_rows(float *scores, int np, int queries, int keys, int query_start, int key_start,
                         int half_window) {
    for (int i = 0; i < queries; i++) {
        float *row = scores + (size_t)i * np;
        int lower = 0, upper = keys;
        if (half_window >= 0) visible_keys(query_start + i - key_start, half_window, keys, &lower, &upper);
        if (lower > 0) memset(row, 0, (size_t)lower * sizeof(float));
        if (upper < keys) memset(row + upper, 0, (size_t)(keys - upper) * sizeof(float));
        if (upper > lower) qk_softmax(row + lower, (size_t)(upper - lower));
    }
}

/* ------------------------------------------------------------ bf16 operands */

/* The 16 bf16 values of 16 floats, widened to dwords with the value in the low half. */
QA_INLINE __m512i bf16_low(__m512 x) {
    return _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(x));
}

/* dst[0 .. n/2) as bf16 pairs of src[0 .. n) (n even, a multiple of 32 here). */
static QA_TARGET void to_bf16_pairs(const float *src, int n, float *dst) {
    for (int c = 0; c < n; c += 32)
        _mm512_storeu_ps(dst + c / 2, (__m512)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + c + 16),
                                                                   _mm512_loadu_ps(src + c)));
}

/* kt[cp * np + j] = (k_j[2cp], k_j[2cp + 1]) as bf16 pairs, zero for keys <= j < np. */
static QA_TARGET void transpose_keys_bf16(const float *k, size_t ld, int keys, int d, int np, float *kt) {
    for (int j0 = 0; j0 < np; j0 += 16) {
        const int rows = keys - j0 < 16 ? keys - j0 : 16;
        for (int c0 = 0; c0 < d; c0 += 32) {
            __m512 r[16];
            for (int i = 0; i < 16; i++) {
                const float *row = k + (size_t)(j0 + i) * ld + c0;
                r[i] = i < rows ? (__m512)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(row + 16), _mm512_loadu_ps(row))
                                : _mm512_setzero_ps();
            }
            transpose16(r);
            for (int m = 0; m < 16; m++) _mm512_storeu_ps(kt + (size_t)(c0 / 2 + m) * np + j0, r[m]);
        }
    }
}

/* vp[jp * d + x] = (v_{2jp}[x], v_{2jp+1}[x]) as bf16 pairs; a missing last key is zero. */
static QA_TARGET void pair_values_bf16(const float *v, size_t ld, int keys, int d, float *vp) {
    for (int j = 0; j < keys; j += 2) {
        const float *even = v + (size_t)j * ld, *odd = even + ld;
        for (int x = 0; x < d; x += 16) {
            const __m512i lo = bf16_low(_mm512_loadu_ps(even + x));
            const __m512i hi = j + 1 < keys ? _mm512_slli_epi32(bf16_low(_mm512_loadu_ps(odd + x)), 16)
                                            : _mm512_setzero_si512();
            _mm512_storeu_ps(vp + (size_t)(j / 2) * d + x, (__m512)_mm512_or_si512(lo, hi));
        }
    }
}

/* exp(x) for x <= 0 to ~5e-5 relative: 2^(x log2 e) split into 2^n * 2^f,
 * |f| <= 1/2, with a degree-4 Taylor polynomial of e^(f ln 2). Probabilities
 * rounded to bf16 next keep 8 bits (4e-3), so the full-precision exp would
 * only cost time here. Below -87 the result flushes to 0. */
QA_INLINE __m512 coarse_exp(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
    const __m512 t = _mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f));
    const __m512 n = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m512 r = _mm512_mul_ps(_mm512_sub_ps(t, n), _mm512_set1_ps(0.693147180559945309f));
    __m512 p = _mm512_set1_ps(1.0f / 24.0f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

/* Softmax of row[lower, upper) (upper > lower), left unnormalised: returns
 * 1 / sum, or 0 when the largest score is not finite. */
static QA_TARGET float coarse_softmax(float *row, int lower, int upper) {
    __m512 top = _mm512_set1_ps(-INFINITY);
    for (int j = lower; j < upper; j += 16) {
        const __mmask16 m = lanes(upper - j);
        top = _mm512_max_ps(_mm512_mask_loadu_ps(top, m, row + j), top);
    }
    const float maximum = _mm512_reduce_max_ps(top);
    if (!isfinite(maximum)) return 0.0f;
    const __m512 shift = _mm512_set1_ps(maximum);
    __m512 sum = _mm512_setzero_ps();
    for (int j = lower; j < upper; j += 16) {
        const __mmask16 m = lanes(upper - j);
        const __m512 e = coarse_exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, row + j), shift));
        _mm512_mask_storeu_ps(row + j, m, e);
        sum = _mm512_add_ps(sum, _mm512_maskz_mov_ps(m, e));
    }
    return 1.0f / _mm512_reduce_add_ps(sum);
}

/* Each query's probabilities over its visible keys as bf16 pairs in pp (np/2
 * per row, zero outside the visible keys): the exponentials stay in scores,
 * normalised while they are rounded. */
static QA_TARGET void probabilities_bf16(float *scores, int np, int queries, int keys, int query_start,
                                         int key_start, int half_window, float *pp) {
    for (int i = 0; i < queries; i++) {
        float *row = scores + (size_t)i * np;
        int lower = 0, upper = keys;
        if (half_window >= 0) visible_keys(query_start + i - key_start, half_window, keys, &lower, &upper);
        const float inverse = upper > lower ? coarse_softmax(row, lower, upper) : 0.0f;
        const __m512 scale = _mm512_set1_ps(inverse);
        uint16_t *out = (uint16_t *)(pp + (size_t)i * (np / 2));
        for (int j = 0; j < np; j += 16) {
            /* lanes j + l with lower <= j + l < upper */
            const int from = lower - j, to = upper - j;
            const __m512 p = _mm512_mul_ps(_mm512_maskz_loadu_ps(lanes(to) & (__mmask16)~lanes(from), row + j), scale);
            _mm256_storeu_si256((__m256i *)(out + j), (__m256i)_mm512_cvtneps_pbh(p));
        }
    }
}

int qk_attention_block(const float *q, const float *k, const float *v, size_t ld, int queries,
                       int keys, int d, float scale, int query_start, int key_start,
                       int half_window, int bf16, float *out, size_t ldo, float *scratch) {
    if ((d != 32 && d != 64) || queries < 1 || keys < 1) return -1;
    /* The same CPU check as the linear kernels': AVX-512 F/BW/VL (+ BF16). */
    if (!qk_cpu_supports(bf16 ? QK_BF16 : QK_FP32)) return -1;
    const int np = (keys + 15) / 16 * 16;
    float *scores = scratch, *rest = scratch + (size_t)np * queries;
    if (!bf16) {
        transpose_keys(k, ld, keys, d, np, rest);
        scores_block(q, ld, queries, rest, np, d, 0, scale, scores);
        softmax_rows(scores, np, queries, keys, query_start, key_start, half_window);
        values_block(scores, (size_t)np, v, ld, queries, keys, d, 0, out, ldo);
        return 0;
    }
    /* bf16 pairs: queries (d/2 per row), keys transposed (d/2 rows of np),
     * values paired by key (np/2 rows of d), probabilities (np/2 per row). */
    float *qp = rest, *kt = qp + (size_t)queries * (d / 2), *vp = kt + (size_t)(d / 2) * np;
    float *pp = vp + (size_t)(np / 2) * d;
    for (int i = 0; i < queries; i++) to_bf16_pairs(q + (size_t)i * ld, d, qp + (size_t)i * (d / 2));
    transpose_keys_bf16(k, ld, keys, d, np, kt);
    scores_block(qp, (size_t)(d / 2), queries, kt, np, d / 2, 1, scale, scores);
    probabilities_bf16(scores, np, queries, keys, query_start, key_start, half_window, pp);
    pair_values_bf16(v, ld, keys, d, vp);
    values_block(pp, (size_t)(np / 2), vp, (size_t)d, queries, (keys + 1) / 2, d, 1, out, ldo);
    return 0;
}
#else
int qk_attention_block(const float *q, const float *k, const float *v, size_t ld, int queries,
                       int keys, int d, float scale, int query_start, int key_start,
                       int half_window, int bf16, float *out, size_t ldo, float *scratch) {
    (void)bf16;
    (void)q; (void)k; (void)v; (void)ld; (void)queries; (void)keys; (void)d; (void)scale;
    (void)query_start; (void)key_start; (void)half_window; (void)out; (void)ldo; (void)scratch;
    return -1;
}
#endif
