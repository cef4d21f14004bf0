"""Prints what `quarry serve` answers to the benchmark queries in every mode,
with filters, a deep k and non-Latin queries: one JSON line per request. Run
it with two binaries over the same index and diff the outputs to check that a
speed-up changed no result (scores included).

    python3 Benchmarks/same-results.py QUARRY_BINARY CORPUS INDEX > out.jsonl
"""
import http.client
import os
import sys
import urllib.parse

import quarry_serve

quarry, corpus, index = sys.argv[1], sys.argv[2], sys.argv[3]
queries = open(os.path.join(os.path.dirname(__file__), "queries.txt")).read().splitlines()
queries += ["读取配置文件", "パスワードを確認する", "Datei komprimieren", "x", "retry retry retry timeout"]

requests = []
for query in queries:
    for mode in ["hybrid", "semantic", "lexical"]:
        requests.append({"q": query, "mode": mode, "k": 10})
    requests.append({"q": query, "mode": "hybrid", "k": 40})
    requests.append({"q": query, "mode": "hybrid", "k": 5, "lang": "python"})
    requests.append({"q": query, "mode": "semantic", "k": 10, "path": "*.go"})

server, port = quarry_serve.start(quarry, corpus, index)
connection = http.client.HTTPConnection("127.0.0.1", port)
try:
    for parameters in requests:
        connection.request("GET", "/api/search?" + urllib.parse.urlencode(parameters))
        response = connection.getresponse()
        body = response.read().decode()
        print(urllib.parse.urlencode(parameters), response.status, body)
finally:
    server.terminate()
    server.wait()
