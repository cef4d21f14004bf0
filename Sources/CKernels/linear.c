/*
 * Linear layers Y = X · W^T (+ bias) with packed weights.
 *
 * Layout. All three precisions share one shape: the reduction dimension k is
 * cut into "groups" of 4 bytes per element pair of (row, output): one fp32,
 * a pair of bf16, or a quad of int8. W is stored as panels of NR = 32 output
 * channels; panel p, group g holds the 32 channels' groups contiguously (128
 * bytes = two zmm registers). Missing channels / k entries are zero.
 *
 * Micro-kernel. MR = 14 rows of X times one 32-wide panel: 28 zmm
 * accumulators, two zmm of W per group, each row's group broadcast from
 * memory. Per group that is 28 FMA-class instructions (vfmadd231ps,
 * vdpbf16ps or vpdpbusd) against 2 loads + 14 broadcasts.
 *
 * Blocking. k is cut into blocks of <= KCG groups so that one panel block
 * (KCG * 128 bytes) stays in L1 while it is reused across the MC rows of the
 * current row block; each row-block x k-block of X is first copied (fp32),
 * rounded (bf16) or quantised (int8) into per-thread scratch with a row
 * stride that avoids L1 set conflicts, and stays in L1/L2 across panels; the
 * row block's outputs (MC x n) stay in L2 between k blocks.
 *
 * Threads take chunks of rows (or of panels when m is small) from a shared
 * counter; every output element is computed the same way whatever the
 * thread count or chunking, so results are reproducible.
 */
#include "kernels.h"
#include "pool.h"
#include "simd.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define QK_X86 1
#include <immintrin.h>
#else
#define QK_X86 0
#endif

enum {
    MR = 14,          /* rows per micro-tile */
    NR = 32,          /* output channels per panel */
    KCG = 192,        /* max groups (4-byte k units) per k block */
#ifdef QK_MC_OVERRIDE /* for benchmarking other row-block sizes */
    MC = QK_MC_OVERRIDE,
#else
    MC = 14 * 8,      /* rows per row block (Y block stays in L2 for n <= 3072) */
#endif
    SCRATCH_ROW_BYTES = KCG * 4 + 128, /* max scratch row stride, see linear_block */
};
_Static_assert((size_t)MC * SCRATCH_ROW_BYTES + 2 * MC * sizeof(float) <= QK_SCRATCH_BYTES,
               "per-thread scratch too small for one activation block");

struct qk_weights {
    int n, k;
    int kg;                 /* groups along k */
    int np;                 /* panels along n */
    qk_precision precision;
    void *panels;           /* np * kg * 128 bytes, 64-byte aligned */
    float *scale;           /* int8: per-channel dequantisation scale, np*NR */
    int32_t *zero_sum;      /* int8: 128 * sum_k wq, np*NR */
};

int qk_weights_n(const qk_weights *w) { return w->n; }
int qk_weights_k(const qk_weights *w) { return w->k; }
qk_precision qk_weights_precision(const qk_weights *w) { return w->precision; }

void qk_set_threads(int n) { qk_pool_set_threads(n); }
int qk_get_threads(void) { return qk_pool_threads(); }

int qk_cpu_supports(qk_precision p) {
#if QK_X86
    __builtin_cpu_init();
    int base = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
    switch (p) {
    case QK_FP32: return base;
    case QK_BF16: return base && __builtin_cpu_supports("avx512bf16");
    case QK_INT8: return base && __builtin_cpu_supports("avx512vnni");
    }
#else
    (void)p;
#endif
    return 0;
}

static int group_width(qk_precision p) { return p == QK_FP32 ? 1 : (p == QK_BF16 ? 2 : 4); }

void qk_weights_free(qk_weights *w) {
    if (!w) return;
    free(w->panels);
    free(w->scale);
    free(w->zero_sum);
    free(w);
}

qk_weights *qk_weights_pack(const float *w, int n, int k, qk_precision p) {
    return qk_weights_pack_strided(w, (size_t)k, 0, n, k, p);
}

/* ---------------------------------------------------------------- kernels */

#if QK_X86

#define QK_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16,avx512vnni,fma")))
#define QK_INLINE static inline __attribute__((always_inline)) QK_TARGET
#if defined(__clang__)
#define QK_UNROLL _Pragma("clang loop unroll(full)")
#elif defined(__GNUC__)
#define QK_UNROLL _Pragma("GCC unroll 16")
#else
#define QK_UNROLL
#endif

