"""test_scale: scaling out across hosts (SPEC 10; README, "Scaling out").

Two detector hosts (scripts/lda-backend) on distinct loopback addresses,
127.0.0.2 and 127.0.0.3 (Linux routes all of 127/8 to lo), each with its own
var dir, and a front (scripts/lda-server with LDA_DETECT_HOSTS) on
127.0.0.1 whose lighttpd sends /api/detect/* to them through mod_proxy's
host list:

- runs through the front are byte-identical to build/lda; both hosts did
  work (their own logs), the front ran no detector;
- every process of one host SIGKILLed while it holds a detector request:
  the run completes (the orchestrator's retry meets the other host),
  identical; the next runs go to the surviving host; the host started again
  receives work again;
- lda-backend start/stop/status and the settings both scripts refuse;
- sharded runs (LDA_SHARDS 1, 2, 4, 7 over two hosts) byte-identical to
  build/lda, every non-empty shard of each detector one request, the
  answer and run.json showing the shards and their retries; one shard
  failing every time (a failpoint keyed by that shard's fingerprint):
  502 naming the service and the shard, no report; a shard retried after
  its detector died past its cache write is answered from that host's
  cache.

test_scale_local (below, every server): the same sharding with the local
detectors.

lighttpd only (a detector host is a lighttpd; a front with detector hosts
too): skipped under Apache. Every server is private (free ports, temp var
dirs) and stopped by the test that started it."""
import os
import signal
import subprocess
import threading
import time
import http.client
import json

import harness as H
from harness import check, eq, test

BACKEND = os.path.join(H.REPO, "scripts", "lda-backend")
EXAMPLE = os.path.join(H.DATA, "transactions.csv")
KEY = "scale-test-internal-key-0123456789abcdef"
DETECTORS = ("detect-layering", "detect-wash")


class Backend(H.Server):
    """A detector host: scripts/lda-backend on its own loopback address."""

    def __init__(self, bind, **env):
        env.setdefault("INTERNAL_API_KEY", KEY)
        env.setdefault("LDA_PROCS_DETECT", 1)
        super().__init__(**env)
        self.bind = bind

    @property
    def env(self):
        e = H.Server.env.fget(self)
        e["LDA_BIND"] = self.bind
        return e

    def _server_cmd(self, action):
        return subprocess.run([BACKEND, action], env=self.env, cwd=self.root,
                              capture_output=True, text=True, timeout=60)

    def start(self):
        super().start()
        self.url = "http://%s:%d" % (self.bind, self.port)
        return self

    @property
    def hostport(self):
        return "%s:%d" % (self.bind, self.port)

    def get(self, path):
        c = http.client.HTTPConnection(self.bind, self.port, timeout=10)
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def detections(self):
        """Detector requests this host answered (its own log)."""
        return len(self.logs(msg="detection run"))

    def processes(self):
        return H.var_dir_processes(self.var_dir)

    def kill_all(self):
        """SIGKILL every process of this host (lighttpd and its detectors;
        again for any lighttpd spawned before it died)."""
        for _ in range(50):
            pids = self.processes()
            if not pids:
                return
            for p in pids:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.05)
        raise AssertionError("processes of %s survive SIGKILL" % self.hostport)


def shard_of(account, product, shards):
    """docs/api.md#shards: FNV-1a 64 of account, a 0 byte, product."""
    h = 0xcbf29ce484222325
    for b in account.encode() + b"\0" + product.encode():
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h % shards


def parts(events, shards):
    """{(service, shard): its events}: the detector calls of a run (a shard
    with no event for a detector is not called)."""
    out = {}
    for e in events:
        s = shard_of(e.account, e.product, shards)
        out.setdefault(("layering", s), []).append(e)
        if e.event_type.strip().upper() == "TRADE_EXECUTED":
            out.setdefault(("wash_trading", s), []).append(e)
    return out


def check_shards(j, shards, what):
    """The answer's (or run.json's) services show the shards; retry_count
    is the sum of shard_retries."""
    for name, v in j["services"].items():
        eq(v["shards"], shards, "%s: %s shards" % (what, name))
        eq(len(v["shard_retries"]), shards, "%s: %s shard_retries"
           % (what, name))
        eq(sum(v["shard_retries"]), v["retry_count"], "%s: %s retry sum"
           % (what, name))


