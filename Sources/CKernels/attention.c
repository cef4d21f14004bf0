/*
 * Fused attention for one (head, query block); see attention.h.
 *
 * K is first transposed into scratch (kt[c * np + j], np = keys rounded up
 * to 16, zero padded), so that both products are broadcast-FMA micro-tiles
 * like the linear kernels' (fma_tile): scores in 6 queries x 64 keys, P V
 * reading V's rows in place in 12 (d = 32) or 6 (d = 64) queries x d. The order of additions differs from
 * BLAS only in blocking, well inside the parity budget.
 */
#include "attention.h"
#include "activations.h"

#include <stdint.h>
#include <string.h>

size_t qk_attention_scratch_floats(int queries, int keys, int d) {
    const size_t q = (size_t)(queries > 0 ? queries : 0), n = (size_t)(keys > 0 ? keys : 0);
    /* Other head dimensions take the BLAS path, which needs the scores only. */
    if (d != 32 && d != 64) return q * n;
    const size_t np = (n + 15) / 16 * 16;
    return np * q + np * (size_t)d;
}

#if defined(__x86_64__)
#include <immintrin.h>
#include "transpose.h"

#define QA_TARGET __attribute__((target("avx512f")))
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
 * of attention are this tile: Q Kt (a = Q, b = Kt) and P V (a = P, b = V). */
QA_INLINE void fma_tile(const float *a, size_t lda, const float *b, size_t ldb, int depth,
                        const int mr, const int nv, float scale, float *c, size_t ldc) {
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
            for (int v = 0; v < nv; v++) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
        }
    }
    const __m512 s = _mm512_set1_ps(scale);
    QA_UNROLL
    for (int r = 0; r < mr; r++)
        QA_UNROLL
        for (int v = 0; v < nv; v++) _mm512_storeu_ps(c + (size_t)r * ldc + 16 * v, _mm512_mul_ps(acc[r][v], s));
}

/* Rows [i, i + mr) of a product whose tiles are ROWS x NV vectors, mr <= ROWS. */
#define QA_TILE_ROWS(NV, A, LDA, B, LDB, DEPTH, SCALE, C, LDC)                                \
    switch (mr) {                                                                            \
    case 12: fma_tile(A, LDA, B, LDB, DEPTH, 12, NV, SCALE, C, LDC); break;                  \
    case 11: fma_tile(A, LDA, B, LDB, DEPTH, 11, NV, SCALE, C, LDC); break;                  \
    case 10: fma_tile(A, LDA, B, LDB, DEPTH, 10, NV, SCALE, C, LDC); break;                  \
    case 9: fma_tile(A, LDA, B, LDB, DEPTH, 9, NV, SCALE, C, LDC); break;                    \
    case 8: fma_tile(A, LDA, B, LDB, DEPTH, 8, NV, SCALE, C, LDC); break;                    \
    case 7: fma_tile(A, LDA, B, LDB, DEPTH, 7, NV, SCALE, C, LDC); break;                    \
    case 6: fma_tile(A, LDA, B, LDB, DEPTH, 6, NV, SCALE, C, LDC); break;                    \
    case 5: fma_tile(A, LDA, B, LDB, DEPTH, 5, NV, SCALE, C, LDC); break;                    \
    case 4: fma_tile(A, LDA, B, LDB, DEPTH, 4, NV, SCALE, C, LDC); break;                    \
    case 3: fma_tile(A, LDA, B, LDB, DEPTH, 3, NV, SCALE, C, LDC); break;                    \
    case 2: fma_tile(A, LDA, B, LDB, DEPTH, 2, NV, SCALE, C, LDC); break;                    \
    default: fma_tile(A, LDA, B, LDB, DEPTH, 1, NV, SCALE, C, LDC); break;                   \
    }

