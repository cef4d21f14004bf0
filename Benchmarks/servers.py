"""Driver for Benchmarks/servers.sh: see its header."""
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

import quarry_serve

quarry, corpus, index, duration = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
# The queries Benchmarks/search.sh times too.
queries = open(os.path.join(os.path.dirname(__file__), "queries.txt")).read().splitlines()


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def rss(pid):
    """RSS in MB: total, and its anonymous part (the rest is the mapped index and vector files)."""
    with open(f"/proc/{pid}/status") as status:
        text = status.read()
    field = lambda name: int(re.search(name + r":\s+(\d+)", text).group(1)) / 1024
    return f"{field('VmRSS'):.0f} MB ({field('RssAnon'):.0f} MB anonymous)"


def search_path(query, mode="hybrid"):
    return "/api/search?" + urllib.parse.urlencode({"q": query, "mode": mode, "k": 10})


server, port = quarry_serve.start(quarry, corpus, index)

connection = http.client.HTTPConnection("127.0.0.1", port)
def get(conn, path):
    conn.request("GET", path)
    response = conn.getresponse()
    return response.status, response.read()

for query in queries[:5]:
    get(connection, search_path(query))
for mode in ["hybrid", "lexical", "semantic"]:
    times = []
    for round in range(10):
        for query in queries:
            start = time.perf_counter()
            status, body = get(connection, search_path(f"{query} {round}" if round else query, mode))
            times.append(time.perf_counter() - start)
            assert status == 200, body
    print(f"HTTP warm {mode:8s} one keep-alive connection, {len(times)} queries: "
          f"p50 {statistics.median(times)*1000:.1f} ms, p99 {percentile(times, 0.99)*1000:.1f} ms")
connection.close()

# 8 clients, refresh halfway.
marker = f"quarry_bench_marker_{int(time.time())}"
counts, errors, stop = [0] * 8, [], threading.Event()
def client(slot):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    n = 0
    while not stop.is_set():
        try:
            status, body = get(conn, search_path(queries[(slot + n) % len(queries)]))
            if status != 200:
                errors.append(f"HTTP {status}: {body[:200]!r}")
        except Exception as error:  # a failed request is counted, then the client reconnects
            errors.append(repr(error))
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        n += 1
        counts[slot] = n
rss_start = rss(server.pid)
threads = [threading.Thread(target=client, args=(slot,)) for slot in range(8)]
started = time.perf_counter()
for thread in threads:
    thread.start()
time.sleep(duration / 2)
with open(f"{corpus}/{marker}.py", "w") as source:
    source.write(f"def {marker}(x):\n    return x\n")
subprocess.run(["git", "-C", corpus, "add", "-A"], check=True)
subprocess.run(["git", "-C", corpus, "-c", "user.name=bench", "-c", "user.email=bench@example.invalid",
                "commit", "-qm", "refresh"], check=True)
refresh_start = time.perf_counter()
subprocess.run([quarry, "index", corpus, "--index", index, "--quiet"], check=True)
refresh_seconds = time.perf_counter() - refresh_start
probe = http.client.HTTPConnection("127.0.0.1", port)
status, body = get(probe, search_path(marker, "lexical"))
visible = status == 200 and marker in body.decode()
time.sleep(max(0, duration - (time.perf_counter() - started)))
stop.set()
for thread in threads:
    thread.join()
elapsed = time.perf_counter() - started
rss_end = rss(server.pid)
total = sum(counts)
print(f"HTTP 8 keep-alive clients for {elapsed:.0f} s (hybrid): {total} requests, {total/elapsed:.0f} req/s, "
      f"{len(errors)} errors; RSS {rss_start} at start, {rss_end} at end")
print(f"refresh during load: quarry index took {refresh_seconds:.1f} s; new function visible right after: {visible}")
for error in errors[:5]:
    print("  error:", error)
server.terminate()
server.wait()

# MCP round trips over stdio.
mcp = subprocess.Popen([quarry, "mcp", "--repo", corpus, "--index", index], stdin=subprocess.PIPE,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
def call(request_id, query):
    message = {"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
               "params": {"name": "search", "arguments": {"query": query, "limit": 10}}}
    mcp.stdin.write(json.dumps(message) + "\n")
    mcp.stdin.flush()
    reply = json.loads(mcp.stdout.readline())
    assert reply["id"] == request_id and not reply["result"]["isError"], reply
times = []
for n in range(5):
    call(n, queries[n])
for n in range(200):
    start = time.perf_counter()
    call(100 + n, f"{queries[n % len(queries)]} {n // len(queries)}")
    times.append(time.perf_counter() - start)
mcp.stdin.close()
mcp.wait()
print(f"MCP search round trip over stdio, warm, {len(times)} calls (hybrid): p50 {statistics.median(times)*1000:.1f} ms, "
      f"p99 {percentile(times, 0.99)*1000:.1f} ms")
sys.exit(1 if errors or not visible else 0)