def front(backends, **env):
    env.update(LDA_DETECT_HOSTS=" ".join(b.hostport for b in backends),
               INTERNAL_API_KEY=KEY)
    return H.Server(**env)


def example():
    with open(EXAMPLE, "rb") as f:
        return f.read()


def run_identical(f, data, what):
    """One run of data through the front; its reports are build/lda's.
    Returns the answer (JSON)."""
    r = f.orchestrate_csv(data)
    eq(r.status, 200, "%s: %r" % (what, r.json().get("error")
                                  if r.is_json() else r.body[:300]))
    j = r.json()
    eq(j["status"], "completed", what + " status")
    ref = H.run_lda(data)
    eq(ref.rc, 0, "build/lda exit status")
    eq(f.download(j["request_id"]), ref.files, what + " reports")
    return j


def front_detectors(f):
    """Detector processes (running now) and detector log lines of the front."""
    procs = []
    for p in H.var_dir_processes(f.var_dir):
        try:
            with open("/proc/%d/comm" % p) as fh:
                comm = fh.read().strip()
        except OSError:
            continue
        if comm.startswith(DETECTORS):
            procs.append(p)
    return procs, f.logs(service="detect-")


def wait_for(cond, seconds, what):
    deadline = time.monotonic() + seconds
    while not cond():
        check(time.monotonic() < deadline, what)
        time.sleep(0.05)


@test
def scale_two_hosts_identical():
    """A front and two detector hosts: runs identical to build/lda, both
    hosts did work, the front ran no detector; each host answers its own
    health; the front's /api/health is healthy through them."""
    H.only_on("lighttpd")
    with Backend("127.0.0.2") as a, Backend("127.0.0.3") as b:
        for bk in (a, b):
            for d in ("layering", "wash"):
                st, body = bk.get("/api/detect/%s/health" % d)
                eq(st, 200, "%s %s health" % (bk.hostport, d))
        with front((a, b)) as f:
            eq(f.get("/api/health").status, 200, "front health")
            gens = [H.gen_input(s) for s in (11, 12, 13)]
            inputs = [("example", example(), H.parse_events(example()))] + \
                [("seed %d" % s, g.data, g.events)
                 for s, g in zip((11, 12, 13), gens)]
            for what, data, _ in inputs:
                check_shards(run_identical(f, data, what), 2, what)
            na, nb = a.detections(), b.detections()
            # LDA_SHARDS defaults to the 2 hosts: 2 shards x 2 detectors
            # per run, round-robin over the two hosts
            eq(na + nb, sum(len(parts(ev, 2)) for _, _, ev in inputs),
               "detector requests on the hosts")
            check(na > 0 and nb > 0,
                  "both hosts did work (%d and %d requests)" % (na, nb))
            procs, lines = front_detectors(f)
            eq(procs, [], "detector processes of the front")
            eq(lines, [], "detector log lines on the front")
            # each host keeps its own result cache, and answers the
            # metrics of its own detectors
            for bk in (a, b):
                check(os.listdir(os.path.join(bk.var_dir, "cache")),
                      "%s has no cache" % bk.hostport)
                st, body = bk.get("/api/metrics")
                eq(st, 200, "%s metrics" % bk.hostport)
                served = sum(
                    int(float(x.rsplit(" ", 1)[1]))
                    for x in body.decode().splitlines()
                    if x.startswith('lda_http_requests_total{program="detect-')
                    and 'code="200"' in x)
                check(served >= (na if bk is a else nb),
                      "%s metrics count %d detector answers"
                      % (bk.hostport, served))
                check('program="orchestrate"' not in body.decode(),
                      "%s metrics name an orchestrator" % bk.hostport)


