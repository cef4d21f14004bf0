"""Whole-process latency of `quarry search --db` (Benchmarks/pg.sh), side by side with
a local search of a one-file index and with `quarry --help` (process start and exit
alone), and the median of each phase `--stats` reports, so the time can be placed;
then the same queries to one `quarry serve --db` (model loaded once, connections kept).

  latency.py QUARRY URL QUERIES TINY_INDEX [N]
"""
import json, re, statistics, subprocess, sys, time, urllib.parse, urllib.request

quarry, url, queries, tiny = sys.argv[1:5]
count = int(sys.argv[5]) if len(sys.argv) > 5 else 20
questions = open(queries).read().splitlines()[:count]
print(f"load average before: {' '.join(open('/proc/loadavg').read().split()[:3])}")


def run(arguments):
    start = time.perf_counter()
    done = subprocess.run([quarry, *arguments], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - start
    if done.returncode > 1:
        sys.exit(f"quarry {' '.join(arguments)} failed: {done.stderr.decode()}")
    return seconds, done.stderr.decode()


def percentile(times, fraction):
    return sorted(times)[max(0, int(len(times) * fraction) - 1)] * 1000


floor = [run(["--help"])[0] for _ in questions]
print(f"quarry --help (process start and exit): p50 {statistics.median(floor) * 1000:.0f} ms")
for mode, where in [("semantic", ["--db", url]), ("semantic", ["--index", tiny]), ("hybrid", ["--db", url]),
                    ("hybrid", ["--index", tiny]), ("lexical", ["--db", url])]:
    times, phases = [], {}
    for question in questions:
        seconds, stderr = run(["search", *where, "--mode", mode, "-k", "10", "--json", "--stats", question])
        times.append(seconds)
        for name, value in re.findall(r"([a-z][a-z ]*?) ([0-9.]+) ms", stderr.split("stats:")[-1]):
            phases.setdefault(name.strip(), []).append(float(value))
    target = "--db (1M vectors, 50 repositories)" if where[0] == "--db" else "--index (local, 1 file)"
    detail = ", ".join(f"{name} {statistics.median(values):.1f}" for name, values in phases.items())
    print(f"whole-process quarry search {target} --mode {mode}, {len(questions)} queries: "
          f"p50 {statistics.median(times) * 1000:.0f} ms, p90 {percentile(times, 0.9):.0f} ms; "
          f"--stats medians (ms): {detail}")
server = subprocess.Popen([quarry, "serve", "--db", url, "--port", "0"], stderr=subprocess.PIPE, text=True)
try:
    port = None
    for line in server.stderr:
        found = re.search(r"http://127\.0\.0\.1:([0-9]+)/", line)
        if found:
            port = found.group(1)
            break
    for mode in ["semantic", "hybrid", "lexical"]:
        times = []
        for question in [questions[0]] + questions:  # the first warms the model
            query = urllib.parse.urlencode({"q": question, "mode": mode, "k": 10})
            start = time.perf_counter()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?{query}") as answer:
                json.load(answer)
            times.append(time.perf_counter() - start)
        times = times[1:]
        print(f"quarry serve --db, GET /api/search --mode {mode}, {len(times)} queries one at a time: "
              f"p50 {statistics.median(times) * 1000:.0f} ms, p90 {percentile(times, 0.9):.0f} ms")
finally:
    server.terminate()
    server.wait()
print(f"load average after: {' '.join(open('/proc/loadavg').read().split()[:3])}")
