"""test_ops: operating the product (docs/api.md#metrics, #circuit-breaker)
through the real web server.

  metrics_counts_and_promtool   exact counters after runs spread over the
                                orchestrator processes, histograms count
                                every answer, promtool finds nothing
  metrics_survive_restarts      a detector killed (respawned by the web
                                server) and a whole server restart keep
                                the host's totals
  metrics_key                   METRICS_API_KEY as X-API-Key or a bearer
                                token; no other key opens it
  prometheus_scrapes            a real Prometheus server scrapes the
                                product and its query API has the runs
  circuit_breaker               opens after the threshold counted by two
                                processes, no request reaches the service
                                while open, half-open lets one run through,
                                reopens on failure, closes on success
  circuit_partial               with ALLOW_PARTIAL_RESULTS an open circuit
                                gives partial runs"""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request

import harness as H
from harness import check, eq, expect_status, test

EXAMPLE = os.path.join(H.DATA, "transactions.csv")
CTYPE = "text/plain; version=0.0.4; charset=utf-8"
SERIES_RE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$")


def example():
    with open(EXAMPLE, "rb") as f:
        return f.read()


def scrape(s, headers=None):
    """GET /api/metrics: (the text, {series: value})."""
    r = s.get("/api/metrics", headers=headers)
    expect_status(r, 200)
    eq(r.header("content-type"), CTYPE, "metrics Content-Type")
    values = {}
    for line in r.text.splitlines():
        if line.startswith("#") or not line:
            continue
        m = SERIES_RE.match(line)
        check(m, "exposition line %r" % line)
        values[m.group(1)] = float(m.group(2))
    return r.text, values


def req(program, code):
    return 'lda_http_requests_total{program="%s",code="%d"}' % (program, code)


def requests_of(v, program):
    pre = 'lda_http_requests_total{program="%s",' % program
    return sum(x for k, x in v.items() if k.startswith(pre))


def parallel(fn, n):
    """fn(i) for i in range(n) on n threads at once; their results."""
    out = [None] * n
    errs = []

    def one(i):
        try:
            out[i] = fn(i)
        except BaseException as e:   # reported below
            errs.append(e)
    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errs:
        raise errs[0]
    return out


def promtool_check(text):
    p = subprocess.run(["promtool", "check", "metrics"], input=text,
                       capture_output=True, text=True, timeout=30)
    eq((p.returncode, p.stdout + p.stderr), (0, ""), "promtool check metrics")


@test
def metrics_counts_and_promtool():
    """Six runs, two at a time: every counter moves by exactly what
    happened, whichever orchestrator process answered."""
    with H.Server() as s:
        _, before = scrape(s)
        rids = []

        def one(i):
            rid = H.new_uuid()
            r = s.orchestrate_csv(example(), headers={"X-Request-ID": rid})
            expect_status(r, 200)
            rids.append(rid)
            return r.json()
        answers = []
        for _ in range(3):
            answers += parallel(one, 2)
        text, after = scrape(s)
        promtool_check(text)
        ev, rej = answers[0]["event_count"], answers[0]["rejected_count"]

        def delta(k):
            return after.get(k, 0) - before.get(k, 0)
        eq(delta('lda_runs_total{status="completed"}'), 6, "completed runs")
        eq(delta('lda_runs_total{status="failed"}'), 0, "failed runs")
        eq(delta("lda_events_total"), 6 * ev, "events")
        eq(delta("lda_rejected_records_total"), 6 * rej, "rejected records")
        # one answer per run -- and, on a loaded machine, up to one more
        # per call the orchestrator sent again (counted as a retry)
        for p, svc in (("detect-layering", "layering"),
                       ("detect-wash", "wash_trading"), ("aggregate", None)):
            again = delta('lda_sibling_retries_total{service="%s"}' % svc) \
                if svc else 0
            check(6 <= delta(req(p, 200)) <= 6 + again,
                  "%s answers: %d for 6 runs and %d retries"
                  % (p, delta(req(p, 200)), again))
        # the six runs and the first scrape (counted once it was sent)
        eq(delta(req("orchestrate", 200)), 7, "orchestrate answers")
        for p in ("orchestrate", "detect-layering", "detect-wash", "aggregate"):
            hist = 'lda_http_request_duration_seconds_%s{program="%s"}'
            count = after[hist % ("count", p)]
            eq(count, requests_of(after, p), "%s histogram count" % p)
            buckets = [v for k, v in after.items()
                       if k.startswith("lda_http_request_duration_seconds_"
                                       'bucket{program="%s",' % p)]
            eq(len(buckets), 16, "%s buckets (1 ms .. 60 s, +Inf)" % p)
            eq(buckets, sorted(buckets), "%s buckets cumulative" % p)
            eq(buckets[-1], count, "%s +Inf bucket" % p)
            check(after[hist % ("sum", p)] > 0, "%s duration sum" % p)
        check(after['process_resident_memory_bytes{program="orchestrate"}']
              > 1 << 20, "orchestrate resident memory")
        check(any(k.startswith("lda_build_info{version=") for k in after),
              "lda_build_info")
        pids = {x["pid"] for rid in rids
                for x in s.logs(msg="run completed", request_id=rid)}
        check(len(pids) >= 2 or H.SERVER == "apache",
              "runs answered by one orchestrator process only: %s" % pids)


