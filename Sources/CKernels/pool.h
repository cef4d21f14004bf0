#ifndef QUARRY_KERNELS_POOL_H
#define QUARRY_KERNELS_POOL_H
/* Internal: a persistent thread pool for the kernels (see pool.c). */
#include <stddef.h>

#define QK_MAX_THREADS 64

/* Bytes of private scratch memory each participant gets per run (64-byte
 * aligned). Sized for one packed activation block, see linear.c. */
#define QK_SCRATCH_BYTES (128u * 1024u)

/* One participant's share of a parallel run: tid in [0, nthreads). */
typedef void (*qk_task_fn)(void *ctx, int tid, int nthreads, void *scratch);

/* Runs fn(ctx, tid, n, scratch) for tid = 0..n-1, with n <= nthreads (fewer
 * when threads or scratch cannot be created), tid 0 on the calling thread.
 * Returns when every share has finished. Runs with one participant execute
 * directly on the caller; runs with workers are serialised. */
void qk_pool_run(int nthreads, qk_task_fn fn, void *ctx);

/* Thread count requested through qk_set_threads (resolved, >= 1). */
int qk_pool_threads(void);
void qk_pool_set_threads(int n);

#endif