@test
def scale_host_killed_mid_run():
    """Every process of one host SIGKILLed while it holds a detector
    request: the run completes identical (the orchestrator's retry meets
    the other host); the next runs go to the survivor with no retry
    (lighttpd leaves the dead host out); started again, the host receives
    work again."""
    H.only_on("lighttpd")
    hang = "detect-layering:hang:0,detect-wash:hang:0"
    with Backend("127.0.0.2", LDA_FAILPOINTS=hang) as a, \
            Backend("127.0.0.3") as b, \
            front((a, b), LDA_DETECT_DISABLE_TIME=1,
                  RETRY_BACKOFF_BASE_SECONDS=0.2) as f:
        data = H.gen_input(21).data
        out = {}

        def run():
            try:
                out["j"] = run_identical(f, data, "run with a host killed")
            except BaseException as e:     # noqa: B902 - reported below
                out["e"] = e
            finally:
                f.close_thread_connection()

        t = threading.Thread(target=run)
        t.start()
        # Round-robin: one of the run's two detector calls is on host a,
        # which holds it (failpoint hang) until it is killed.
        wait_for(lambda: a.logs(msg="failpoint fired"), 20,
                 "no detector request reached host a")
        a.kill_all()
        t.join(120)
        check(not t.is_alive(), "the run did not end")
        if "e" in out:
            raise out["e"]
        retries = sum(s["retry_count"] for s in out["j"]["services"].values())
        check(retries >= 1, "the killed call was retried: %r"
              % out["j"]["services"])
        # The next runs: all on b, and no retry at all (lighttpd's own
        # failover: a refused connection goes to the other host).
        nb = b.detections()
        want = 0
        for s in (22, 23):
            g = H.gen_input(s)
            j = run_identical(f, g.data, "run after the kill")
            eq([v["retry_count"] for v in j["services"].values()], [0, 0],
               "retries after the kill")
            want += len(parts(g.events, 2))
        eq(b.detections() - nb, want, "detector requests on the survivor")
        eq(a.processes(), [], "processes of the killed host")
        # Host a comes back (without the failpoint) and gets work again.
        a.extra.pop("LDA_FAILPOINTS")
        p = a._server_cmd("start")
        eq(p.returncode, 0, "lda-backend start again: %s" % p.stderr)
        na = a.detections()
        deadline = time.monotonic() + 20
        n = 0
        while a.detections() == na:
            check(time.monotonic() < deadline,
                  "host a got no work within 20 s (%d runs)" % n)
            run_identical(f, H.gen_input(30 + n % 3).data, "run after restart")
            n += 1
        procs, lines = front_detectors(f)
        eq((procs, lines), ([], []), "detectors on the front")


def backend_cmd(env, action):
    e = H.clean_env(env)
    return subprocess.run([BACKEND, action], env=e, capture_output=True,
                          text=True, timeout=60)


@test
def scale_backend_start_stop_status():
    """lda-backend: status says whether it runs (exit 0 / 3); start is
    idempotent; stop leaves no process of its var dir behind, and stops
    exactly its own host (another host of the same machine keeps running)."""
    H.only_on("lighttpd")
    with Backend("127.0.0.2") as a, Backend("127.0.0.3") as b:
        p = a._server_cmd("status")
        eq(p.returncode, 0, "status of a running host")
        check("running at " + a.url in p.stdout and "detector host" in
              p.stdout, "status text: %r" % p.stdout)
        pids = a.processes()
        eq(len(pids), 3, "lighttpd and one process per detector")
        p = a._server_cmd("start")
        eq(p.returncode, 0, "start again")
        check("already running" in p.stdout, "start again: %r" % p.stdout)
        eq(sorted(a.processes()), sorted(pids), "processes after start again")
        # One var dir is one host's: lda-server (a front) refuses it.
        p = subprocess.run([H.LDA_SERVER, "start"], env=a.env,
                           capture_output=True, text=True, timeout=60)
        eq(p.returncode, 1, "lda-server start on a detector host's var dir")
        check("runs a detector host" in p.stderr, p.stderr)
        b_pids = sorted(b.processes())
        a.stop()
        eq(a.processes(), [], "processes left by lda-backend stop")
        eq(sorted(b.processes()), b_pids, "the other host's processes")
        p = a._server_cmd("status")
        eq(p.returncode, 3, "status of a stopped host")
        check("not running" in p.stdout, "status text: %r" % p.stdout)
        p = a._server_cmd("stop")
        eq(p.returncode, 0, "stop of a stopped host")
        try:
            a.get("/api/detect/wash/health")
            raise AssertionError("a stopped host answers")
        except OSError:
            pass
        st, _ = b.get("/api/detect/wash/health")
        eq(st, 200, "the other host's health")