/* What one micro-tile call needs (see tile()). */
typedef struct {
    const char *a;          /* first row, group 0 of this k block */
    size_t lda;             /* bytes between rows of a */
    const char *b;          /* panel, group 0 of this k block */
    int kc;                 /* groups in this k block */
    float *y;               /* tile's top-left output */
    size_t ldy;             /* floats between rows of y */
    __mmask16 m0, m1;       /* valid channels in the panel's two halves */
    int first;              /* first k block: adds the bias (and int8 zero sum) */
    int load_y;             /* add to y's contents (later k blocks, accumulate) */
    const float *bias;      /* panel's bias (masked), or NULL */
    const float *row_scale; /* int8: dequantisation scale per tile row */
    const float *col_scale; /* int8: panel's per-channel scales (32) */
    const int32_t *zero_sum;/* int8: panel's zero-point sums (32) */
} tile_job;

/* One group's multiply-add for precision prec (a compile-time constant after
 * inlining), on raw 512-bit registers: fp32 FMA, bf16 pair dot product, or
 * u8 x s8 quad dot product into int32. */
QK_INLINE __m512i step(const qk_precision prec, __m512i acc, __m512i a, __m512i b) {
    switch (prec) {
    case QK_FP32:
        return _mm512_castps_si512(_mm512_fmadd_ps(_mm512_castsi512_ps(a), _mm512_castsi512_ps(b),
                                                   _mm512_castsi512_ps(acc)));
    case QK_BF16:
        return _mm512_castps_si512(_mm512_dpbf16_ps(_mm512_castsi512_ps(acc), (__m512bh)a, (__m512bh)b));
    default:
        return _mm512_dpbusd_epi32(acc, a, b);
    }
}

/* One micro-tile, rows [0, mr) x the panel's 32 channels, written into y:
 * y = base + sum for fp32/bf16, and for int8
 * y = base + row_scale * col_scale * (sum - zero_sum), the zero-point sum
 * being removed once, in the first k block. base is the bias (first k
 * block) plus y's contents (later k blocks, or accumulating). */
QK_INLINE void tile(const tile_job *t, const int mr, const qk_precision prec) {
    __m512i c0[MR], c1[MR];
    QK_UNROLL
    for (int r = 0; r < mr; r++) c0[r] = c1[r] = _mm512_setzero_si512();
    const char *a = t->a;
    const char *b = t->b;
    const size_t lda = t->lda;
    for (int g = 0; g < t->kc; g++) {
        __m512i b0 = _mm512_load_si512((const void *)b);
        __m512i b1 = _mm512_load_si512((const void *)(b + 64));
        QK_UNROLL
        for (int r = 0; r < mr; r++) {
            __m512i av = _mm512_set1_epi32(*(const int32_t *)(a + r * lda));
            c0[r] = step(prec, c0[r], av, b0);
            c1[r] = step(prec, c1[r], av, b1);
        }
        a += 4;
        b += 128;
    }
    __m512 bias0 = _mm512_setzero_ps(), bias1 = _mm512_setzero_ps();
    if (t->first && t->bias) {
        bias0 = _mm512_maskz_loadu_ps(t->m0, t->bias);
        bias1 = _mm512_maskz_loadu_ps(t->m1, t->bias + 16);
    }
    __m512 cs0 = _mm512_setzero_ps(), cs1 = _mm512_setzero_ps();
    __m512i zs0 = _mm512_setzero_si512(), zs1 = _mm512_setzero_si512();
    if (prec == QK_INT8) {
        cs0 = _mm512_loadu_ps(t->col_scale);
        cs1 = _mm512_loadu_ps(t->col_scale + 16);
        if (t->first) {
            zs0 = _mm512_loadu_si512((const void *)t->zero_sum);
            zs1 = _mm512_loadu_si512((const void *)(t->zero_sum + 16));
        }
    }
    QK_UNROLL
    for (int r = 0; r < mr; r++) {
        float *yr = t->y + (size_t)r * t->ldy;
        __m512 base0 = t->load_y ? _mm512_add_ps(_mm512_maskz_loadu_ps(t->m0, yr), bias0) : bias0;
        __m512 base1 = t->load_y ? _mm512_add_ps(_mm512_maskz_loadu_ps(t->m1, yr + 16), bias1) : bias1;
        __m512 y0, y1;
        if (prec == QK_INT8) {
            __m512 rs = _mm512_set1_ps(t->row_scale[r]);
            y0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(c0[r], zs0)), _mm512_mul_ps(rs, cs0), base0);
            y1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(c1[r], zs1)), _mm512_mul_ps(rs, cs1), base1);
        } else {
            y0 = _mm512_add_ps(_mm512_castsi512_ps(c0[r]), base0);
            y1 = _mm512_add_ps(_mm512_castsi512_ps(c1[r]), base1);
        }
        _mm512_mask_storeu_ps(yr, t->m0, y0);
        _mm512_mask_storeu_ps(yr + 16, t->m1, y1);
    }
}

