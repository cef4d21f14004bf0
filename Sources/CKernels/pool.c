/*
 * Persistent worker pool. ~100 linear layers run per encoder batch, so
 * workers are created once and then sleep on a condition variable between
 * runs instead of being created per call.
 */
#include "pool.h"
#include "kernels.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct {
    pthread_mutex_t call_lock;   /* serialises qk_pool_run callers */
    pthread_mutex_t lock;        /* guards the fields below */
    pthread_cond_t start;
    pthread_cond_t done;
    unsigned long generation;    /* bumped once per run */
    int active;                  /* participants in the current run */
    int pending;                 /* workers (tid >= 1) still running */
    qk_task_fn fn;
    void *ctx;
    int nworkers;                /* threads created so far (excluding caller) */
    void *scratch[QK_MAX_THREADS];
    /* Generation current when each worker was created: a worker may first
     * run after the next run has already been announced. */
    unsigned long born[QK_MAX_THREADS];
    int requested;               /* 0 = online CPUs */
} qk_pool;

static qk_pool pool = {
    .call_lock = PTHREAD_MUTEX_INITIALIZER,
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .start = PTHREAD_COND_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
};

/* Set while this thread runs a share of a pool run: a nested qk_pool_run
 * (qk_linear called from a qk_parallel_for body) then runs inline on this
 * thread, reusing its scratch, instead of deadlocking on call_lock. The
 * parallel_for body does not use the scratch itself. */
static _Thread_local void *running_scratch;

static int online_cpus(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (n > QK_MAX_THREADS ? QK_MAX_THREADS : (int)n);
}

/* The calling thread's own cap (qk_set_thread_limit); 0: none. */
static _Thread_local int thread_limit;

int qk_pool_threads(void) {
    pthread_mutex_lock(&pool.lock);
    int n = pool.requested;
    pthread_mutex_unlock(&pool.lock);
    if (n <= 0) n = online_cpus();
    return thread_limit > 0 && thread_limit < n ? thread_limit : n;
}

void qk_set_thread_limit(int n) { thread_limit = n < 0 ? 0 : n; }

void qk_pool_set_threads(int n) {
    pthread_mutex_lock(&pool.lock);
    pool.requested = n <= 0 ? 0 : (n > QK_MAX_THREADS ? QK_MAX_THREADS : n);
    pthread_mutex_unlock(&pool.lock);
}

static void *worker_main(void *arg) {
    int tid = (int)(size_t)arg;
    pthread_mutex_lock(&pool.lock);
    unsigned long seen = pool.born[tid];
    for (;;) {
        while (pool.generation == seen)
            pthread_cond_wait(&pool.start, &pool.lock);
        seen = pool.generation;
        int active = pool.active;
        qk_task_fn fn = pool.fn;
        void *ctx = pool.ctx;
        pthread_mutex_unlock(&pool.lock);
        if (tid < active) {
            running_scratch = pool.scratch[tid];
            fn(ctx, tid, active, pool.scratch[tid]);
            running_scratch = NULL;
        }
        pthread_mutex_lock(&pool.lock);
        if (tid < active && --pool.pending == 0) pthread_cond_signal(&pool.done);
    }
    return NULL;
}

/* Grows the pool towards n participants; returns how many are usable.
 * Called with call_lock held. */
static int ensure_participants(int n) {
    if (!pool.scratch[0]) {
        pool.scratch[0] = aligned_alloc(64, QK_SCRATCH_BYTES);
        if (!pool.scratch[0]) return 0;
    }
    while (pool.nworkers + 1 < n) {
        int tid = pool.nworkers + 1;
        if (!pool.scratch[tid]) {
            pool.scratch[tid] = aligned_alloc(64, QK_SCRATCH_BYTES);
            if (!pool.scratch[tid]) break;
        }
        pthread_mutex_lock(&pool.lock);
        pool.born[tid] = pool.generation;
        pthread_mutex_unlock(&pool.lock);
        pthread_t thread;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&thread, &attr, worker_main, (void *)(size_t)tid);
        pthread_attr_destroy(&attr);
        if (rc != 0) break;
        pthread_mutex_lock(&pool.lock);
        pool.nworkers = tid;
        pthread_mutex_unlock(&pool.lock);
    }
    return pool.nworkers + 1 < n ? pool.nworkers + 1 : n;
}