def program_pids(s, program):
    out = []
    for pid in H.var_dir_processes(s.var_dir):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cmd = f.read().split(b"\0")[0]
        except OSError:
            continue
        if cmd.endswith(("/%s.fcgi" % program).encode()):
            out.append(pid)
    return out


@test
def metrics_survive_restarts():
    """detect-wash SIGKILLed (the web server starts a new one) and then the
    whole server restarted: the host's totals go on from where they were."""
    H.only_on("lighttpd", "apache")  # plain CGI keeps no process
    with H.Server() as s:
        expect_status(s.orchestrate_csv(example()), 200)
        _, before = scrape(s)
        pids = program_pids(s, "detect-wash")
        check(pids, "no detect-wash process")
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while program_pids(s, "detect-wash") == pids \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        r = s.orchestrate_csv(example())
        expect_status(r, 200)
        eq(r.json()["services"]["wash_trading"]["status"], "success",
           "wash after the kill")
        _, after = scrape(s)
        k = req("detect-wash", 200)
        eq(after[k], before[k] + 1, "detect-wash answers after a kill")
        check(set(program_pids(s, "detect-wash")).isdisjoint(pids),
              "detect-wash was not replaced")
        s.restart()
        _, again = scrape(s)
        for key in ('lda_runs_total{status="completed"}', "lda_events_total",
                    k):
            check(again[key] >= after[key],
                  "%s fell from %s to %s over a restart"
                  % (key, after[key], again[key]))
        eq(again['lda_runs_total{status="completed"}'], 2,
           "runs after a restart")


@test
def metrics_key():
    """METRICS_API_KEY closes /api/metrics to everyone without it; it is
    taken as X-API-Key or "Authorization: Bearer"; API_KEY does not open
    it, and health stays open."""
    with H.Server(METRICS_API_KEY="scrape-key", API_KEY="user-key") as s:
        for hdrs in (None, {"X-API-Key": "user-key"},
                     {"Authorization": "Bearer user-key"},
                     {"X-API-Key": "scrape-ke"}):
            r = s.get("/api/metrics", headers=hdrs)
            H.expect_error(r, 401, "key")
        scrape(s, {"X-API-Key": "scrape-key"})
        text, _ = scrape(s, {"Authorization": "Bearer scrape-key"})
        check("lda_runs_total" in text, "metrics body")
        expect_status(s.get("/api/health"), 200)
        r = s.post("/api/metrics", b"", "text/plain",
                   headers={"X-API-Key": "scrape-key"})
        H.expect_error(r, 405)
        eq(r.header("allow"), "GET, HEAD", "Allow of /api/metrics")


def prom_query(port, q):
    url = "http://127.0.0.1:%d/api/v1/query?%s" % (
        port, urllib.parse.urlencode({"query": q}))
    try:
        with urllib.request.urlopen(url, timeout=5) as f:
            import json
            j = json.load(f)
    except OSError:
        return None
    res = j.get("data", {}).get("result", [])
    return float(res[0]["value"][1]) if res else None


@test
def prometheus_scrapes():
    """A real Prometheus server (Debian's) scrapes /api/metrics with the
    bearer token every second; its query API then has the runs. (Once,
    under lighttpd: the exposition is the programs' own under every web
    server, and the bearer token's way through Apache is metrics_key's.)"""
    H.not_under_asan("the exposition is checked by metrics_counts_and_promtool")
    H.only_on("lighttpd")
    exe = shutil.which("prometheus")
    check(exe, "prometheus is not installed (scripts/install-deps.sh)")
    with H.Server(METRICS_API_KEY="scrape-key") as s:
        for _ in range(3):
            expect_status(s.orchestrate_csv(example()), 200)
        d = tempfile.mkdtemp(prefix="lda-prom-")
        port = H.free_port()
        with open(os.path.join(d, "prometheus.yml"), "w") as f:
            f.write("global:\n  scrape_interval: 1s\n"
                    "scrape_configs:\n"
                    "  - job_name: lda\n"
                    "    metrics_path: /api/metrics\n"
                    "    authorization:\n"
                    "      credentials: scrape-key\n"
                    "    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d']\n" % s.port)
        p = subprocess.Popen(
            [exe, "--config.file=" + os.path.join(d, "prometheus.yml"),
             "--storage.tsdb.path=" + os.path.join(d, "data"),
             "--web.listen-address=127.0.0.1:%d" % port],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, "log"), "w"))
        try:
            got = None
            deadline = time.monotonic() + 30
            while got != 3 and time.monotonic() < deadline:
                time.sleep(0.5)
                got = prom_query(port, 'lda_runs_total{status="completed"}')
            eq(got, 3, "lda_runs_total{status=\"completed\"} in Prometheus")
            eq(prom_query(port, 'up{job="lda"}'), 1, "the target is up")
        finally:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            shutil.rmtree(d, ignore_errors=True)