/* Dispatch on the tile's row count so each instance is fully unrolled. */
#define QK_TILE_DISPATCH(NAME, PREC)                                                  \
    static QK_TARGET __attribute__((noinline)) void NAME(const tile_job *t, int mr) { \
        switch (mr) {                                                                 \
        case 14: tile(t, 14, PREC); break;                                            \
        case 13: tile(t, 13, PREC); break;                                            \
        case 12: tile(t, 12, PREC); break;                                            \
        case 11: tile(t, 11, PREC); break;                                            \
        case 10: tile(t, 10, PREC); break;                                            \
        case 9: tile(t, 9, PREC); break;                                              \
        case 8: tile(t, 8, PREC); break;                                              \
        case 7: tile(t, 7, PREC); break;                                              \
        case 6: tile(t, 6, PREC); break;                                              \
        case 5: tile(t, 5, PREC); break;                                              \
        case 4: tile(t, 4, PREC); break;                                              \
        case 3: tile(t, 3, PREC); break;                                              \
        case 2: tile(t, 2, PREC); break;                                              \
        default: tile(t, 1, PREC); break;                                             \
        }                                                                             \
    }
QK_TILE_DISPATCH(run_tile_fp32, QK_FP32)
QK_TILE_DISPATCH(run_tile_bf16, QK_BF16)
QK_TILE_DISPATCH(run_tile_int8, QK_INT8)

/* ---------------------------------------------------------------- packing */

/* Copies panel p's channels of W to lane-major fp32: panel[kk * NR + lane] =
 * W(p * NR + lane, kk), zero past n. W(j, kk) = w[j * step_j + kk * step_k].
 * This is the fp32 panel layout itself, and the input of the bf16 and int8
 * conversions. */
static void gather_panel(const float *w, size_t step_j, size_t step_k, int n, int k, int p,
                         float *panel) {
    const int j0 = p * NR;
    const int lanes = n - j0 < NR ? n - j0 : NR;
    if (lanes < NR) memset(panel, 0, (size_t)k * NR * sizeof(float));
    if (step_j == 1) {
        /* Transposed source: the panel's channels are contiguous per kk. */
        for (int kk = 0; kk < k; kk++)
            memcpy(panel + (size_t)kk * NR, w + (size_t)kk * step_k + j0, (size_t)lanes * sizeof(float));
    } else {
        for (int lane = 0; lane < lanes; lane++) {
            const float *row = w + (size_t)(j0 + lane) * step_j;
            for (int kk = 0; kk < k; kk++) panel[(size_t)kk * NR + lane] = row[kk * step_k];
        }
    }
}

/* Row kk of a gathered panel as two halves, zero past k. */
QK_INLINE __m512 gathered(const float *g, int k, int kk, int half) {
    return kk < k ? _mm512_loadu_ps(g + (size_t)kk * NR + 16 * half) : _mm512_setzero_ps();
}

/* bf16 pairs (k = 2g low half, 2g + 1 high half), rounded to nearest even
 * like the activations (vcvtneps2bf16). */
static QK_TARGET void pack_bf16(const float *g, int k, int kg, uint32_t *panel) {
    for (int grp = 0; grp < kg; grp++) {
        for (int half = 0; half < 2; half++) {
            __m512i lo = _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(gathered(g, k, 2 * grp, half)));
            __m512i hi = _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(gathered(g, k, 2 * grp + 1, half)));
            _mm512_store_si512((void *)(panel + (size_t)grp * NR + 16 * half),
                               _mm512_or_si512(lo, _mm512_slli_epi32(hi, 16)));
        }
    }
}

/* Symmetric per-channel int8 (scale = max|w| / 127) in quads along k, with
 * each channel's scale and 128 * sum of its quantised weights (the term the
 * activations' zero point adds). */
