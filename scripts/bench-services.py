#!/usr/bin/env python3
"""bench-services.py: the measuring half of scripts/bench-services.sh.

The shell script starts the servers and passes, for each, a label, its base
URL and its LDA_VAR_DIR (the first one is used for the 1M case and the RSS
figures). This program (python3 stdlib + curl) then:

  1. runs build/lda and the server alternately BENCH_RUNS times on the big
     input: server = `curl -X POST -T file` to /api/orchestrate (fresh
     X-Request-ID each time, so no detector cache hit; -T streams the file,
     where --data-binary @file would first read all of it into curl's
     memory) and then one curl that downloads both reports; best wall time of each, their ratio, and a
     byte comparison of every downloaded report with build/lda's;
  2. meanwhile a sampler thread reads VmHWM from /proc/<pid>/status of the
     server's lighttpd and of its children whose executable lies in the CGI
     dir (by program name; max over the processes of one program, so a
     respawned process is still counted); read once more after the runs;
     and the minor page faults (/proc/<pid>/stat) of every program's
     processes after the first big run and after the last: their difference
     per run shows what a warm run still faults in afresh;
  3. growth (--big-input, when given): on the last server (tmpfs), one
     warm-up upload of each file, then BENCH_SVC_BIG_RUNS rounds of the big
     input and the 1M one alternately (this VM's speed drifts; alternating
     puts both under the same drift); best wall of each and their ratio
     against the events' ratio x 1.15; before each big upload the peak RSS
     of the orchestrator and layering processes is reset (clear_refs 5),
     so their VmHWM afterwards is that upload's: per event (the
     orchestrator's beyond the input bytes, which it holds whole while
     parsing) against the 1M runs' of section 1; the big run's reports are
     compared with build/lda's once;
  4. for each server: warm-up, then BENCH_SVC_LAT_RUNS sequential 20-event
     runs over one keep-alive http.client connection (p50/p99), then
     BENCH_SVC_CLIENTS threads with one keep-alive connection each for
     BENCH_SVC_SECONDS (runs/s). Every run must answer 200 "completed" with
     one aggregated sequence, else it counts as an error.

Prints the table; exit 0, or 2 when the big run failed or its reports
differ from build/lda's.
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

REPORTS = ("suspicious_accounts.csv", "detections.csv")
PROGRAMS = ("orchestrate", "detect-layering", "detect-wash", "aggregate")
T_RATIO = 2.0        # server wall / build/lda wall
T_RSS_MB = 400.0     # per program (and lighttpd)
T_P50_MS = 5.0       # 20-event run, all four hops
T_GROWTH = 1.15      # big / 1M wall <= events ratio x this


def env_int(name, default):
    try:
        v = int(os.environ.get(name, default))
    except ValueError:
        v = default
    return v if v > 0 else default


# ------------------------------------------------------------ 20-event input

def small_input():
    """20 events: one layering sequence (3 BUY orders, 3 BUY cancels, a SELL
    trade 1 s after the last cancel) plus 13 events of other groups that form
    neither layering nor wash trading."""
    rows = [
        ("09:30:00.000", "ACC-L", "XYZ", "BUY", "100.00", 1000, "ORDER_PLACED"),
        ("09:30:01.000", "ACC-L", "XYZ", "BUY", "100.01", 1000, "ORDER_PLACED"),
        ("09:30:02.000", "ACC-L", "XYZ", "BUY", "100.02", 1000, "ORDER_PLACED"),
        ("09:30:03.000", "ACC-L", "XYZ", "BUY", "100.00", 1000, "ORDER_CANCELLED"),
        ("09:30:03.500", "ACC-L", "XYZ", "BUY", "100.01", 1000, "ORDER_CANCELLED"),
        ("09:30:04.000", "ACC-L", "XYZ", "BUY", "100.02", 1000, "ORDER_CANCELLED"),
        ("09:30:05.000", "ACC-L", "XYZ", "SELL", "99.95", 500, "TRADE_EXECUTED"),
    ]
    noise = [("ACC-A", "XYZ"), ("ACC-B", "ABC"), ("ACC-C", "XYZ"),
             ("ACC-D", "DEF")]
    kinds = ("ORDER_PLACED", "TRADE_EXECUTED", "ORDER_CANCELLED")
    for k in range(13):
        acc, prod = noise[k % len(noise)]
        side = "BUY" if k % 2 else "SELL"
        rows.append(("09:3%d:%02d.250" % (1 + k // 6, (k * 7) % 60), acc, prod,
                     side, "%.2f" % (50 + k), 100 + 10 * k, kinds[k % 3]))
    lines = ["timestamp,account_id,product_id,side,price,quantity,event_type"]
    for t, acc, prod, side, price, qty, kind in rows:
        lines.append("2025-10-27T%sZ,%s,%s,%s,%s,%d,%s"
                     % (t, acc, prod, side, price, qty, kind))
    return ("\n".join(lines) + "\n").encode()


# ------------------------------------------------------------ process memory

def read_status_kb(pid, field):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def stat_field(pid, k):
    """Field k (0 = state) after the command of /proc/<pid>/stat, or
    None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
        return int(s[s.rindex(")") + 2:].split()[k])
    except (OSError, ValueError, IndexError):
        return None


