/*
 * GFLOP/s of the CKernels linear layers against OpenBLAS cblas_sgemm for the
 * encoder's shapes. Not a unit test: see README.md for how to run it.
 *
 *   ./bench [m] [threads...]     defaults: m = 2048, threads = 1 2
 */
#include "kernels.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One thread: the calling thread's CPU time, which other processes on a
 * shared machine do not inflate. More threads: wall-clock time. */
static clockid_t clock_id = CLOCK_MONOTONIC;

static double now(void) {
    struct timespec ts;
    clock_gettime(clock_id, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void fill(float *v, size_t count, unsigned *seed) {
    for (size_t i = 0; i < count; i++) {
        *seed = *seed * 1664525u + 1013904223u;
        v[i] = ((*seed >> 8) / 16777216.0f) * 2.0f - 1.0f;
    }
}

/* Best-of-several wall time per call, each sample at least ~0.2 s of work. */
static double best_seconds(void (*fn)(void *), void *ctx) {
    fn(ctx);
    double t0 = now();
    fn(ctx);
    double once = now() - t0;
    int reps = once > 0.05 ? 1 : (int)(0.05 / (once + 1e-9)) + 1;
    double best = 1e30;
    for (int s = 0; s < 5; s++) {
        t0 = now();
        for (int r = 0; r < reps; r++) fn(ctx);
        double dt = (now() - t0) / reps;
        if (dt < best) best = dt;
    }
    return best;
}

typedef struct {
    int m, n, k;
    const float *x, *w, *bias;
    float *y;
    const qk_weights *packed;
} call;

static void run_sgemm(void *p) {
    call *c = p;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, c->m, c->n, c->k, 1.0f, c->x, c->k, c->w,
                c->k, 0.0f, c->y, c->n);
}

static void run_qk(void *p) {
    call *c = p;
    qk_linear(c->packed, c->x, c->m, c->y, c->bias);
}

/* One attention head, T tokens, head dim d, packing included:
 * S = Q·K^T (K packed, n = T, k = d) and O = P·V (V packed transposed,
 * n = d, k = T), against two cblas_sgemm calls. */
typedef struct {
    int t, d;
    const float *q, *kmat, *v, *p;
    float *s, *o;
    qk_precision precision;
} head;

static void head_sgemm(void *ctx) {
    head *h = ctx;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, h->t, h->t, h->d, 1.0f, h->q, h->d,
                h->kmat, h->d, 0.0f, h->s, h->t);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, h->t, h->d, h->t, 1.0f, h->p, h->t,
                h->v, h->d, 0.0f, h->o, h->d);
}

static double rel_error(const float *a, const float *ref, size_t count);

static void head_qk(void *ctx) {
    head *h = ctx;
    qk_weights *kp = qk_weights_pack_strided(h->kmat, h->d, 0, h->t, h->d, h->precision);
    qk_linear(kp, h->q, h->t, h->s, NULL);
    qk_weights_free(kp);
    qk_weights *vp = qk_weights_pack_strided(h->v, h->d, 1, h->d, h->t, h->precision);
    qk_linear(vp, h->p, h->t, h->o, NULL);
    qk_weights_free(vp);
}

static double rel_error(const float *a, const float *ref, size_t count) {
    double num = 0, den = 0;
    for (size_t i = 0; i < count; i++) {
        double d = (double)a[i] - ref[i];
        num += d * d;
        den += (double)ref[i] * ref[i];
    }
    return sqrt(num / (den > 0 ? den : 1));
}

