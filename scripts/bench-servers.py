#!/usr/bin/env python3
"""bench-servers: the third table of `make bench` (scripts/bench-services.sh
runs it): the same product on each web server lda-server can run --
lighttpd, Apache with mod_fcgid, Apache with plain CGI -- each started here
with its var dir on tmpfs. Per server: the 20-event run of
bench-services.py (one layering sequence) as p50/p99 over N sequential
runs on one keep-alive connection, and the best of R whole runs of the
realistic input (curl upload), against the same input through lighttpd.
Reports, never fails on figures; exit 1 when a server does not start.

usage: bench-servers.py INPUT [RUNS]  (environment: BENCH_SVC_LAT_RUNS)"""
import http.client
import os
import subprocess
import sys
import tempfile
import time
import uuid

from benchlib import ROOT, SERVER, bench_services, free_port


def post(conn, body):
    conn.request("POST", "/api/orchestrate", body=body,
                 headers={"Content-Type": "text/csv",
                          "X-Request-ID": str(uuid.uuid4())})
    r = conn.getresponse()
    r.read()
    if r.status != 200:
        raise RuntimeError("HTTP %d" % r.status)


def measure(kind, big, lat_runs, big_runs):
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    var = tempfile.mkdtemp(prefix="lda-bench-%s." % kind, dir=base)
    os.chmod(var, 0o755)
    port = free_port()
    env = dict(os.environ, LDA_SERVER=kind, LDA_PORT=str(port),
               LDA_VAR_DIR=os.path.join(var, "var"),
               LDA_INPUT_DIR=os.path.join(var, "input"),
               LDA_BIND="127.0.0.1", LDA_START_TIMEOUT="60")
    p = subprocess.run(["sh", SERVER, "start"], env=env, capture_output=True,
                       text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stdout + p.stderr)
        raise SystemExit(1)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        small = bench_services.small_input()
        for _ in range(10):
            post(conn, small)
        lat = []
        for _ in range(lat_runs):
            t = time.perf_counter()
            post(conn, small)
            lat.append(time.perf_counter() - t)
        lat.sort()
        best = None
        for _ in range(big_runs):
            t = time.perf_counter()
            post(conn, big)
            el = time.perf_counter() - t
            best = el if best is None or el < best else best
        conn.close()
        return (lat[len(lat) // 2] * 1e3, lat[int(len(lat) * 0.99)] * 1e3,
                best)
    finally:
        subprocess.run(["sh", SERVER, "stop"], env=env, capture_output=True)
        subprocess.run(["rm", "-rf", var])


def main():
    inp = sys.argv[1]
    big_runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    lat_runs = int(os.environ.get("BENCH_SVC_LAT_RUNS", "300"))
    with open(inp, "rb") as f:
        big = f.read()
    print()
    print("web servers: the same programs behind lighttpd (FastCGI), Apache "
          "(mod_fcgid) and Apache (plain CGI); var on tmpfs")
    print("%-12s  %20s  %22s  %10s" % ("server", "20 events p50 / p99",
                                      "%s events (best of %d)"
                                      % (format(big.count(b"\n") - 1, ","),
                                         big_runs), "vs lighttpd"))
    print("%-12s  %20s  %22s  %10s" % ("-" * 12, "-" * 20, "-" * 22,
                                      "-" * 10))
    ref = None
    for kind in ("lighttpd", "apache", "apache-cgi"):
        p50, p99, best = measure(kind, big, lat_runs, big_runs)
        ref = ref or best
        print("%-12s  %9.2f / %6.2f ms  %20.3f s  %9.2fx"
              % (kind, p50, p99, best, best / ref), flush=True)
    print("Apache answers as www-data when started as root; plain CGI starts "
          "one process per request (each run: four).")


if __name__ == "__main__":
    main()
