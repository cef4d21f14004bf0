#ifndef QUARRY_KERNELS_H
#define QUARRY_KERNELS_H
/* Hand-written SIMD kernels for the encoder; see kernels.c. */
#endif