static void bench_attention(int t, int d, unsigned *seed) {
    float *q = malloc(sizeof(float) * t * d), *kmat = malloc(sizeof(float) * t * d);
    float *v = malloc(sizeof(float) * t * d), *p = malloc(sizeof(float) * t * t);
    float *s = malloc(sizeof(float) * t * t), *o = malloc(sizeof(float) * t * d);
    fill(q, (size_t)t * d, seed);
    fill(kmat, (size_t)t * d, seed);
    fill(v, (size_t)t * d, seed);
    fill(p, (size_t)t * t, seed);
    float *s_ref = malloc(sizeof(float) * t * t), *o_ref = malloc(sizeof(float) * t * d);
    head h = {t, d, q, kmat, v, p, s_ref, o_ref, QK_FP32};
    double flops = 4.0 * t * t * d;
    printf("1    head T=%d d=%d | %7.1f", t, d, flops / best_seconds(head_sgemm, &h) / 1e9);
    head_sgemm(&h);
    h.s = s;
    h.o = o;
    double err_s[3] = {0, 0, 0}, err_o[3] = {0, 0, 0};
    for (int prec = 0; prec < 3; prec++) {
        h.precision = (qk_precision)prec;
        if (!qk_cpu_supports(h.precision)) {
            printf(" %7s", "-");
            continue;
        }
        printf(" %7.1f", flops / best_seconds(head_qk, &h) / 1e9);
        err_s[prec] = rel_error(s, s_ref, (size_t)t * t);
        err_o[prec] = rel_error(o, o_ref, (size_t)t * d);
    }
    printf(" | S err %.1e %.1e, O err %.1e %.1e (bf16, int8)\n", err_s[1], err_s[2], err_o[1],
           err_o[2]);
    free(q); free(kmat); free(v); free(p); free(s); free(o); free(s_ref); free(o_ref);
}

int main(int argc, char **argv) {
    int m = argc > 1 ? atoi(argv[1]) : 2048;
    int threads[8] = {1, 2};
    int nthreads = 2;
    if (argc > 2) {
        nthreads = 0;
        for (int i = 2; i < argc && nthreads < 8; i++) threads[nthreads++] = atoi(argv[i]);
    }
    static const int shapes[][2] = {  /* n, k */
        {384, 384}, {1152, 384}, {1536, 384}, {3072, 384}, {384, 1536},
        {768, 768}, {2304, 768}, {3072, 768}, {768, 3072},
    };
    const char *coretype = getenv("OPENBLAS_CORETYPE");
    printf("m=%d OPENBLAS_CORETYPE=%s; GFLOP/s = 2mnk / best time (1 thread: thread CPU time, else wall)\n"
           "err = ||y-ref||_F/||ref||_F vs sgemm\n", m,
           coretype ? coretype : "(unset)");
    printf("%-4s %5s %5s | %7s %7s %7s %7s | %8s %8s\n", "thr", "n", "k", "sgemm", "fp32", "bf16",
           "int8", "err bf16", "err int8");
    unsigned seed = 12345;
    for (int ti = 0; ti < nthreads; ti++) {
        openblas_set_num_threads(threads[ti]);
        qk_set_threads(threads[ti]);
        clock_id = threads[ti] == 1 ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC;
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            int n = shapes[s][0], k = shapes[s][1];
            float *x = malloc(sizeof(float) * m * k), *w = malloc(sizeof(float) * n * k);
            float *ref = malloc(sizeof(float) * m * n), *y = malloc(sizeof(float) * m * n);
            fill(x, (size_t)m * k, &seed);
            fill(w, (size_t)n * k, &seed);
            call c = {m, n, k, x, w, NULL, ref, NULL};
            double flops = 2.0 * m * n * k;
            double g_ref = flops / best_seconds(run_sgemm, &c) / 1e9;
            run_sgemm(&c);
            double g[3] = {0, 0, 0}, err[3] = {0, 0, 0};
            for (int p = 0; p < 3; p++) {
                qk_weights *pw = qk_weights_pack(w, n, k, (qk_precision)p);
                if (!pw) continue;
                call q = {m, n, k, x, w, NULL, y, pw};
                g[p] = flops / best_seconds(run_qk, &q) / 1e9;
                err[p] = rel_error(y, ref, (size_t)m * n);
                qk_weights_free(pw);
            }
            printf("%-4d %5d %5d | %7.1f %7.1f %7.1f %7.1f | %8.1e %8.1e  (fp32 err %.1e)\n",
                   threads[ti], n, k, g_ref, g[0], g[1], g[2], err[1], err[2], err[0]);
            fflush(stdout);
            free(x); free(w); free(ref); free(y);
        }
    }
    openblas_set_num_threads(1);
    qk_set_threads(1);
    clock_id = CLOCK_THREAD_CPUTIME_ID;
    bench_attention(512, 32, &seed);
    bench_attention(512, 64, &seed);
    bench_attention(128, 32, &seed);
    return 0;
}