/* scores[i * np + j] = scale * q_i . k_j, in tiles of 6 queries x 64 keys. */
static QA_TARGET void scores_block(const float *q, size_t ld, int queries, const float *kt, int np,
                                   int d, float scale, float *scores) {
    for (int i = 0; i < queries; i += 6) {
        const int mr = queries - i < 6 ? queries - i : 6;
        const float *qi = q + (size_t)i * ld;
        for (int j0 = 0; j0 < np; j0 += 64) {
            const float *b = kt + j0;
            float *c = scores + (size_t)i * np + j0;
            switch ((np - j0) / 16 < 4 ? (np - j0) / 16 : 4) {
            case 4: QA_TILE_ROWS(4, qi, ld, b, (size_t)np, d, scale, c, (size_t)np) break;
            case 3: QA_TILE_ROWS(3, qi, ld, b, (size_t)np, d, scale, c, (size_t)np) break;
            case 2: QA_TILE_ROWS(2, qi, ld, b, (size_t)np, d, scale, c, (size_t)np) break;
            default: QA_TILE_ROWS(1, qi, ld, b, (size_t)np, d, scale, c, (size_t)np) break;
            }
        }
    }
}

/* out_i = sum_j p[i * np + j] v_j: tiles of 12 queries x 32 (d = 32) or 6 x 64. */
static QA_TARGET void values_block(const float *p, int np, const float *v, size_t ld, int queries,
                                   int keys, int d, float *out, size_t ldo) {
    const int rows = d == 32 ? 12 : 6;
    for (int i = 0; i < queries; i += rows) {
        const int mr = queries - i < rows ? queries - i : rows;
        const float *pi = p + (size_t)i * np;
        float *oi = out + (size_t)i * ldo;
        if (d == 32) {
            QA_TILE_ROWS(2, pi, (size_t)np, v, ld, keys, 1.0f, oi, ldo)
        } else {
            QA_TILE_ROWS(4, pi, (size_t)np, v, ld, keys, 1.0f, oi, ldo)
        }
    }
}

static int has_avx512(void) {
    static int cached = -1;
    if (cached < 0) cached = __builtin_cpu_supports("avx512f") ? 1 : 0;
    return cached;
}

int qk_attention_block(const float *q, const float *k, const float *v, size_t ld, int queries,
                       int keys, int d, float scale, int query_start, int key_start,
                       int half_window, float *out, size_t ldo, float *scratch) {
    if ((d != 32 && d != 64) || queries < 1 || keys < 1 || !has_avx512()) return -1;
    const int np = (keys + 15) / 16 * 16;
    float *scores = scratch, *kt = scratch + (size_t)np * queries;
    transpose_keys(k, ld, keys, d, np, kt);
    scores_block(q, ld, queries, kt, np, d, scale, scores);
    for (int i = 0; i < queries; i++) {
        float *row = scores + (size_t)i * np;
        int lower = 0, upper = keys;
        if (half_window >= 0) {
            const int position = query_start + i;
            lower = position - half_window - key_start;
            upper = position + half_window + 1 - key_start;
            if (lower < 0) lower = 0;
            if (lower > keys) lower = keys;
            if (upper > keys) upper = keys;
            if (upper < lower) upper = lower;
        }
        if (lower > 0) memset(row, 0, (size_t)lower * sizeof(float));
        if (upper < keys) memset(row + upper, 0, (size_t)(keys - upper) * sizeof(float));
        if (upper > lower) qk_softmax(row + lower, (size_t)(upper - lower));
    }
    values_block(scores, np, v, ld, queries, keys, d, out, ldo);
    return 0;
}
#else
int qk_attention_block(const float *q, const float *k, const float *v, size_t ld, int queries,
                       int keys, int d, float scale, int query_start, int key_start,
                       int half_window, float *out, size_t ldo, float *scratch) {
    (void)q; (void)k; (void)v; (void)ld; (void)queries; (void)keys; (void)d; (void)scale;
    (void)query_start; (void)key_start; (void)half_window; (void)out; (void)ldo; (void)scratch;
    return -1;
}
#endif
