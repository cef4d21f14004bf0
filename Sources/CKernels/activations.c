#include "activations.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#include "simd.h"
#define QK_AVX512 __attribute__((target("avx512f")))

/* exp(x) by x = n*ln2 + r, |r| <= ln2/2, a degree-7 Taylor polynomial in r
 * (truncation error ~r^8/8! < 6e-9) and 2^n applied exactly with scalef. */
QK_AVX512 static inline __m512 exp512(__m512 x) {
    /* Below ln(FLT_MIN) the result flushes to 0 (no subnormals, no NaN). */
    const __mmask16 representable = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.3365448f), _CMP_GE_OQ);
    x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.3762626647949f)), _mm512_set1_ps(-87.3365448f));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    /* ln2 split in two so n*ln2 is subtracted without rounding loss. */
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.0f / 5040.0f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_maskz_mov_ps(representable, _mm512_scalef_ps(p, n));
}

/* erf(z) = 1 - erfc(z) for z >= 0 with erfc(z) = t*exp(-z^2 + P(t)),
 * t = 1/(1 + z/2): the Chebyshev fit from Numerical Recipes (fractional
 * error < 1.2e-7 everywhere); odd symmetry gives negative z. */
QK_AVX512 static inline __m512 erf512(__m512 z) {
    const __m512 a = _mm512_abs_ps(z);
    const __m512 t = _mm512_div_ps(_mm512_set1_ps(1.0f),
                                   _mm512_fmadd_ps(a, _mm512_set1_ps(0.5f), _mm512_set1_ps(1.0f)));
    __m512 p = _mm512_set1_ps(0.17087277f);
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.82215223f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.48851587f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.13520398f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.27886807f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.18628806f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.09678418f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.37409196f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.00002368f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.26551223f));
    p = _mm512_fnmadd_ps(a, a, p);
    const __m512 erfc = _mm512_mul_ps(t, exp512(p));
    const __m512 magnitude = _mm512_sub_ps(_mm512_set1_ps(1.0f), erfc);
    /* copy the sign of z onto erf(|z|) */
    const __m512i sign = _mm512_and_si512(_mm512_castps_si512(z), _mm512_set1_epi32((int)0x80000000u));
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(magnitude), sign));
}

QK_AVX512 static void gelu_avx512(float *x, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 v = _mm512_loadu_ps(x + i);
        const __m512 e = erf512(_mm512_mul_ps(v, _mm512_set1_ps(0.70710678118654752f)));
        _mm512_storeu_ps(x + i, _mm512_mul_ps(_mm512_mul_ps(v, _mm512_set1_ps(0.5f)),
                                              _mm512_add_ps(e, _mm512_set1_ps(1.0f))));
    }
    if (i < n) {
        const __mmask16 mask = lanes((int)(n - i));
        const __m512 v = _mm512_maskz_loadu_ps(mask, x + i);
        const __m512 e = erf512(_mm512_mul_ps(v, _mm512_set1_ps(0.70710678118654752f)));
        _mm512_mask_storeu_ps(x + i, mask, _mm512_mul_ps(_mm512_mul_ps(v, _mm512_set1_ps(0.5f)),
                                                         _mm512_add_ps(e, _mm512_set1_ps(1.0f))));
    }
}

QK_AVX512 static void silu_avx512(float *x, size_t n) {
    const __m512 one = _mm512_set1_ps(1.0f);
    size_t i = 0;
    for (; i < n; i += 16) {
        const __mmask16 mask = lanes((int)(n - i));
        const __m512 v = _mm512_maskz_loadu_ps(mask, x + i);
        const __m512 d = _mm512_add_ps(one, exp512(_mm512_sub_ps(_mm512_setzero_ps(), v)));
        _mm512_mask_storeu_ps(x + i, mask, _mm512_div_ps(v, d));
    }
}

QK_AVX512 static float exp_sum_avx512(float *x, size_t n, float shift) {
    const __m512 s = _mm512_set1_ps(shift);
    __m512 total = _mm512_setzero_ps();
    for (size_t i = 0; i < n; i += 16) {
        const __mmask16 mask = lanes((int)(n - i));
        const __m512 e = exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask, x + i), s));
        _mm512_mask_storeu_ps(x + i, mask, e);
        total = _mm512_add_ps(total, _mm512_maskz_mov_ps(mask, e));
    }
    return _mm512_reduce_add_ps(total);
}

QK_AVX512 static void softmax_avx512(float *x, size_t n) {
    __m512 top = _mm512_set1_ps(-INFINITY);
    for (size_t i = 0; i < n; i += 16) {
        const __mmask16 mask = lanes((int)(n - i));
        /* max_ps returns its second operand when either is NaN: NaN entries are skipped. */
        top = _mm512_max_ps(_mm512_mask_loadu_ps(top, mask, x + i), top);
    }
    const float maximum = _mm512_reduce_max_ps(top);
    if (!isfinite(maximum)) {
        memset(x, 0, n * sizeof(float));
        return;
    }
    const __m512 inverse = _mm512_set1_ps(1.0f / exp_sum_avx512(x, n, maximum));
    for (size_t i = 0; i < n; i += 16) {
        const __mmask16 mask = lanes((int)(n - i));
        _mm512_mask_storeu_ps(x + i, mask, _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, x + i), inverse));
    }
}

/* Mean and variance in fp32 over 16 lanes and two running sums each (every
 * lane adds width/32 values, so rounding stays near 1e-7 relative); the rows
 * are a few hundred floats and stay in L1 across the three passes. */