/* Scratch owned by a calling thread (freed when it exits), for runs that
 * need no workers: those skip call_lock, so callers that each use one
 * thread (small products, or qk_set_threads(1)) run concurrently. */
static pthread_key_t own_scratch_key;
static pthread_once_t own_scratch_once = PTHREAD_ONCE_INIT;
static int own_scratch_ready;

static void make_own_scratch_key(void) {
    own_scratch_ready = pthread_key_create(&own_scratch_key, free) == 0;
}

static void *own_scratch(void) {
    pthread_once(&own_scratch_once, make_own_scratch_key);
    if (!own_scratch_ready) return NULL;
    void *scratch = pthread_getspecific(own_scratch_key);
    if (!scratch) {
        scratch = aligned_alloc(64, QK_SCRATCH_BYTES);
        if (scratch && pthread_setspecific(own_scratch_key, scratch) != 0) {
            free(scratch);
            scratch = NULL;
        }
    }
    return scratch;
}

void qk_pool_run(int nthreads, qk_task_fn fn, void *ctx) {
    if (nthreads < 1) nthreads = 1;
    if (nthreads > QK_MAX_THREADS) nthreads = QK_MAX_THREADS;
    if (running_scratch) {
        fn(ctx, 0, 1, running_scratch);
        return;
    }
    if (nthreads == 1) {
        void *scratch = own_scratch();
        if (scratch) {
            running_scratch = scratch;
            fn(ctx, 0, 1, scratch);
            running_scratch = NULL;
            return;
        }
    }
    pthread_mutex_lock(&pool.call_lock);
    int n = ensure_participants(nthreads);
    if (n < 1) {
        /* No scratch at all: run unthreaded with a temporary buffer. */
        void *tmp = aligned_alloc(64, QK_SCRATCH_BYTES);
        running_scratch = tmp;
        if (tmp) fn(ctx, 0, 1, tmp);
        running_scratch = NULL;
        free(tmp);
        pthread_mutex_unlock(&pool.call_lock);
        return;
    }
    if (n > 1) {
        pthread_mutex_lock(&pool.lock);
        pool.fn = fn;
        pool.ctx = ctx;
        pool.active = n;
        pool.pending = n - 1;
        pool.generation++;
        pthread_cond_broadcast(&pool.start);
        pthread_mutex_unlock(&pool.lock);
    }
    running_scratch = pool.scratch[0];
    fn(ctx, 0, n, pool.scratch[0]);
    running_scratch = NULL;
    if (n > 1) {
        pthread_mutex_lock(&pool.lock);
        while (pool.pending > 0) pthread_cond_wait(&pool.done, &pool.lock);
        pthread_mutex_unlock(&pool.lock);
    }
    pthread_mutex_unlock(&pool.call_lock);
}

typedef struct {
    qk_index_fn fn;
    void *ctx;
    int count;
    atomic_int next;
} index_job;

static void index_task(void *ctx, int tid, int nthreads, void *scratch) {
    (void)tid;
    (void)nthreads;
    (void)scratch;
    index_job *job = ctx;
    for (;;) {
        int i = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed);
        if (i >= job->count) break;
        job->fn(job->ctx, i);
    }
}

void qk_parallel_for(int count, qk_index_fn fn, void *ctx) {
    if (count < 1 || !fn) return;
    index_job job = {.fn = fn, .ctx = ctx, .count = count};
    atomic_init(&job.next, 0);
    int n = qk_pool_threads();
    qk_pool_run(n < count ? n : count, index_task, &job);
}