def circuits(s):
    r = s.get("/api/health")
    expect_status(r, 200)
    return r.json()["circuits"]


def wait_circuit(s, service, state, within=10):
    deadline = time.monotonic() + within
    while circuits(s)[service] != state:
        check(time.monotonic() < deadline,
              "%s circuit never became %s" % (service, state))
        time.sleep(0.1)


def wash_calls(s):
    """The detect-wash program's own count of the requests it answered
    (the failpoint answers 500; its health answers are excluded)."""
    _, v = scrape(s)
    return v.get(req("detect-wash", 500), 0)


@test
def circuit_breaker():
    """detect-wash fails its first 6 requests; 2 attempts per run, a
    threshold of 2, open for 4 s (room for the open-phase runs on a busy
    machine under plain CGI, where each run starts four processes)."""
    with H.Server(LDA_FAILPOINTS="detect-wash:http500:6", MAX_RETRIES=1,
                  RETRY_BACKOFF_BASE_SECONDS=0.5,
                  CIRCUIT_FAILURE_THRESHOLD=2, CIRCUIT_OPEN_SECONDS=4) as s:
        def run(i):
            rid = H.new_uuid()
            r = s.orchestrate_csv(example(), headers={"X-Request-ID": rid})
            return rid, r

        def wash(r):
            return r.json()["services"]["wash_trading"]

        # closed: two runs at once fail (each its own orchestrator
        # process); together they reach the threshold: one state
        out = parallel(run, 2)
        for _, r in out:
            expect_status(r, 502)
            eq((wash(r)["status"], wash(r)["retry_count"]), ("exhausted", 1),
               "wash while closed")
        pids = {x["pid"] for rid, _ in out
                for x in s.logs(msg="service failed", request_id=rid)}
        check(len(pids) == 2 or H.SERVER == "apache",
              "both failures came from one process: %s" % pids)
        eq(circuits(s), {"layering": "closed", "wash_trading": "open"},
           "circuits after two failures")
        _, v = scrape(s)
        eq(v['lda_circuit_state{service="wash_trading"}'], 1, "gauge open")
        eq(v['lda_sibling_retries_total{service="wash_trading"}'], 2,
           "retries counted")
        eq(wash_calls(s), 4, "wash requests while closed")
        # open: runs fail at once, and detect-wash sees none of them (one
        # after the other: mod_fcgid queues a request a second when all
        # its processes are busy, and the circuit is open for 4 s only)
        for _, r in map(run, range(2)):
            expect_status(r, 502)
            j = r.json()
            eq((wash(r)["status"], wash(r)["retry_count"]),
               ("circuit_open", 0), "wash while open")
            check("circuit" in wash(r)["error"], "error %r" % wash(r))
            eq(j["services"]["layering"]["status"], "success", "layering")
            eq(j["failed_services"], ["wash_trading"], "failed services")
        eq(wash_calls(s), 4, "requests that reached detect-wash while open")
        # half-open: of three runs at once exactly one calls (and fails:
        # open again)
        wait_circuit(s, "wash_trading", "half-open", within=12)
        states = sorted(wash(r)["status"] for _, r in parallel(run, 3))
        eq(states, ["circuit_open", "circuit_open", "exhausted"],
           "three runs while half-open")
        eq(wash_calls(s), 6, "wash requests of the one probe")
        eq(circuits(s)["wash_trading"], "open", "reopened by the probe")
        # the service works again: the next probe closes the circuit
        wait_circuit(s, "wash_trading", "half-open", within=12)
        _, r = run(0)
        expect_status(r, 200)
        eq(circuits(s)["wash_trading"], "closed", "closed by a success")
        _, r = run(0)
        expect_status(r, 200)
        _, v = scrape(s)
        eq(v['lda_circuit_state{service="wash_trading"}'], 0, "gauge closed")
        eq(v['lda_runs_total{status="failed"}'], 7, "failed runs")
        eq(v['lda_runs_total{status="completed"}'], 2, "completed runs")
        changes = [(x["from"], x["to"]) for x in s.logs(msg="circuit changed")
                   if x["target"] == "wash_trading"]
        eq(changes, [("closed", "open"), ("open", "half-open"),
                     ("half-open", "open"), ("open", "half-open"),
                     ("half-open", "closed")], "logged circuit changes")


@test
def circuit_partial():
    """ALLOW_PARTIAL_RESULTS: a run whose detector's circuit is open is a
    partial run (200), like one whose detector failed."""
    with H.Server(LDA_FAILPOINTS="detect-wash:http500:0", MAX_RETRIES=0,
                  CIRCUIT_FAILURE_THRESHOLD=1, ALLOW_PARTIAL_RESULTS=1) as s:
        statuses = []
        for _ in range(2):
            r = s.orchestrate_csv(example())
            expect_status(r, 200)
            eq(r.json()["partial"], True, "partial")
            statuses.append(r.json()["services"]["wash_trading"]["status"])
        eq(statuses, ["exhausted", "circuit_open"], "wash statuses")
        _, v = scrape(s)
        eq(v['lda_runs_total{status="partial"}'], 2, "partial runs")
        eq(v[req("detect-wash", 500)], 1, "wash requests")
