/* sgemm.c - measures this machine's single-precision GEMM rate through the CBLAS
 * interface of the system OpenBLAS (Debian libopenblas, the library quarry links).
 *
 *   sgemm [M N K] [REPS]     default 2048 1536 384 (tokens x FFN-out x hidden), 20 reps
 *
 * C[M,N] = A[M,K] * B[N,K]^T, the shape of a linear layer on a batch of tokens.
 * Prints one JSON line: best and median GFLOP/s over REPS timed calls (after a warm-up),
 * counting 2*M*N*K flops per call, plus the OpenBLAS core and thread count it ran with.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

char *openblas_get_corename(void);
int openblas_get_num_threads(void);
char *openblas_get_config(void);

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int m = argc > 3 ? atoi(argv[1]) : 2048, n = argc > 3 ? atoi(argv[2]) : 1536;
    int k = argc > 3 ? atoi(argv[3]) : 384, reps = argc > 4 ? atoi(argv[4]) : 20;
    if (m < 1 || n < 1 || k < 1 || reps < 1) { fprintf(stderr, "bad arguments\n"); return 2; }
    float *a = malloc(sizeof(float) * (size_t)m * k), *b = malloc(sizeof(float) * (size_t)n * k);
    float *c = malloc(sizeof(float) * (size_t)m * n);
    double *rates = malloc(sizeof(double) * reps);
    for (size_t i = 0; i < (size_t)m * k; i++) a[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
    for (size_t i = 0; i < (size_t)n * k; i++) b[i] = (float)((i * 104729) % 1000) / 1000.0f - 0.5f;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, k, b, k, 0.0f, c, n);
    for (int r = 0; r < reps; r++) {
        double start = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, k, b, k, 0.0f, c, n);
        rates[r] = 2.0 * m * n * k / (now() - start) / 1e9;
    }
    qsort(rates, reps, sizeof(double), compare);
    printf("{\"m\": %d, \"n\": %d, \"k\": %d, \"best_gflops\": %.2f, \"median_gflops\": %.2f, "
           "\"core\": \"%s\", \"threads\": %d, \"config\": \"%s\", \"checksum\": %.3f}\n",
           m, n, k, rates[reps - 1], rates[reps / 2], openblas_get_corename(),
           openblas_get_num_threads(), openblas_get_config(), (double)c[0] + c[(size_t)m * n - 1]);
    free(a); free(b); free(c); free(rates);
    return 0;
}