static QK_TARGET void pack_int8(const float *g, int k, int kg, uint32_t *panel, float *scale,
                                int32_t *zero_sum) {
    const __m512i lo_clamp = _mm512_set1_epi32(-127), hi_clamp = _mm512_set1_epi32(127);
    for (int half = 0; half < 2; half++) {
        __m512 amax = _mm512_setzero_ps();
        for (int kk = 0; kk < k; kk++) amax = _mm512_max_ps(amax, _mm512_abs_ps(gathered(g, k, kk, half)));
        __mmask16 nonzero = _mm512_cmp_ps_mask(amax, _mm512_setzero_ps(), _CMP_GT_OQ);
        __m512 inverse = _mm512_maskz_div_ps(nonzero, _mm512_set1_ps(127.0f), amax);
        _mm512_storeu_ps(scale + 16 * half,
                         _mm512_mask_div_ps(_mm512_set1_ps(1.0f), nonzero, amax, _mm512_set1_ps(127.0f)));
        __m512i sum = _mm512_setzero_si512();
        for (int grp = 0; grp < kg; grp++) {
            __m512i quad = _mm512_setzero_si512();
            for (int i = 0; i < 4; i++) {
                __m512i q = _mm512_cvtps_epi32(_mm512_mul_ps(gathered(g, k, 4 * grp + i, half), inverse));
                q = _mm512_min_epi32(_mm512_max_epi32(q, lo_clamp), hi_clamp);
                sum = _mm512_add_epi32(sum, q);
                quad = _mm512_or_si512(quad, _mm512_slli_epi32(_mm512_and_si512(q, _mm512_set1_epi32(0xff)), 8 * i));
            }
            _mm512_store_si512((void *)(panel + (size_t)grp * NR + 16 * half), quad);
        }
        _mm512_storeu_si512((void *)(zero_sum + 16 * half), _mm512_slli_epi32(sum, 7));
    }
}

qk_weights *qk_weights_pack_strided(const float *w, size_t ldw, int transposed, int n, int k,
                                    qk_precision p) {
    if (!w || n < 1 || k < 1 || ldw < (size_t)(transposed ? n : k) || !qk_cpu_supports(p))
        return NULL;
    /* Element (j, kk) lives at w[j * step_j + kk * step_k]. */
    const size_t step_j = transposed ? 1 : ldw, step_k = transposed ? ldw : 1;
    qk_weights *pw = calloc(1, sizeof *pw);
    if (!pw) return NULL;
    const int gw = group_width(p);
    pw->n = n;
    pw->k = k;
    pw->precision = p;
    pw->kg = (k + gw - 1) / gw;
    pw->np = (n + NR - 1) / NR;
    const size_t panel_bytes = (size_t)pw->kg * 128;
    pw->panels = aligned_alloc(64, (size_t)pw->np * panel_bytes);
    float *gathered_panel = p == QK_FP32 ? NULL : malloc((size_t)k * NR * sizeof(float));
    if (!pw->panels || (p != QK_FP32 && !gathered_panel)) goto fail;
    if (p == QK_INT8) {
        pw->scale = malloc((size_t)pw->np * NR * sizeof(float));
        pw->zero_sum = malloc((size_t)pw->np * NR * sizeof(int32_t));
        if (!pw->scale || !pw->zero_sum) goto fail;
    }
    for (int panel = 0; panel < pw->np; panel++) {
        char *out = (char *)pw->panels + (size_t)panel * panel_bytes;
        if (p == QK_FP32) {
            gather_panel(w, step_j, step_k, n, k, panel, (float *)out);
            continue;
        }
        gather_panel(w, step_j, step_k, n, k, panel, gathered_panel);
        if (p == QK_BF16)
            pack_bf16(gathered_panel, k, pw->kg, (uint32_t *)out);
        else
            pack_int8(gathered_panel, k, pw->kg, (uint32_t *)out, pw->scale + panel * NR,
                      pw->zero_sum + panel * NR);
    }
    free(gathered_panel);
    return pw;
fail:
    free(gathered_panel);
    qk_weights_free(pw);
    return NULL;
}


/* Copies rows [0, rows) of x, columns [k0, k0 + gc), to dst (row stride
 * ldd bytes). Reading X in place would alias in L1 when its row stride is a
 * multiple of 4 KiB (k = 1024, 2048, 3072). */
static void copy_fp32(const float *x, size_t ldx, int rows, int k0, int gc, size_t ldd,
                      char *dst) {
    for (int i = 0; i < rows; i++)
        memcpy(dst + i * ldd, x + (size_t)i * ldx + k0, (size_t)gc * sizeof(float));
}

/* Converts rows [0, rows) of x, k range [k0, k0 + 2*gc), to bf16 pairs in
 * dst (row stride ldd bytes); entries past k become 0. */
static QK_TARGET void convert_bf16(const float *x, size_t ldx, int rows, int k, int k0, int gc,
                                   size_t ldd, char *dst) {
    int width = 2 * gc;
    int avail = k - k0 < width ? k - k0 : width;
    for (int i = 0; i < rows; i++) {
        const float *src = x + (size_t)i * ldx + k0;
        uint16_t *out = (uint16_t *)(dst + i * ldd);
        for (int j = 0; j < width; j += 32) {
            int left = avail - j;
            __mmask16 lo = lanes(left);
            int left_hi = left - 16;
            __mmask16 hi = lanes(left_hi);
            __m512 vlo = _mm512_maskz_loadu_ps(lo, src + j);
            __m512 vhi = _mm512_maskz_loadu_ps(hi, src + j + 16);
            __m512bh packed = _mm512_cvtne2ps_pbh(vhi, vlo);
            int slots = width - j;
            __mmask32 sm = slots >= 32 ? 0xffffffffu : (__mmask32)((1u << slots) - 1);
            _mm512_mask_storeu_epi16(out + j, sm, (__m512i)packed);
        }
    }
}