QK_AVX512 static void layer_norm_avx512(float *r, const float *residual, size_t width,
                                        const float *weight, const float *bias, float epsilon) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= width; i += 32) {
        __m512 a = _mm512_loadu_ps(r + i), b = _mm512_loadu_ps(r + i + 16);
        if (residual) {
            a = _mm512_add_ps(a, _mm512_loadu_ps(residual + i));
            b = _mm512_add_ps(b, _mm512_loadu_ps(residual + i + 16));
            _mm512_storeu_ps(r + i, a);
            _mm512_storeu_ps(r + i + 16, b);
        }
        s0 = _mm512_add_ps(s0, a);
        s1 = _mm512_add_ps(s1, b);
    }
    for (; i < width; i += 16) {
        const __mmask16 mask = lanes((int)(width - i));
        __m512 v = _mm512_maskz_loadu_ps(mask, r + i);
        if (residual) {
            v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, residual + i));
            _mm512_mask_storeu_ps(r + i, mask, v);
        }
        s0 = _mm512_add_ps(s0, v);
    }
    const float mean = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1)) / (float)width;
    const __m512 mean_v = _mm512_set1_ps(mean);
    __m512 q0 = _mm512_setzero_ps(), q1 = _mm512_setzero_ps();
    for (i = 0; i + 32 <= width; i += 32) {
        const __m512 a = _mm512_sub_ps(_mm512_loadu_ps(r + i), mean_v);
        const __m512 b = _mm512_sub_ps(_mm512_loadu_ps(r + i + 16), mean_v);
        q0 = _mm512_fmadd_ps(a, a, q0);
        q1 = _mm512_fmadd_ps(b, b, q1);
    }
    for (; i < width; i += 16) {
        const __mmask16 mask = lanes((int)(width - i));
        const __m512 a = _mm512_maskz_sub_ps(mask, _mm512_maskz_loadu_ps(mask, r + i), mean_v);
        q0 = _mm512_fmadd_ps(a, a, q0);
    }
    const float variance = _mm512_reduce_add_ps(_mm512_add_ps(q0, q1)) / (float)width;
    const __m512 inverse = _mm512_set1_ps(1.0f / sqrtf(variance + epsilon));
    for (i = 0; i < width; i += 16) {
        const __mmask16 mask = lanes((int)(width - i));
        const __m512 centred = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask, r + i), mean_v), inverse);
        __m512 y = _mm512_mul_ps(centred, _mm512_maskz_loadu_ps(mask, weight + i));
        if (bias) y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(mask, bias + i));
        _mm512_mask_storeu_ps(r + i, mask, y);
    }
}

static int has_avx512(void) {
    static int cached = -1;
    if (cached < 0) cached = __builtin_cpu_supports("avx512f") ? 1 : 0;
    return cached;
}
#else
static int has_avx512(void) { return 0; }
#endif

void qk_gelu_erf(float *x, size_t n) {
#if defined(__x86_64__)
    if (has_avx512()) { gelu_avx512(x, n); return; }
#endif
    for (size_t i = 0; i < n; i++) x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752f));
}

void qk_silu(float *x, size_t n) {
#if defined(__x86_64__)
    if (has_avx512()) { silu_avx512(x, n); return; }
#endif
    for (size_t i = 0; i < n; i++) x[i] = x[i] / (1.0f + expf(-x[i]));
}

float qk_exp_shifted_sum(float *x, size_t n, float shift) {
#if defined(__x86_64__)
    if (has_avx512()) return exp_sum_avx512(x, n, shift);
#endif
    float sum = 0;
    for (size_t i = 0; i < n; i++) { x[i] = expf(x[i] - shift); sum += x[i]; }
    return sum;
}

void qk_softmax(float *x, size_t n) {
    if (n == 0) return;
#if defined(__x86_64__)
    if (has_avx512()) { softmax_avx512(x, n); return; }
#endif
    float maximum = -INFINITY;
    for (size_t i = 0; i < n; i++) if (x[i] > maximum) maximum = x[i];
    if (!isfinite(maximum)) { memset(x, 0, n * sizeof(float)); return; }
    const float inverse = 1.0f / qk_exp_shifted_sum(x, n, maximum);
    for (size_t i = 0; i < n; i++) x[i] *= inverse;
}

static void layer_norm_scalar(float *r, const float *residual, size_t width,
                              const float *weight, const float *bias, float epsilon) {
    double sum = 0; /* double: a scalar fp32 chain would drift on long rows */
    for (size_t i = 0; i < width; i++) {
        if (residual) r[i] += residual[i];
        sum += r[i];
    }
    const float mean_f = (float)(sum / (double)width);
    double squares = 0;
    for (size_t i = 0; i < width; i++) { const double d = r[i] - mean_f; squares += d * d; }
    const float variance = (float)(squares / (double)width);
    const float inverse = 1.0f / sqrtf(variance + epsilon);
    for (size_t i = 0; i < width; i++)
        r[i] = (r[i] - mean_f) * inverse * weight[i] + (bias ? bias[i] : 0.0f);
}

void qk_layer_norm(float *x, const float *residual, size_t rows, size_t width,
                   const float *weight, const float *bias, float epsilon) {
    for (size_t row = 0; row < rows; row++) {
        float *r = x + row * width;
        const float *add = residual ? residual + row * width : NULL;
#if defined(__x86_64__)
        if (has_avx512()) { layer_norm_avx512(r, add, width, weight, bias, epsilon); continue; }
#endif
        layer_norm_scalar(r, add, width, weight, bias, epsilon);
    }
}
