#ifndef QUARRY_ACTIVATIONS_H
#define QUARRY_ACTIVATIONS_H
/*
 * Element-wise and row-wise kernels for the encoder's non-linear steps (GELU,
 * SiLU, softmax, LayerNorm). The AVX-512 paths use a range-reduced polynomial
 * exp (relative error ~1e-7) and an erfc approximation with fractional error
 * below 1.2e-7; both are far inside the 1e-4 parity budget. Without AVX-512
 * they fall back to libm's erff/expf, computing the same functions.
 */
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* x[i] = 0.5 * x[i] * (1 + erf(x[i] / sqrt(2)))   (exact-erf GELU) */
void qk_gelu_erf(float *x, size_t n);

/* x[i] = x[i] / (1 + exp(-x[i]))                   (SiLU) */
void qk_silu(float *x, size_t n);

/* x[i] = exp(x[i] - shift); returns the sum of the new x[i] (softmax numerator). */
float qk_exp_shifted_sum(float *x, size_t n, float shift);

/* Softmax of x[0..n) in place. A row whose largest value is not finite (all
 * -inf, or +inf) becomes all zeros rather than NaN. */
void qk_softmax(float *x, size_t n);

/* For each of `rows` rows of `width` floats: x += residual (when residual is
 * not NULL), then LayerNorm in place: (x - mean) / sqrt(var + epsilon) *
 * weight + bias (bias may be NULL), population variance, as PyTorch computes
 * it in fp32 (vectorised partial sums, so long rows do not drift). */
void qk_layer_norm(float *x, const float *residual, size_t rows, size_t width,
                   const float *weight, const float *bias, float epsilon);

#ifdef __cplusplus
}
#endif
#endif