/* Per-row symmetric scales for int8: scale = max|x| / 127. Four running
 * maxima and unmasked loads in the main loop: this pass reads every input
 * row once and showed up at ~5% of a forward pass with one masked chain. */
static QK_TARGET void row_scales(const float *x, size_t ldx, int rows, int k, float *scale,
                                 float *inverse) {
    const int whole = k / 64 * 64;
    for (int i = 0; i < rows; i++) {
        const float *src = x + (size_t)i * ldx;
        __m512 m0 = _mm512_setzero_ps(), m1 = m0, m2 = m0, m3 = m0;
        for (int j = 0; j < whole; j += 64) {
            m0 = _mm512_max_ps(m0, _mm512_abs_ps(_mm512_loadu_ps(src + j)));
            m1 = _mm512_max_ps(m1, _mm512_abs_ps(_mm512_loadu_ps(src + j + 16)));
            m2 = _mm512_max_ps(m2, _mm512_abs_ps(_mm512_loadu_ps(src + j + 32)));
            m3 = _mm512_max_ps(m3, _mm512_abs_ps(_mm512_loadu_ps(src + j + 48)));
        }
        for (int j = whole; j < k; j += 16)
            m0 = _mm512_max_ps(m0, _mm512_abs_ps(_mm512_maskz_loadu_ps(lanes(k - j), src + j)));
        float v = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(m0, m1), _mm512_max_ps(m2, m3)));
        scale[i] = v > 0 ? v / 127.0f : 0.0f;
        inverse[i] = v > 0 ? 127.0f / v : 0.0f;
    }
}

/* u8 codes (zero point 128) of 16 floats scaled by inv, in the low 16 bytes. */
QK_INLINE __m128i quantize16(__m512 v, __m512 inv) {
    __m512i q = _mm512_cvtps_epi32(_mm512_mul_ps(v, inv)); /* round to nearest even */
    q = _mm512_min_epi32(_mm512_max_epi32(q, _mm512_set1_epi32(-127)), _mm512_set1_epi32(127));
    return _mm512_cvtepi32_epi8(_mm512_add_epi32(q, _mm512_set1_epi32(128)));
}

/* Quantises rows [0, rows) of x, k range [k0, k0 + 4*gc), to u8 with zero
 * point 128 in dst (row stride ldd bytes); entries past k become 128. */
static QK_TARGET void quantize_u8(const float *x, size_t ldx, int rows, int k, int k0, int gc,
                                  size_t ldd, const float *inverse, char *dst) {
    const int width = 4 * gc;
    const int avail = k - k0 < width ? k - k0 : width;
    const int whole = avail / 16 * 16;
    for (int i = 0; i < rows; i++) {
        const float *src = x + (size_t)i * ldx + k0;
        uint8_t *out = (uint8_t *)(dst + i * ldd);
        const __m512 inv = _mm512_set1_ps(inverse[i]);
        int j = 0;
        for (; j < whole; j += 16)
            _mm_storeu_si128((__m128i *)(out + j), quantize16(_mm512_loadu_ps(src + j), inv));
        for (; j < width; j += 16) {
            const __m128i q = quantize16(_mm512_maskz_loadu_ps(lanes(avail - j), src + j), inv);
            _mm_mask_storeu_epi8(out + j, lanes(width - j), q);
        }
    }
}

typedef struct {
    const qk_weights *w;
    const float *x;
    size_t ldx;
    int m;
    float *y;
    size_t ldy;
    const float *bias;
    int accumulate;         /* add to y instead of overwriting it */
    int split_rows;         /* 1: chunks of rows, else chunks of panels */
    int chunk;              /* rows (a multiple of MR) or panels per chunk */
    int nchunks;
    atomic_int next;        /* next chunk to hand out */
} linear_job;

