"""Two binaries' warm `quarry serve` over one index, side by side: both
servers run at once and each query goes to both, in alternating order, so a
shared, noisy CPU loads them alike. Prints per-mode p50s, their ratio
(second over first) and p99s.

    python3 Benchmarks/servers-paired.py BEFORE_BINARY AFTER_BINARY CORPUS INDEX [ROUNDS]
"""
import http.client
import os
import statistics
import sys
import time
import urllib.parse

import quarry_serve

binaries, corpus, index = sys.argv[1:3], sys.argv[3], sys.argv[4]
rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 15
queries = open(os.path.join(os.path.dirname(__file__), "queries.txt")).read().splitlines()


def get(connection, query, mode):
    connection.request("GET", "/api/search?" + urllib.parse.urlencode({"q": query, "mode": mode, "k": 10}))
    response = connection.getresponse()
    body = response.read()
    assert response.status == 200, body


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


servers = [quarry_serve.start(binary, corpus, index) for binary in binaries]
try:
    connections = [http.client.HTTPConnection("127.0.0.1", port) for _, port in servers]
    for connection in connections:
        for query in queries[:5]:
            get(connection, query, "hybrid")
    for mode in ["hybrid", "semantic", "lexical"]:
        times = [[], []]
        for round in range(rounds):
            for n, query in enumerate(queries):
                # A new suffix each round keeps any cache from answering.
                text = f"{query} {round}" if round else query
                for side in ([0, 1] if (round + n) % 2 else [1, 0]):
                    start = time.perf_counter()
                    get(connections[side], text, mode)
                    times[side].append(time.perf_counter() - start)
        p50 = [statistics.median(side) * 1000 for side in times]
        print(f"{mode:8s} {len(times[0])} queries each: p50 {p50[0]:.1f} ms -> {p50[1]:.1f} ms "
              f"(ratio {p50[1] / p50[0]:.2f}), p99 {percentile(times[0], 0.99) * 1000:.1f} ms -> "
              f"{percentile(times[1], 0.99) * 1000:.1f} ms")
finally:
    for server, _ in servers:
        server.terminate()
        server.wait()
