#!/usr/bin/env python3
"""bench-compare: the 20-event run of bench-services.py, p50 through
lighttpd, of this tree's programs against those of another revision
(`make bench-compare BASE=<rev>`, default the previous commit): a cost
check for changes on the request path (e.g. the metrics counted on every
answer). BASE is built in a temporary git worktree; both servers run at
once, each with its var dir on tmpfs, and are measured in alternating
rounds (ROUNDS of RUNS sequential runs each, on one keep-alive
connection), so load from elsewhere falls on both alike. Prints each
round's p50 and the median of the per-round ratios. Reports, never fails on
figures.

usage: bench-compare.py BASE [ROUNDS] [RUNS]"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

from benchlib import ROOT, SERVER, free_port
from benchlib import bench_services as bs


def build_base(rev, where):
    subprocess.run(["git", "-C", ROOT, "worktree", "add", "-q", "--detach",
                    where, rev], check=True)
    subprocess.run(["make", "-C", where, "-j2", "-s", "all"], check=True,
                   stdout=subprocess.DEVNULL)
    return os.path.join(where, "cgi-bin")


def start(cgi, tmp):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LDA_", "CIRCUIT_")) and k not in (
               "API_KEY", "METRICS_API_KEY", "RATE_LIMIT_PER_MINUTE")}
    env.update(LDA_VAR_DIR=os.path.join(tmp, "var"), LDA_PORT=str(free_port()),
               LDA_CGI_DIR=cgi, LDA_SKIP_DEPS="1")
    subprocess.run([SERVER, "start"], env=env, check=True,
                   capture_output=True)
    return "http://127.0.0.1:%s" % env["LDA_PORT"], env


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else "HEAD~1"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    wt = tempfile.mkdtemp(prefix="lda-base-")
    os.rmdir(wt)
    tmps, servers = [], []
    try:
        cgis = [("base " + base, build_base(base, wt)),
                ("this tree", os.path.join(ROOT, "cgi-bin"))]
        for label, cgi in cgis:
            tmps.append(tempfile.mkdtemp(prefix="lda-cmp-", dir=shm))
            url, env = start(cgi, tmps[-1])
            servers.append((label, url, env))
        body = bs.small_input()
        p50 = {label: [] for label, _, _ in servers}
        for r in range(rounds):
            for label, url, _ in (servers if r % 2 == 0 else servers[::-1]):
                lat = bs.latency(url, body, runs)
                if lat["errors"]:
                    print("bench-compare: %s: %s" % (label, lat["errors"][0]))
                    return 1
                p50[label].append(lat["p50"] * 1000)
        print("20-event run, p50 per round of %d runs (ms), lighttpd:" % runs)
        for label, v in p50.items():
            print("  %-24s %s   median %.3f" % (
                label, " ".join("%.3f" % x for x in v), statistics.median(v)))
        # each round measures both back to back: the median of the
        # per-round ratios cancels load that changes between rounds
        a, b = (p50[label] for label, _, _ in servers)
        r = statistics.median(y / x for x, y in zip(a, b))
        print("  this tree / base, median of the per-round ratios: %.3f "
              "(%+.1f %%)" % (r, (r - 1) * 100))
        return 0
    finally:
        for _, _, env in servers:
            subprocess.run([SERVER, "stop"], env=env, capture_output=True)
        for t in tmps:
            shutil.rmtree(t, ignore_errors=True)
        if os.path.isdir(wt):
            subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force",
                            wt], capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