/* Computes rows [r0, r1) x panels [p0, p1) of the product. */
static QK_TARGET void linear_block(const linear_job *job, int r0, int r1, int p0, int p1,
                                   void *scratch) {
    const qk_weights *w = job->w;
    const qk_precision prec = w->precision;
    const int gw = group_width(prec);
    const int nkb = (w->kg + KCG - 1) / KCG;
    const int kcg = (w->kg + nkb - 1) / nkb;
    /* Scratch row stride: whole cache lines plus one, so that the 14 rows a
     * micro-tile reads never share an L1 set (4K aliasing). */
    const size_t lda_buf = ((size_t)kcg * 4 + 63) / 64 * 64 + 64;
    char *abuf = scratch;
    float *rscale = (float *)((char *)scratch + (size_t)MC * SCRATCH_ROW_BYTES);
    float *rinv = rscale + MC;
    for (int rb = r0; rb < r1; rb += MC) {
        const int rows = r1 - rb < MC ? r1 - rb : MC;
        const float *xb = job->x + (size_t)rb * job->ldx;
        if (prec == QK_INT8) row_scales(xb, job->ldx, rows, w->k, rscale, rinv);
        for (int kb = 0; kb < nkb; kb++) {
            const int g0 = kb * kcg;
            const int gc = w->kg - g0 < kcg ? w->kg - g0 : kcg;
            tile_job t = {0};
            if (prec == QK_FP32)
                copy_fp32(xb, job->ldx, rows, g0, gc, lda_buf, abuf);
            else if (prec == QK_BF16)
                convert_bf16(xb, job->ldx, rows, w->k, g0 * gw, gc, lda_buf, abuf);
            else
                quantize_u8(xb, job->ldx, rows, w->k, g0 * gw, gc, lda_buf, rinv, abuf);
            t.a = abuf;
            t.lda = lda_buf;
            t.kc = gc;
            t.ldy = job->ldy;
            t.first = kb == 0;
            t.load_y = kb > 0 || job->accumulate;
            for (int p = p0; p < p1; p++) {
                const int c0 = p * NR;
                const int valid = w->n - c0 < NR ? w->n - c0 : NR;
                t.m0 = lanes(valid);
                t.m1 = lanes(valid - 16);
                t.b = (const char *)w->panels + ((size_t)p * w->kg + g0) * 128;
                /* Masked loads never touch the channels past n. */
                t.bias = job->bias ? job->bias + c0 : NULL;
                if (prec == QK_INT8) {
                    t.col_scale = w->scale + c0;
                    t.zero_sum = w->zero_sum + c0;
                }
                const char *a_tile = t.a;
                for (int i = 0; i < rows; i += MR) {
                    tile_job tt = t;
                    tt.a = a_tile + (size_t)i * t.lda;
                    tt.y = job->y + (size_t)(rb + i) * job->ldy + c0;
                    tt.row_scale = rscale + i;
                    const int mr = rows - i < MR ? rows - i : MR;
                    if (prec == QK_FP32) run_tile_fp32(&tt, mr);
                    else if (prec == QK_BF16) run_tile_bf16(&tt, mr);
                    else run_tile_int8(&tt, mr);
                }
            }
        }
    }
}

/* Threads take chunks from a shared counter rather than fixed halves, so a
 * core that another process is using delays only its current chunk. */
static void linear_task(void *ctx, int tid, int nthreads, void *scratch) {
    (void)tid;
    (void)nthreads;
    linear_job *job = ctx;
    const int np = job->w->np;
    for (;;) {
        int c = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed);
        if (c >= job->nchunks) break;
        int lo = c * job->chunk;
        if (job->split_rows) {
            int hi = lo + job->chunk < job->m ? lo + job->chunk : job->m;
            linear_block(job, lo, hi, 0, np, scratch);
        } else {
            int hi = lo + job->chunk < np ? lo + job->chunk : np;
            linear_block(job, 0, job->m, lo, hi, scratch);
        }
    }
}

static void run_linear(const qk_weights *w, const float *x, size_t ldx, int m, float *y,
                       size_t ldy, const float *bias, int accumulate) {
    if (!w || m < 1) return;
    linear_job job = {.w = w, .x = x, .ldx = ldx, .m = m, .y = y, .ldy = ldy, .bias = bias,
                      .accumulate = accumulate};
    atomic_init(&job.next, 0);
    /* Waking a worker costs tens of microseconds: only share products big
     * enough to amortise it (about 2M multiply-adds per extra thread). */
    double macs = (double)m * w->n * w->k;
    int nthreads = qk_pool_threads();
    double useful = macs / (1 << 21);
    if (useful < nthreads) nthreads = useful < 1 ? 1 : (int)useful;
    /* About four chunks per thread; rows when there are enough of them (each
     * chunk then reads W once), else output panels (each chunk then converts
     * all of X, which is small). */
    const int tiles = (m + MR - 1) / MR;
    const int target = 4 * nthreads;
    if (nthreads == 1 || tiles >= target) {
        int chunk_tiles = (tiles + target - 1) / target;
        if (nthreads == 1 || chunk_tiles > MC / MR) chunk_tiles = MC / MR;
        job.split_rows = 1;
        job.chunk = chunk_tiles * MR;
        job.nchunks = (m + job.chunk - 1) / job.chunk;
    } else {
        job.split_rows = 0;
        job.chunk = (w->np + target - 1) / target;
        job.nchunks = (w->np + job.chunk - 1) / job.chunk;
    }
    if (nthreads > job.nchunks) nthreads = job.nchunks;
    qk_pool_run(nthreads, linear_task, &job);
}

