#ifndef QUARRY_ATTENTION_H
#define QUARRY_ATTENTION_H
/*
 * One block of queries of one attention head, fused: scores = scale * Q K^T,
 * softmax over each query's visible keys, out = P V, all in fp32 on AVX-512.
 * It replaces two small BLAS calls whose packing copies cost a third of the
 * attention time at head dimensions of 32 and 64.
 */
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Floats of scratch qk_attention_block needs for `queries` x `keys` at head
 * dimension d (for a d it does not handle: the scores of the caller's own
 * path, queries x keys). */
size_t qk_attention_scratch_floats(int queries, int keys, int d);

/* Rows q[i * ld], k[j * ld], v[j * ld] (i < queries, j < keys) hold d floats
 * each; out[i * ldo] receives d floats. Query i sits at position
 * query_start + i and key j at key_start + j of their sequence; with
 * half_window >= 0 a query sees only keys within that distance, else all.
 * A query that sees no key gets zeros. With bf16 != 0 both products take
 * bf16 inputs (Q, K, the probabilities and V rounded to nearest even) with
 * fp32 sums; the softmax stays fp32. Returns 0, or -1 (nothing written)
 * when d is not 32 or 64 or the CPU lacks AVX-512 (or AVX512_BF16 when
 * asked): the caller then computes the block another way. */
int qk_attention_block(const float *q, const float *k, const float *v, size_t ld, int queries,
                       int keys, int d, float scale, int query_start, int key_start,
                       int half_window, int bf16, float *out, size_t ldo, float *scratch);

#ifdef __cplusplus
}
#endif
#endif
