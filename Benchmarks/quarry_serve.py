"""Starts `quarry serve` on a free port for the benchmark scripts."""
import re
import subprocess
import sys
import threading


def start(quarry, corpus, index):
    """The running server and its port; its stderr is drained on a thread from then on."""
    server = subprocess.Popen([quarry, "serve", "--repo", corpus, "--index", index, "--port", "0"],
                              stderr=subprocess.PIPE, text=True)
    port = None
    while port is None:
        line = server.stderr.readline()
        if not line:
            sys.exit("quarry serve did not start")
        found = re.search(r"listening on http://[0-9.]+:(\d+)/", line)
        port = int(found.group(1)) if found else None
    threading.Thread(target=lambda: server.stderr.read(), daemon=True).start()
    return server, port