def ppid_of(pid):
    return stat_field(pid, 1)


def minflt_of(pid):
    """Minor page faults of a process so far, or None."""
    return stat_field(pid, 7)


def exe_of(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            arg0 = f.read().split(b"\0", 1)[0].decode(errors="replace")
    except OSError:
        return None
    return arg0 or None


class RssSampler:
    """Peak VmHWM (KiB) per program name of one server: lighttpd (pid from
    its pid file) and its children whose arg0 is <cgi_dir>/<program>.fcgi."""

    def __init__(self, var_dir, cgi_dir):
        try:
            with open(os.path.join(var_dir, "run", "lighttpd.pid")) as f:
                self.lpid = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            self.lpid = None        # rows then say "not found"
        self.cgi_dir = os.path.realpath(cgi_dir)
        self.peak = {}      # name -> KiB
        self.pids = {}      # name -> set of pids seen
        self._stop = threading.Event()
        self._thread = None

    def _note(self, name, pid):
        kb = read_status_kb(pid, "VmHWM")
        if kb is None:
            return
        self.pids.setdefault(name, set()).add(pid)
        self.peak[name] = max(self.peak.get(name, 0), kb)

    def sample(self):
        if self.lpid is None:
            return
        self._note("lighttpd", self.lpid)
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            pid = int(d)
            if ppid_of(pid) != self.lpid:
                continue
            exe = exe_of(pid)
            if not exe or not exe.endswith(".fcgi"):
                continue
            if os.path.realpath(os.path.dirname(exe)) != self.cgi_dir:
                continue
            name = os.path.basename(exe)[:-len(".fcgi")]
            if name in PROGRAMS:
                self._note(name, pid)

    def faults(self):
        """Minor page faults so far per program name, summed over the
        processes seen (a page touched for the first time, or again after
        it was given back: what reusing buffers between runs saves)."""
        self.sample()
        out = {}
        for name, pids in self.pids.items():
            for pid in pids:
                n = minflt_of(pid)
                if n is not None:
                    out[name] = out.get(name, 0) + n
        return out

    def _loop(self):
        while not self._stop.wait(0.5):
            self.sample()

    def start(self):
        self.sample()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join()
        self.sample()


# ------------------------------------------------------------ the big run

def run_lda(lda, inp, outdir):
    shutil.rmtree(outdir, ignore_errors=True)
    os.makedirs(outdir)
    t0 = time.perf_counter()
    rc = subprocess.call([lda, inp, outdir], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0, rc


def run_server(url, inp, outdir):
    """curl upload + curl download of both reports. Returns (wall, error,
    orchestrate seconds, request id); error is None on success."""
    shutil.rmtree(outdir, ignore_errors=True)
    os.makedirs(outdir)
    rid = str(uuid.uuid4())
    resp = os.path.join(outdir, "response.json")
    t0 = time.perf_counter()
    p = subprocess.run(
        ["curl", "-sS", "-o", resp, "-w", "%{http_code}",
         "-H", "Content-Type: text/csv", "-H", "X-Request-ID: " + rid,
         "-X", "POST", "-T", inp, url + "/api/orchestrate"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t1 = time.perf_counter()
    if p.returncode != 0 or p.stdout.strip() != "200":
        return None, "orchestrate: curl exit %d, HTTP %s %s" % (
            p.returncode, p.stdout.strip(), p.stderr.strip()[:200]), None, rid
    try:
        with open(resp) as f:
            body = json.load(f)
        outputs = body["outputs"]
        if body.get("status") != "completed" or body.get("request_id") != rid:
            raise ValueError("status %r" % body.get("status"))
        urls = [url + outputs[name.rsplit(".", 1)[0]] for name in REPORTS]
    except (OSError, ValueError, KeyError, TypeError) as e:
        return None, "orchestrate answer unusable: %s" % e, None, rid
    cmd = ["curl", "-sS", "--fail"]
    for name, u in zip(REPORTS, urls):
        cmd += ["-o", os.path.join(outdir, name), u]
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True)
    t2 = time.perf_counter()
    if p.returncode != 0:
        return None, "download: curl exit %d %s" % (
            p.returncode, p.stderr.strip()[:200]), None, rid
    return t2 - t0, None, t1 - t0, rid


def reset_peaks(sampler, names):
    """Reset VmHWM of the processes of these programs (clear_refs 5)."""
    sampler.sample()
    for name in names:
        for pid in sampler.pids.get(name, ()):
            try:
                with open("/proc/%d/clear_refs" % pid, "w") as f:
                    f.write("5")
            except OSError:
                pass


def peaks(sampler, names):
    """{name: max VmHWM KiB over its live processes}."""
    sampler.sample()
    out = {}
    for name in names:
        for pid in sampler.pids.get(name, ()):
            kb = read_status_kb(pid, "VmHWM")
            if kb is not None:
                out[name] = max(out.get(name, 0), kb)
    return out


def count_events(path):
    """Lines after the header (the realistic files have no quoted line
    break)."""
    with open(path, "rb") as f:
        return sum(buf.count(b"\n")
                   for buf in iter(lambda: f.read(1 << 20), b"")) - 1


def growth(a, url, var, rounds, peak_1m, row):
    """Section 3: the rows of the big input against the 1M one; peak_1m:
    the 1M runs' VmHWM per program (section 1's server, which ran only
    those: a process that ran the big input keeps part of that memory)."""
    names = ("orchestrate", "detect-layering")
    sampler = RssSampler(var, a.cgi_dir)
    files = (a.input, a.big_input)
    nev = [count_events(f) for f in files]
    size = [os.path.getsize(f) for f in files]
    best, peak = [None, None], [dict(peak_1m), {}]
    sdir = os.path.join(a.out, "growth")
    errors = []
    for i in range(rounds + 1):
        for k in (1, 0):
            if k == 1:
                reset_peaks(sampler, names)
            t, err, _, _ = run_server(url, files[k], sdir)
            if err:
                errors.append(err)
                continue
            if i == 0:          # warm-up; the big run's reports checked
                if k == 1:
                    ref = os.path.join(a.out, "growth-lda")
                    run_lda(a.lda, files[1], ref)
                    if not same_reports(ref, sdir):
                        errors.append("big reports differ from build/lda's")
                continue
            if best[k] is None or t < best[k]:
                best[k] = t
            if k == 1:
                p = peaks(sampler, names)
                for n in names:
                    peak[1][n] = max(peak[1].get(n, 0), p.get(n, 0))
    label = "%gM" % (nev[1] / 1e6)
    limit = round(nev[1] / nev[0] * T_GROWTH + 1e-9, 2)
    if best[0] and best[1] and not errors:
        r = best[1] / best[0]
        row("%s vs 1M events over HTTP (tmpfs)" % label,
            "%.3f / %.3f s" % (best[1], best[0]), "<= x%.2f" % limit,
            "x%.2f %s" % (r, verdict(r <= limit)))
    else:
        row("%s vs 1M events over HTTP (tmpfs)" % label, "FAIL", "",
            "; ".join(errors)[:200])
        return
    for n in names:
        inp = (size[0], size[1]) if n == "orchestrate" else (0, 0)
        per = [(peak[k].get(n, 0) * 1024 - inp[k]) / nev[k] for k in (0, 1)]
        row("  peak RSS %sper event, %s" % (
                "beyond the input " if inp[0] else "", n),
            "%.0f / %.0f B" % (per[1], per[0]), "%s <= 1M" % label,
            verdict(per[1] <= per[0]))


def same_reports(a, b):
    for name in REPORTS:
        try:
            with open(os.path.join(a, name), "rb") as f1, \
                    open(os.path.join(b, name), "rb") as f2:
                if f1.read() != f2.read():
                    return False
        except OSError:
            return False
    return True


# ------------------------------------------------------------ 20-event runs

class Client:
    """One keep-alive connection; counts how often it had to (re)connect."""

    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port or 80
        self.conn = None
        self.connects = 0

    def run(self, body):
        """One orchestrate run; returns (seconds, error or None)."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port,
                                                   timeout=60)
            self.connects += 1
        rid = str(uuid.uuid4())
        t0 = time.perf_counter()
        try:
            self.conn.request("POST", "/api/orchestrate", body=body,
                              headers={"Content-Type": "text/csv",
                                       "X-Request-ID": rid})
            r = self.conn.getresponse()
            data = r.read()
        except (OSError, http.client.HTTPException) as e:
            self.close()
            return time.perf_counter() - t0, "connection: %s" % e
        dt = time.perf_counter() - t0
        if r.will_close:
            self.close()
        if r.status != 200:
            return dt, "HTTP %d" % r.status
        try:
            j = json.loads(data)
        except ValueError:
            return dt, "bad JSON"
        if j.get("status") != "completed" or j.get("aggregated_count") != 1 \
                or j.get("request_id") != rid:
            return dt, "unexpected answer %s" % data[:200]
        return dt, None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def percentile(sorted_vals, p):
    """Nearest-rank percentile."""
    if not sorted_vals:
        return float("nan")
    k = max(0, min(len(sorted_vals) - 1,
                   int(-(-p * len(sorted_vals) // 100)) - 1))
    return sorted_vals[k]


def latency(url, body, runs):
    c = Client(url)
    errors = []
    for _ in range(10):                     # warm-up: connections, caches
        _, err = c.run(body)
        if err:
            errors.append(err)
    times = []
    for _ in range(runs):
        dt, err = c.run(body)
        if err:
            errors.append(err)
        else:
            times.append(dt)
    c.close()
    times.sort()
    return {"p50": percentile(times, 50), "p99": percentile(times, 99),
            "mean": statistics.fmean(times) if times else float("nan"),
            "n": len(times), "errors": errors, "connects": c.connects}


def throughput(url, body, clients, seconds):
    ok = [0] * clients
    errors = []
    connects = [0] * clients
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    deadline = [0.0]

    def worker(i):
        c = Client(url)
        start.wait()
        while time.perf_counter() < deadline[0]:
            _, err = c.run(body)
            if err:
                with lock:
                    errors.append(err)
            else:
                ok[i] += 1
        c.close()
        connects[i] = c.connects

    threads = [threading.Thread(target=worker, args=(i,), daemon=True)
               for i in range(clients)]
    for t in threads:
        t.start()
    t0 = time.perf_counter()
    deadline[0] = t0 + seconds
    start.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    return {"rps": sum(ok) / elapsed, "n": sum(ok), "errors": errors,
            "connects": sum(connects)}


# ------------------------------------------------------------ output

def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def fs_type(path):
    """File-system type of path from /proc/self/mounts (longest prefix)."""
    path = os.path.realpath(path)
    best, kind = "", "?"
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                parts = line.split()
                if len(parts) < 3:
                    continue
                mnt = parts[1].replace("\\040", " ")
                if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) \
                        and len(mnt) >= len(best):
                    best, kind = mnt, parts[2]
    except OSError:
        pass
    return kind


def phases(var_dir, rid):
    """One line: the phase times the programs logged for run rid (docs/api.md
    log lines "run completed" of orchestrate, "detection run" of the
    detectors)."""
    orch, det = None, {}
    try:
        with open(os.path.join(var_dir, "log", "error.log"), "rb") as f:
            for line in f:
                if rid.encode() not in line:
                    continue
                try:
                    j = json.loads(line)
                except ValueError:
                    continue
                if j.get("request_id") != rid:
                    continue
                if j.get("msg") == "run completed":
                    orch = j
                elif j.get("msg") == "detection run":
                    det[j.get("service")] = j.get("ms")
    except OSError:
        pass
    if orch is None:
        return "phases of the best server run: not in the log"

    def ms(v):
        return "%.0f" % v if isinstance(v, (int, float)) else "?"
    parts = ["%s %s" % (k[:-3], ms(orch.get(k)))
             for k in ("read_ms", "parse_ms", "detect_ms", "aggregate_ms",
                       "total_ms") if k in orch]
    dets = ", ".join("%s %s" % (k, ms(v)) for k, v in sorted(det.items()))
    return ("phases of the best server run (ms, orchestrate log): %s%s"
            % (", ".join(parts), "; detectors: " + dets if dets else ""))


def verdict(ok):
    return "meets target" if ok else "MISSES target"


def main():
    # TERM (from bench-services.sh's trap) unwinds like an exception, so
    # subprocess.run/call kill the curl or build/lda child they wait for.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser()
    ap.add_argument("--lda", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--cgi-dir", required=True)
    ap.add_argument("--big-input", default="")
    ap.add_argument("--server", nargs=3, action="append", required=True,
                    metavar=("LABEL", "URL", "VAR_DIR"))
    a = ap.parse_args()
    runs = env_int("BENCH_RUNS", 3)
    lat_runs = env_int("BENCH_SVC_LAT_RUNS", 300)
    seconds = env_int("BENCH_SVC_SECONDS", 10)
    clients = env_int("BENCH_SVC_CLIENTS", 4)
    load_start = loadavg()
    t_begin = time.perf_counter()

    rows = []

    def row(case, measured, target="", result=""):
        rows.append((case, measured, target, result))

    # 1 + 2: the big input.
    main_label, main_url, main_var = a.server[0]
    nev = os.environ.get("BENCH_SVC_EVENTS", "?")
    try:
        nev_txt = "%dk" % (int(nev) // 1000) if int(nev) % 1000000 else \
            "%dM" % (int(nev) // 1000000)
    except ValueError:
        nev_txt = nev
    ref_dir = os.path.join(a.out, "lda")
    sampler = RssSampler(main_var, a.cgi_dir)
    sampler.start()
    lda_best = srv_best = orch_best = best_rid = None
    failures = []
    identical = True
    faults0 = None
    for i in range(runs):
        if i == 1:
            faults0 = sampler.faults()  # the first run warms the heaps
        t, rc = run_lda(a.lda, a.input, ref_dir)
        if rc != 0:
            failures.append("build/lda exit %d" % rc)
        elif lda_best is None or t < lda_best:
            lda_best = t
        sdir = os.path.join(a.out, "server")
        t, err, t_orch, rid = run_server(main_url, a.input, sdir)
        if err:
            failures.append(err)
            identical = False
            continue
        if srv_best is None or t < srv_best:
            srv_best, orch_best, best_rid = t, t_orch, rid
        if rc == 0 and not same_reports(ref_dir, sdir):
            identical = False
    faults1 = sampler.faults() if faults0 is not None else None
    sampler.stop()
    big_failed = bool(failures) or srv_best is None or lda_best is None
    case = "%s realistic (%s)" % (nev_txt, os.path.basename(a.input))
    row(case + ": server", "%.3f s" % srv_best if srv_best else "FAIL",
        "", "curl upload + 2 report downloads, best of %d" % runs)
    if orch_best:
        row("  of which POST /api/orchestrate", "%.3f s" % orch_best)
    row(case + ": build/lda", "%.3f s" % lda_best if lda_best else "FAIL",
        "", "best of %d, same run" % runs)
    if srv_best and lda_best:
        ratio = srv_best / lda_best
        row("  ratio server / build/lda", "%.2fx" % ratio,
            "<= %gx" % T_RATIO, verdict(ratio <= T_RATIO))
    else:
        row("  ratio server / build/lda", "-", "<= %gx" % T_RATIO, "FAIL")
    row("  reports vs build/lda",
        "identical" if identical and not big_failed else "DIFFER",
        "identical", "ok" if identical and not big_failed else "FAIL")
    for name in PROGRAMS + ("lighttpd",):
        kb = sampler.peak.get(name)
        n = len(sampler.pids.get(name, ()))
        label = ("peak RSS %s.fcgi" % name if name != "lighttpd"
                 else "peak RSS lighttpd") + " (%d proc%s)" % (
                     n, "" if n == 1 else "s")
        if kb is None:
            row(label, "not found", "<= %g MB" % T_RSS_MB, "?")
        else:
            mb = kb / 1024.0
            row(label, "%.1f MB" % mb, "<= %g MB" % T_RSS_MB,
                verdict(mb <= T_RSS_MB))

    faults_txt = None
    if faults1 is not None:
        per = ", ".join(
            "%s %d" % (name, (faults1.get(name, 0) - faults0.get(name, 0)) //
                       (runs - 1))
            for name in PROGRAMS + ("lighttpd",))
        faults_txt = ("page faults per big run after the first (minor, all "
                      "processes of each program): " + per)

    # 3: growth.
    if a.big_input and not big_failed:
        _, g_url, g_var = a.server[-1]
        growth(a, g_url, g_var, env_int("BENCH_SVC_BIG_RUNS", 3),
               sampler.peak, row)

    # 4: 20-event runs.
    body = small_input()
    notes = []
    for label, url, var in a.server:
        kind = fs_type(var)
        where = "var on %s (%s)" % (
            "tmpfs" if kind == "tmpfs" else "disk", kind)
        lat = latency(url, body, lat_runs)
        res = verdict(lat["p50"] * 1000 <= T_P50_MS)
        if lat["errors"]:
            res = "FAIL (%d errors)" % len(lat["errors"])
            notes.append("%s latency: %s" % (label, lat["errors"][0]))
        row("20 events, %s: p50 / p99" % where,
            "%.2f / %.2f ms" % (lat["p50"] * 1000, lat["p99"] * 1000),
            "p50 <= %g ms" % T_P50_MS,
            res + ("" if lat["connects"] == 1 else
                   " (%d connects)" % lat["connects"]))
        tp = throughput(url, body, clients, seconds)
        res = "%d runs in %d s" % (tp["n"], seconds)
        if tp["errors"]:
            res = "FAIL (%d errors)" % len(tp["errors"])
            notes.append("%s throughput: %s" % (label, tp["errors"][0]))
        if tp["connects"] != clients:
            res += " (%d connects)" % tp["connects"]
        row("20 events, %s: %d clients" % (where, clients),
            "%.1f runs/s" % tp["rps"], "", res)

    # Table.
    procs = "detect %s, aggregate %s, orchestrate %s" % (
        os.environ.get("LDA_PROCS_DETECT", "2"),
        os.environ.get("LDA_PROCS_AGGREGATE", "1"),
        os.environ.get("LDA_PROCS_ORCHESTRATE", "2"))
    print("server benchmark: lighttpd + 4 FastCGI programs "
          "(scripts/lda-server; processes: %s; %s CPUs)"
          % (procs, os.cpu_count() or "?"))
    print("load average (1/5/15 min): %s at start, %s at end; %.0f s"
          % (load_start, loadavg(), time.perf_counter() - t_begin))
    head = ("case", "measured", "target", "result")
    w = [max(len(r[k]) for r in rows + [head]) for k in range(3)]
    fmt = "%%-%ds  %%%ds  %%-%ds  %%s" % tuple(w)
    print(fmt % head)
    print(fmt % (tuple("-" * x for x in w) + ("-" * 13,)))
    for r in rows:
        print((fmt % r).rstrip())
    print("20-event runs: one layering sequence each, POST /api/orchestrate "
          "text/csv over keep-alive")
    print("(orchestrate -> 2 detectors -> aggregate), fresh X-Request-ID; "
          "%d sequential runs after 10 warm-up; %d threads for %d s."
          % (lat_runs, clients, seconds))
    print("peak RSS: VmHWM of each process of the %s server after the big "
          "runs (max over a program's processes)." % main_label)
    print("The aggregator fsyncs each run's files (docs/reports.md): the disk rows "
          "include that cost, the tmpfs rows show the rest.")
    if best_rid:
        print(phases(main_var, best_rid))
    if faults_txt:
        print(faults_txt)
    for f in failures:
        print("big run failure: %s" % f)
    for n in notes:
        print("error: %s" % n)
    if not identical:
        print("reports: %s differ from %s" % (os.path.join(a.out, "server"),
                                              ref_dir))
    return 2 if big_failed or not identical else 0


if __name__ == "__main__":
    sys.exit(main())