@test
def scale_settings_refused():
    """Without INTERNAL_API_KEY (it must be the same on every host) neither
    a detector host nor a front of detector hosts starts; a bad host list,
    Apache with detector hosts, and a front whose hosts all are down are
    refused with a one-line reason that says so. Nothing is left running."""
    H.only_on("lighttpd")
    s = H.Server()          # only for its private dirs and port
    s.port = H.free_port()
    env = dict(s.env)
    try:
        p = backend_cmd(env, "start")
        eq(p.returncode, 1, "lda-backend start without INTERNAL_API_KEY")
        check("INTERNAL_API_KEY must be set" in p.stderr, p.stderr)
        cases = [
            ({"LDA_DETECT_HOSTS": "127.0.0.2:1"}, "INTERNAL_API_KEY must be set"),
            ({"LDA_DETECT_HOSTS": "127.0.0.2", "INTERNAL_API_KEY": KEY},
             "'127.0.0.2' is not host:port"),
            ({"LDA_DETECT_HOSTS": "a/b:80", "INTERNAL_API_KEY": KEY},
             "is not host:port"),
            ({"LDA_DETECT_HOSTS": "127.0.0.2:1", "INTERNAL_API_KEY": KEY,
              "LDA_SERVER": "apache"}, "need LDA_SERVER=lighttpd"),
            ({"LDA_DETECT_HOSTS": "127.0.0.2:1", "INTERNAL_API_KEY": KEY,
              "LDA_DETECT_BALANCE": "random"}, "LDA_DETECT_BALANCE must be"),
        ]
        for extra, words in cases:
            e = dict(env, **extra)
            p = subprocess.run([H.LDA_SERVER, "start"], env=e,
                               capture_output=True, text=True, timeout=60)
            eq(p.returncode, 1, "lda-server start with %r" % extra)
            check(words in p.stderr, "%r: %r" % (extra, p.stderr))
        # Every detector host down: start fails, naming them.
        dead = "127.0.0.2:%d 127.0.0.3:%d" % (H.free_port(), H.free_port())
        e = dict(env, LDA_DETECT_HOSTS=dead, INTERNAL_API_KEY=KEY,
                 LDA_START_TIMEOUT="2")
        p = subprocess.run([H.LDA_SERVER, "start"], env=e,
                           capture_output=True, text=True, timeout=60)
        eq(p.returncode, 1, "front start with every host down")
        for hp in dead.split():
            check("detector host %s does not answer" % hp in p.stderr,
                  "%s not named: %r" % (hp, p.stderr))
        eq(H.var_dir_processes(s.var_dir), [], "processes left")
    finally:
        s.cleanup()


def run_json(f, rid):
    return json.loads(f.download(rid, names=("run.json",))["run.json"])


@test
def scale_shards_identical():
    """Two detector hosts, LDA_SHARDS 1, 2, 4 and 7: reports byte-identical
    to build/lda; every non-empty (detector, shard) is one request on the
    hosts, both hosts did work, the front none; the answer and run.json
    show the shards, each with its retry count."""
    H.only_on("lighttpd")
    g = H.gen_input(41)
    with Backend("127.0.0.2") as a, Backend("127.0.0.3") as b:
        for shards in (1, 2, 4, 7):
            n0 = a.detections() + b.detections()
            with front((a, b), LDA_SHARDS=shards) as f:
                what = "%d shards" % shards
                j = run_identical(f, g.data, what)
                check_shards(j, shards, what)
                rec = run_json(f, j["request_id"])
                check_shards(rec, shards, what + " run.json")
                eq(rec["services"], j["services"], what + ": run.json")
                eq(a.detections() + b.detections() - n0,
                   len(parts(g.events, shards)), what + ": requests")
                eq(front_detectors(f), ([], []), "detectors on the front")
        check(a.detections() > 0 and b.detections() > 0,
              "both hosts did work")


@test
def scale_shard_failing():
    """One shard of layering fails every time (http500 on both hosts, keyed
    by that shard's fingerprint): 502 naming the service and the shard with
    its retries, no report files; the other shards and wash succeeded."""
    H.only_on("lighttpd")
    g = H.gen_input(42)
    shards = 4
    bad = sorted(s for (svc, s) in parts(g.events, shards)
                 if svc == "layering")[1]
    fp = H.fingerprint(parts(g.events, shards)[("layering", bad)])
    env = dict(LDA_FAILPOINTS="detect-layering:http500:0:fp=" + fp[:16])
    with Backend("127.0.0.2", **env) as a, Backend("127.0.0.3", **env) as b, \
            front((a, b), LDA_SHARDS=shards, MAX_RETRIES=2,
                  RETRY_BACKOFF_BASE_SECONDS=0.05) as f:
        rid = H.new_uuid()
        r = f.orchestrate_csv(g.data, headers={"X-Request-ID": rid})
        eq(r.status, 502, "a shard failing every time: %r" % r.body[:300])
        j = r.json()
        eq(j["failed_services"], ["layering"], "failed services")
        words = "shard %d of %d: HTTP 500, 2 retries" % (bad + 1, shards)
        eq(j["services"]["layering"]["error"], words, "layering error")
        check("layering: " + words in j["error"], "error: %r" % j["error"])
        eq(j["services"]["layering"]["status"], "exhausted", "status")
        want = [0] * shards
        want[bad] = 2
        eq(j["services"]["layering"]["shard_retries"], want, "shard retries")
        eq(j["services"]["wash_trading"]["status"], "success", "wash")
        check(not os.path.exists(os.path.join(f.run_dir(rid),
                                              H.REPORTS[0])), "no report")
        for n in H.REPORTS:
            eq(f.get("/api/runs/%s/%s" % (rid, n)).status, 404, n)