/* ------------------------------------------------- unpacked (few rows) */


/* Panel p of row-major W (w[j * ldw + kk]), 16 channels x 16 groups at a
 * time through a register transpose: lane-major fp32 (gather_panel's layout,
 * which is the fp32 panel) or, with `pairs`, the bf16 panel itself (each row
 * rounded to bf16 pairs first, exactly as pack_bf16 rounds). Zero past n and
 * past k. The next panel's rows are prefetched into L2 meanwhile, so that
 * their reads overlap this panel's products. */
static QK_TARGET void pack_rows_panel(const float *w, size_t ldw, int n, int k, int p, int pairs, void *panel) {
    const int step = pairs ? 32 : 16; /* values of k per group of 16 */
    const int groups = pairs ? (k + 1) / 2 : k;
    for (int half = 0; half < 2; half++) {
        const int j0 = p * NR + 16 * half;
        const int present = n - j0 < 16 ? (n - j0 > 0 ? n - j0 : 0) : 16;
        const int ahead = n - (j0 + NR) < 16 ? (n - (j0 + NR) > 0 ? n - (j0 + NR) : 0) : 16;
        for (int kk = 0, g = 0; kk < k; kk += step, g += 16) {
            const int left = k - kk;
            const __mmask16 lo = lanes(left);
            const __mmask16 hi = lanes(left - 16);
            __m512 r[16];
            for (int lane = 0; lane < 16; lane++) {
                if (lane < ahead) _mm_prefetch((const char *)(w + (size_t)(j0 + NR + lane) * ldw + kk), _MM_HINT_T1);
                if (lane >= present) {
                    r[lane] = _mm512_setzero_ps();
                    continue;
                }
                const float *row = w + (size_t)(j0 + lane) * ldw + kk;
                if (pairs) {
                    if (lane < ahead) _mm_prefetch((const char *)(row + NR * ldw + 16), _MM_HINT_T1);
                    r[lane] = (__m512)_mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(hi, row + 16), _mm512_maskz_loadu_ps(lo, row));
                } else {
                    r[lane] = _mm512_maskz_loadu_ps(lo, row);
                }
            }
            transpose16(r);
            const int count = groups - g < 16 ? groups - g : 16;
            for (int c = 0; c < count; c++) _mm512_storeu_ps((float *)panel + (size_t)(g + c) * NR + 16 * half, r[c]);
        }
    }
}

/* qk_linear_unpacked: linear_block with each panel packed when it is needed
 * (into a buffer that stays in cache) rather than once for the whole matrix;
 * the panel bytes, X conversion, k blocks and tiles are linear_block's own. */
