#!/usr/bin/env python3
"""bench-shards: the scale-out table of `make bench` (README, Benchmarks;
docs/api.md#shards). scripts/bench.sh runs it unless BENCH_SHARDS=0; it can
also be run alone: python3 scripts/bench-shards.py.

Cases, each on freshly started private servers (free ports, temporary var
dirs, stopped and removed at the end), with the input given as
{"input_file": ...} (a hard link in the front's LDA_INPUT_DIR):
  1. BENCH_SHARD_EVENTS (4,000,000) realistic events (scripts/gen-events,
     seed 1, cached in $BENCH_DIR): one host with local detectors, then a
     front with two detector hosts (scripts/lda-backend on 127.0.0.2 and
     127.0.0.3) at LDA_SHARDS 1, 2 and 4;
  2. BENCH_BIG_EVENTS (20,000,000; 0 skips it) realistic events, two
     detector hosts, LDA_SHARDS 2.
For each: the wall time of POST /api/orchestrate (best of BENCH_SHARD_RUNS,
default 2, each with a new request id: no cache hits), and the peak RSS
(VmHWM, sampled every 0.5 s and at the end, max over the processes of one
program) of every program on the front and on each detector host. The
reports of every run must be byte-identical to build/lda's on the same file
(whose wall time and peak RSS are shown as well).

Exit status: 0 whatever the figures; 1 when a server cannot start or a
tool is missing; 2 when a run failed or its reports differ from build/lda's.

Environment: BENCH_LDA (build/lda), BENCH_DIR (build/bench), LDA_CGI_DIR
(<repo>/cgi-bin), BENCH_SHARD_EVENTS, BENCH_BIG_EVENTS, BENCH_SHARD_RUNS.
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

from benchlib import ROOT, free_port
from benchlib import bench_services as BS

REPORTS = ("suspicious_accounts.csv", "detections.csv")
HOSTS = ("127.0.0.2", "127.0.0.3")


def env_int(name, default, zero_ok=False):
    try:
        v = int(os.environ.get(name, default))
    except ValueError:
        v = default
    return v if v > 0 or (zero_ok and v == 0) else default


# Settings that would change the results or the access: unset.
CLEARED = ("API_KEY", "RATE_LIMIT_PER_MINUTE", "LDA_FAILPOINTS",
           "ALLOW_PARTIAL_RESULTS", "PSEUDONYMIZE_LOGS", "LDA_SHARDS",
           "LDA_DETECT_HOSTS", "LDA_INTERNAL_URL", "LDA_URL", "LDA_VAR_DIR",
           "LDA_INPUT_DIR", "LDA_PORT", "LDA_BIND")


def base_env():
    e = {k: v for k, v in os.environ.items()
         if k not in CLEARED and not k.startswith(("LAYERING_", "WASH_"))}
    e.update(MAX_EVENTS="50000000", MAX_UPLOAD_BYTES="8000000000",
             ALGORITHM_TIMEOUT_SECONDS="600", LDA_START_TIMEOUT="60",
             LDA_CGI_DIR=os.environ.get("LDA_CGI_DIR",
                                        os.path.join(ROOT, "cgi-bin")))
    return e


class Host:
    """One private server: scripts/lda-server (a front) or lda-backend."""

    def __init__(self, script, bind, env):
        self.dir = tempfile.mkdtemp(prefix="lda-bench-shards.")
        self.var = os.path.join(self.dir, "var")
        self.input = os.path.join(self.dir, "input")
        os.makedirs(self.input)
        self.script = os.path.join(ROOT, "scripts", script)
        self.bind = bind
        self.env = dict(env, LDA_VAR_DIR=self.var, LDA_INPUT_DIR=self.input,
                        LDA_BIND=bind)
        self.url = None

    def start(self):
        for _ in range(3):
            port = free_port()
            self.env["LDA_PORT"] = str(port)
            p = subprocess.run(["sh", self.script, "start"], env=self.env,
                               capture_output=True, text=True)
            if p.returncode == 0:
                self.url = "http://%s:%d" % (self.bind, port)
                return self
        raise RuntimeError("%s did not start: %s" % (self.script,
                                                     p.stderr.strip()[-300:]))

    def stop(self):
        subprocess.run(["sh", self.script, "stop"], env=self.env,
                       capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def link_input(path, input_dir):
    name = os.path.basename(path)
    dst = os.path.join(input_dir, name)
    try:
        os.link(path, dst)
    except OSError:
        shutil.copyfile(path, dst)
    return name


def orchestrate(url, name, outdir):
    """One input_file run and its reports. Returns (seconds, answer)."""
    rid = str(uuid.uuid4())
    body = json.dumps({"input_file": name}).encode()
    req = urllib.request.Request(
        url + "/api/orchestrate", data=body, method="POST",
        headers={"Content-Type": "application/json", "X-Request-ID": rid})
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=3600) as r:
            answer = json.loads(r.read())
    except urllib.error.HTTPError as e:
        raise RuntimeError("HTTP %d: %s" % (e.code, e.read()[:300]))
    wall = time.perf_counter() - t0
    if answer.get("status") != "completed":
        raise RuntimeError("run %s: %r" % (rid, answer.get("error")))
    shutil.rmtree(outdir, ignore_errors=True)
    os.makedirs(outdir)
    for n in REPORTS:
        with urllib.request.urlopen("%s/api/runs/%s/%s" % (url, rid, n),
                                    timeout=600) as r, \
                open(os.path.join(outdir, n), "wb") as f:
            shutil.copyfileobj(r, f)
    return wall, answer


def run_lda(lda, inp, outdir):
    """build/lda: (seconds, peak RSS MB)."""
    shutil.rmtree(outdir, ignore_errors=True)
    os.makedirs(outdir)
    env = dict(os.environ, MAX_EVENTS="50000000")
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen([lda, inp, outdir], env=env,
                             stdout=subprocess.DEVNULL, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            err.seek(0)
            raise RuntimeError("build/lda exit %d: %s"
                               % (p.returncode, err.read()[:300]))
    return wall, ru.ru_maxrss / 1024.0


def mb(kb):
    return "%.0f" % (kb / 1024.0) if kb else "-"


def one_case(label, inp, hosts, shards, runs, ref_dir, out_dir):
    """Start the servers of one case, run it, stop them. Returns a row."""
    env = base_env()
    env["INTERNAL_API_KEY"] = secrets.token_hex(24)
    backends, front = [], None
    try:
        for h in HOSTS[:hosts]:
            backends.append(Host("lda-backend", h, env).start())
        fenv = dict(env, LDA_SHARDS=str(shards))
        if backends:
            fenv["LDA_DETECT_HOSTS"] = " ".join(
                b.url[len("http://"):] for b in backends)
        front = Host("lda-server", "127.0.0.1", fenv).start()
        name = link_input(inp, front.input)
        samplers = [BS.RssSampler(front.var, env["LDA_CGI_DIR"])] + \
            [BS.RssSampler(b.var, env["LDA_CGI_DIR"]) for b in backends]
        for s in samplers:
            s.start()
        best, answer = None, None
        for _ in range(runs):
            wall, answer = orchestrate(front.url, name, out_dir)
            best = wall if best is None else min(best, wall)
            if not BS.same_reports(out_dir, ref_dir):
                raise RuntimeError("%s: reports differ from build/lda's"
                                   % label)
        for s in samplers:
            s.stop()
        fp = samplers[0].peak
        det = {}
        for s in samplers[1:] if backends else samplers[:1]:
            for p in ("detect-layering", "detect-wash"):
                det.setdefault(p, []).append(s.peak.get(p, 0))
        host_lighttpd = [s.peak.get("lighttpd", 0) for s in samplers[1:]]
        sr = {k: v.get("shard_retries") for k, v in answer["services"].items()}
        return {
            "case": label, "wall": best, "events": answer["event_count"],
            "orchestrate": fp.get("orchestrate", 0),
            "aggregate": fp.get("aggregate", 0),
            "lighttpd": fp.get("lighttpd", 0),
            "layering": det.get("detect-layering", []),
            "wash": det.get("detect-wash", []),
            "host_lighttpd": host_lighttpd, "retries": sr,
        }
    finally:
        for h in [front] + backends:
            if h:
                h.stop()


def table(rows, lda_rows):
    print("| case | wall | orchestrate | aggregate | lighttpd (front) | "
          "detect-layering | detect-wash | lighttpd (hosts) |")
    print("|---|---|---|---|---|---|---|---|")
    for label, (w, rss) in lda_rows:
        print("| %s | %.2f s | %s MB (one process) | | | | | |"
              % (label, w, "%.0f" % rss))
    for r in rows:
        print("| %s | %.2f s | %s | %s | %s | %s | %s | %s |" % (
            r["case"], r["wall"], mb(r["orchestrate"]), mb(r["aggregate"]),
            mb(r["lighttpd"]), " / ".join(mb(x) for x in r["layering"]),
            " / ".join(mb(x) for x in r["wash"]),
            " / ".join(mb(x) for x in r["host_lighttpd"]) or "-"))
    print("\nRSS in MB (peak, per program; \"a / b\": host 127.0.0.2 / "
          "127.0.0.3). wall: POST /api/orchestrate of an input_file run to "
          "its answer, best of the runs; the reports of every run equal "
          "build/lda's.")


def main():
    lda = os.environ.get("BENCH_LDA", os.path.join(ROOT, "build", "lda"))
    bdir = os.environ.get("BENCH_DIR", os.path.join(ROOT, "build", "bench"))
    n = env_int("BENCH_SHARD_EVENTS", 4000000)
    big = env_int("BENCH_BIG_EVENTS", 20000000, zero_ok=True)
    runs = env_int("BENCH_SHARD_RUNS", 2)
    for tool in ("lighttpd", "curl"):
        if not shutil.which(tool):
            print("bench-shards: %s is required" % tool, file=sys.stderr)
            return 1
    if not os.access(lda, os.X_OK):
        print("bench-shards: %s is not built" % lda, file=sys.stderr)
        return 1
    os.makedirs(os.path.join(bdir, "out"), exist_ok=True)

    def input_of(events):
        path = os.path.join(bdir, "realistic-%d.csv" % events)
        if not os.path.exists(path) or os.path.getsize(path) == 0:
            print("bench-shards: generating %s" % path, file=sys.stderr)
            subprocess.run([sys.executable,
                            os.path.join(ROOT, "scripts", "gen-events"),
                            "realistic", "--events", str(events), "--seed",
                            "1", "-o", path], check=True)
        return path

    rows, lda_rows = [], []
    cases = [(n, "%dM events, local detectors" % (n // 1000000), 0, 1, runs)]
    cases += [(n, "%dM events, 2 hosts, %d shard%s" % (
        n // 1000000, s, "" if s == 1 else "s"), 2, s, runs)
        for s in (1, 2, 4)]
    if big:
        cases.append((big, "%dM events, 2 hosts, 2 shards"
                      % (big // 1000000), 2, 2, 1))
    refs = {}
    try:
        for events, label, hosts, shards, k in cases:
            inp = input_of(events)
            if events not in refs:
                ref = os.path.join(bdir, "out", "shards-lda-%d" % events)
                refs[events] = ref
                lda_rows.append(("build/lda, %dM events" % (events // 1000000),
                                 run_lda(lda, inp, ref)))
            print("bench-shards: %s ..." % label, file=sys.stderr)
            rows.append(one_case(label, inp, hosts, shards, k, refs[events],
                                 os.path.join(bdir, "out", "shards-srv")))
    except RuntimeError as e:
        print("bench-shards: %s" % e, file=sys.stderr)
        return 2
    print("\nScale-out (LDA_SHARDS, detector hosts on this machine's "
          "loopback; load %.2f)\n" % os.getloadavg()[0])
    table(rows, lda_rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