@test
def scale_shard_dedup():
    """A shard retried after its detector died past its cache write is
    answered from that host's cache (proxy.balance hash: the retry meets
    the same host): "cache hit" there, each shard computed once, reports
    identical."""
    H.only_on("lighttpd")
    g = H.gen_input(43)
    shards = 3
    first = min(s for (svc, s) in parts(g.events, shards)
                if svc == "layering")
    fp = H.fingerprint(parts(g.events, shards)[("layering", first)])
    # two processes per detector: one answers while the host's lighttpd
    # replaces the one that died (503s meanwhile, retried)
    env = dict(LDA_FAILPOINTS="detect-layering:exit-after-cache:1:fp=" + fp,
               LDA_PROCS_DETECT=2)
    with Backend("127.0.0.2", **env) as a, Backend("127.0.0.3", **env) as b, \
            front((a, b), LDA_SHARDS=shards, LDA_DETECT_BALANCE="hash",
                  RETRY_BACKOFF_BASE_SECONDS=0.2, MAX_RETRIES=5) as f:
        j = run_identical(f, g.data, "a shard retried")
        rid = j["request_id"]
        sr = j["services"]["layering"]["shard_retries"]
        # the other shards queued behind that process may be retried too
        check(sr[first] >= 1, "shard %d retried: %r" % (first, sr))
        fired = [x for bk in (a, b) for x in bk.logs(msg="failpoint fired",
                                                     request_id=rid)]
        eq(len(fired), 1, "exit-after-cache firings")
        host = a if a.logs(msg="failpoint fired", request_id=rid) else b
        eq(len(host.logs(msg="cache hit", request_id=rid,
                         service="detect-layering")), 1,
           "cache hit on the host that computed the shard")
        lay = sum(1 for (svc, _) in parts(g.events, shards)
                  if svc == "layering")
        eq(sum(len(bk.logs(msg="detection run", request_id=rid,
                           service="detect-layering")) for bk in (a, b)),
           lay, "each layering shard computed once")


@test
def scale_local_shards():
    """One host, local detectors, LDA_SHARDS=3 (every server): reports
    byte-identical to build/lda, one detector request per non-empty shard,
    the shards in the answer and run.json; the first layering shard's
    detector dies after its cache write (a failpoint keyed by its
    fingerprint) and the retry is answered from the cache."""
    g = H.gen_input(44)
    shards = 3
    first = min(s for (svc, s) in parts(g.events, shards)
                if svc == "layering")
    fp = H.fingerprint(parts(g.events, shards)[("layering", first)])
    with H.Server(LDA_SHARDS=shards, RETRY_BACKOFF_BASE_SECONDS=0.2,
                  MAX_RETRIES=5,
                  LDA_FAILPOINTS="detect-layering:exit-after-cache:1:fp=" +
                  fp[:12]) as s:
        j = run_identical(s, g.data, "3 local shards")
        rid = j["request_id"]
        check_shards(j, shards, "answer")
        rec = run_json(s, rid)
        eq(rec["services"], j["services"], "run.json services")
        sr = j["services"]["layering"]["shard_retries"]
        # the other shards queued behind that process may be retried too
        check(sr[first] >= 1, "shard %d retried: %r" % (first, sr))
        eq(len(s.logs(msg="detection run", request_id=rid)),
           len(parts(g.events, shards)), "each shard computed once")
        eq(len(s.logs(msg="cache hit", request_id=rid,
                      service="detect-layering")), 1, "cache hit")
        run_identical(s, example(), "example, 3 local shards")