static QK_TARGET int run_unpacked(const float *w, size_t ldw, int n, int k, const float *x, size_t ldx,
                                  int m, float *y, size_t ldy, const float *bias, qk_precision prec) {
    const int gw = group_width(prec);
    const int kg = (k + gw - 1) / gw;
    const int np = (n + NR - 1) / NR;
    const int nkb = (kg + KCG - 1) / KCG;
    const int kcg = (kg + nkb - 1) / nkb;
    const size_t lda_buf = ((size_t)kcg * 4 + 63) / 64 * 64 + 64;
    const int block_rows = m < MC ? m : MC;
    const size_t xbytes = (size_t)nkb * block_rows * lda_buf;
    /* int8 quantises from the fp32 panel (its scales need all of k); the others pack directly. */
    const size_t gathered_bytes = prec == QK_INT8 ? ((size_t)k * NR * sizeof(float) + 63) / 64 * 64 : 0;
    const size_t packed_bytes = (size_t)kg * 128;
    const size_t small_bytes = 2 * MC * sizeof(float) + NR * (sizeof(float) + sizeof(int32_t));
    char *buffer = aligned_alloc(64, (xbytes + gathered_bytes + packed_bytes + small_bytes + 63) / 64 * 64);
    if (!buffer) return -1;
    char *xbuf = buffer;
    float *gathered = (float *)(buffer + xbytes);
    char *packed = buffer + xbytes + gathered_bytes;
    float *rscale = (float *)(buffer + xbytes + gathered_bytes + packed_bytes);
    float *rinv = rscale + MC;
    float *scale = rinv + MC;
    int32_t *zero_sum = (int32_t *)(scale + NR);
    for (int rb = 0; rb < m; rb += MC) {
        const int rows = m - rb < MC ? m - rb : MC;
        const float *xb = x + (size_t)rb * ldx;
        if (prec == QK_INT8) row_scales(xb, ldx, rows, k, rscale, rinv);
        for (int kb = 0; kb < nkb; kb++) {
            const int g0 = kb * kcg;
            const int gc = kg - g0 < kcg ? kg - g0 : kcg;
            char *abuf = xbuf + (size_t)kb * rows * lda_buf;
            if (prec == QK_FP32)
                copy_fp32(xb, ldx, rows, g0, gc, lda_buf, abuf);
            else if (prec == QK_BF16)
                convert_bf16(xb, ldx, rows, k, g0 * gw, gc, lda_buf, abuf);
            else
                quantize_u8(xb, ldx, rows, k, g0 * gw, gc, lda_buf, rinv, abuf);
        }
        for (int p = 0; p < np; p++) {
            if (prec == QK_INT8) {
                pack_rows_panel(w, ldw, n, k, p, 0, gathered);
                pack_int8(gathered, k, kg, (uint32_t *)packed, scale, zero_sum);
            } else {
                pack_rows_panel(w, ldw, n, k, p, prec == QK_BF16, packed);
            }
            const int c0 = p * NR;
            const int valid = n - c0 < NR ? n - c0 : NR;
            for (int kb = 0; kb < nkb; kb++) {
                const int g0 = kb * kcg;
                tile_job t = {0};
                t.a = xbuf + (size_t)kb * rows * lda_buf;
                t.lda = lda_buf;
                t.kc = kg - g0 < kcg ? kg - g0 : kcg;
                t.ldy = ldy;
                t.first = kb == 0;
                t.load_y = kb > 0;
                t.m0 = lanes(valid);
                t.m1 = lanes(valid - 16);
                t.b = packed + (size_t)g0 * 128;
                t.bias = bias ? bias + c0 : NULL;
                t.col_scale = scale;
                t.zero_sum = zero_sum;
                for (int i = 0; i < rows; i += MR) {
                    tile_job tt = t;
                    tt.a = t.a + (size_t)i * t.lda;
                    tt.y = y + (size_t)(rb + i) * ldy + c0;
                    tt.row_scale = rscale + i;
                    const int mr = rows - i < MR ? rows - i : MR;
                    if (prec == QK_FP32) run_tile_fp32(&tt, mr);
                    else if (prec == QK_BF16) run_tile_bf16(&tt, mr);
                    else run_tile_int8(&tt, mr);
                }
            }
        }
    }
    free(buffer);
    return 0;
}

int qk_linear_unpacked(const float *w, size_t ldw, int n, int k, const float *x, size_t ldx, int m,
                       float *y, size_t ldy, const float *bias, qk_precision p) {
    if (!w || !x || !y || k < 1 || ldw < (size_t)k || ldx < (size_t)k || !qk_cpu_supports(p)) return -1;
    if (m < 1 || n < 1) return 0;
    if (ldy < (size_t)n) return -1;
    return run_unpacked(w, ldw, n, k, x, ldx, m, y, ldy, bias, p);
}

#else /* !QK_X86: nothing is supported, so nothing is ever packed or run. */

qk_weights *qk_weights_pack_strided(const float *w, size_t ldw, int transposed, int n, int k,
                                    qk_precision p) {
    (void)w; (void)ldw; (void)transposed; (void)n; (void)k; (void)p;
    return NULL;
}

static void run_linear(const qk_weights *w, const float *x, size_t ldx, int m, float *y,
                       size_t ldy, const float *bias, int accumulate) {
    (void)w; (void)x; (void)ldx; (void)m; (void)y; (void)ldy; (void)bias; (void)accumulate;
}

int qk_linear_unpacked(const float *w, size_t ldw, int n, int k, const float *x, size_t ldx, int m,
                       float *y, size_t ldy, const float *bias, qk_precision p) {
    (void)w; (void)ldw; (void)n; (void)k; (void)x; (void)ldx; (void)m; (void)y; (void)ldy; (void)bias; (void)p;
    return -1;
}

#endif

void qk_linear_strided(const qk_weights *w, const float *x, size_t ldx, int m, float *y,
                       size_t ldy, const float *bias) {
    run_linear(w, x, ldx, m, y, ldy, bias, 0);
}

void qk_linear_accumulate(const qk_weights *w, const float *x, size_t ldx, int m, float *y,
                          size_t ldy, const float *bias) {
    run_linear(w, x, ldx, m, y, ldy, bias, 1);
}

void qk_linear(const qk_weights *w, const float *x, int m, float *y, const float *bias) {
    if (!w) return;
    qk_linear_strided(w, x, (size_t)w->k, m, y, (size_t)w->n, bias);
}
