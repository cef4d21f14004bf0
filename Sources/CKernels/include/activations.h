#ifndef QUARRY_ACTIVATIONS_H
#define QUARRY_ACTIVATIONS_H
/*
 * Element-wise kernels for the encoder's non-linear steps (GELU, SiLU, the
 * exponentials of softmax). The AVX-512 paths use a range-reduced polynomial
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

#ifdef __cplusplus
}
#endif
#endif
