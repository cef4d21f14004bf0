"""Synthesised, clustered vectors for the team-index benchmark (Benchmarks/pg.sh).

  vectors.py index INDEX TINY SEED   give every chunk text of INDEX without a vector one, under the
                                     model identity of the real index TINY
  vectors.py copy N MODEL_ID FIRST_TEXT_ID SEED > rows   N rows of quarry_embeddings in PostgreSQL's
                                     binary COPY format, text ids FIRST_TEXT_ID.., model MODEL_ID
  vectors.py queries N SEED          N query vectors as pgvector literals, one a line

Embedding 25k-1M chunks on 2 cores takes hours, so the vectors are made up:
each is one of CLUSTERS random unit centroids plus Gaussian noise (cosine to
its centroid about 0.9), normalised. Uniformly random vectors would make HNSW
look far worse than on real embeddings (no neighbourhood structure); clusters
are closer to how code embeddings group by topic.
"""
import sqlite3, struct, sys
import numpy as np

DIM, CLUSTERS, NOISE = 384, 2000, 0.5


def centroids(seed):
    rng = np.random.default_rng(seed)
    c = rng.standard_normal((CLUSTERS, DIM)).astype(np.float32)
    return c / np.linalg.norm(c, axis=1, keepdims=True)


def clustered(n, seed, rng):
    c = centroids(seed)
    v = c[rng.integers(0, CLUSTERS, n)] + NOISE * rng.standard_normal((n, DIM)).astype(np.float32) / np.sqrt(DIM)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def fill_index(index, tiny, seed):
    name, revision, dim = sqlite3.connect(tiny).execute("SELECT name, revision, dim FROM models").fetchone()
    db = sqlite3.connect(index)
    db.execute("INSERT OR IGNORE INTO models(name, revision, dim) VALUES (?, ?, ?)", (name, revision, dim))
    model = db.execute("SELECT id FROM models WHERE name = ? AND revision = ?", (name, revision)).fetchone()[0]
    hashes = [h for (h,) in db.execute(
        "SELECT DISTINCT content_hash FROM chunks c WHERE NOT EXISTS "
        "(SELECT 1 FROM embeddings e WHERE e.content_hash = c.content_hash AND e.model_id = ?)", (model,))]
    vectors = clustered(len(hashes), seed, np.random.default_rng(seed + len(hashes)))
    db.executemany("INSERT INTO embeddings(content_hash, model_id, dim, vector) VALUES (?, ?, ?, ?)",
                   ((h, model, dim, v.astype("<f4").tobytes()) for h, v in zip(hashes, vectors)))
    db.commit()
    print(len(hashes))


def copy_rows(n, model, first, seed):
    out = sys.stdout.buffer
    out.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
    row = np.dtype([("fields", ">i2"), ("l1", ">i4"), ("id", ">i8"), ("l2", ">i4"), ("model", ">i4"),
                    ("l3", ">i4"), ("dim", ">i2"), ("unused", ">i2"), ("x", ">f2", (DIM,))])
    rng = np.random.default_rng(seed)
    for start in range(0, n, 50_000):
        count = min(50_000, n - start)
        rows = np.zeros(count, dtype=row)
        rows["fields"], rows["l1"], rows["l2"], rows["l3"] = 3, 8, 4, 4 + 2 * DIM
        rows["id"] = np.arange(first + start, first + start + count)
        rows["model"], rows["dim"] = model, DIM
        rows["x"] = clustered(count, seed, rng).astype(np.float16)
        out.write(rows.tobytes())
    out.write(struct.pack(">h", -1))


def queries(n, seed):
    for v in clustered(n, seed, np.random.default_rng(seed * 7 + 1)):
        print("[" + ",".join(f"{x:.5f}" for x in v) + "]")


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "index":
        fill_index(args[0], args[1], int(args[2]))
    elif command == "copy":
        copy_rows(int(args[0]), int(args[1]), int(args[2]), int(args[3]))
    else:
        queries(int(args[0]), int(args[1]))
