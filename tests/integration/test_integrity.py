"""test_integrity: who may write what (SPEC 5.6a), against the real server.

Runs are immutable: a finished run is never rewritten (409 for other
events, a replay for the same ones), the nil UUID and non-v4 ids are not
run ids, POST /api/aggregate takes only INTERNAL_API_KEY, JSON bodies on the
internal routes are bounded (MAX_JSON_BODY_BYTES) and leave no program
above 400 MB RSS, a full disk is 507 and is not retried, and a draining
server refuses new runs."""

import json
import os
import re
import time

import harness as H
from harness import check, eq, expect_error, expect_status, test

EXAMPLE = os.path.join(H.DATA, "transactions.csv")
PROGRAMS = ("orchestrate", "detect-layering", "detect-wash", "aggregate")
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                   r"[0-9a-f]{12}$")
RSS_LIMIT_KB = 400 * 1024


def example():
    with open(EXAMPLE, "rb") as f:
        return f.read()


def other_input():
    """Valid input with other events than example(): one event less."""
    lines = example().splitlines(True)
    return b"".join(lines[:-1])


def run_files(s, rid):
    """{name: (bytes, mtime_ns)} of the run directory."""
    d = s.run_dir(rid)
    out = {}
    for n in sorted(os.listdir(d)):
        p = os.path.join(d, n)
        with open(p, "rb") as f:
            out[n] = (f.read(), os.stat(p).st_mtime_ns)
    return out


def completed_run(s, data=None, rid=None):
    rid = rid or H.new_uuid()
    r = s.orchestrate_csv(data or example(), headers={"X-Request-ID": rid})
    expect_status(r, 200)
    eq(r.json()["status"], "completed", "first run")
    eq(r.json()["request_id"], rid, "request_id")
    return rid, r.json()


def program_rss_kb(s):
    """{pid: (comm, VmRSS kB)} of the programs of this server."""
    out = {}
    for pid in H.var_dir_processes(s.var_dir):
        try:
            with open("/proc/%d/status" % pid) as f:
                st = dict(ln.split(":", 1) for ln in f if ":" in ln)
        except OSError:
            continue
        comm = st["Name"].strip()
        if comm in ("lighttpd", "apache2"):          # the web server
            continue
        out[pid] = (comm, int(st["VmRSS"].split()[0]))
    return out


# ------------------------------------------------------- immutable runs

@test
def integrity_overwrite_refused_409():
    """Finding 1: another CSV under an existing run's id is 409; the run's
    files stay byte for byte (and untouched: same mtimes)."""
    s = H.shared_server()
    rid, _ = completed_run(s)
    before = run_files(s, rid)
    eq(sorted(before), ["alerts.json", "detections.csv", "run.json",
                        "suspicious_accounts.csv"], "run files")
    for send in (s.orchestrate_csv, s.orchestrate_multipart):
        r = send(other_input(), headers={"X-Request-ID": rid})
        j = expect_error(r, 409, "already exists")
        eq(j["request_id"], rid, "409 request_id")
    # an upper-case spelling of the same id is the same run
    r = s.orchestrate_csv(other_input(), headers={"X-Request-ID": rid.upper()})
    expect_error(r, 409)
    eq(run_files(s, rid), before, "run files after the attempts")
    eq(s.logs(msg="run refused: the id exists", request_id=rid) != [], True,
       "refusal logged")


@test
def integrity_replay_same_input():
    """The same input under the same id is a replay: 200, the recorded run
    (replayed: true), no detector called, nothing written."""
    s = H.shared_server()
    rid, first = completed_run(s)
    before = run_files(s, rid)
    r = s.orchestrate_csv(example(), headers={"X-Request-ID": rid})
    expect_status(r, 200)
    j = r.json()
    eq(j.get("replayed"), True, "replayed")
    for k in ("request_id", "status", "event_count", "rejected_count",
              "rejected", "aggregated_count", "partial", "failed_services",
              "outputs", "error"):
        eq(j.get(k), first.get(k), "replay " + k)
    eq(set(j["services"]), set(first["services"]), "services")
    for sv, v in first["services"].items():
        eq(j["services"][sv]["status"], v["status"], sv + " status")
    eq(run_files(s, rid), before, "run files after the replay")
    for prog in ("detect-layering", "detect-wash"):
        eq(len(s.logs(msg="detection run", request_id=rid, service=prog)), 1,
           prog + " runs")
        eq(s.logs(msg="cache hit", request_id=rid, service=prog), [],
           prog + " called again")
    eq(len(s.logs(msg="aggregated", request_id=rid)), 1, "aggregations")
    eq(len(s.logs(msg="run replayed", request_id=rid)), 1, "replay logged")


@test
def integrity_nil_and_non_v4_ids_not_run_ids():
    """The nil UUID, a v1 UUID and garbage get a fresh v4 id; an upper-case
    v4 id is taken in lower case (answer, header, logs of every program)."""
    s = H.shared_server()
    for bad in ("00000000-0000-0000-0000-000000000000",
                "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
                "0b7a3a4e-5a3c-4d4e-7f00-1234567890ab", "../../x"):
        r = s.orchestrate_csv(example(), headers={"X-Request-ID": bad})
        expect_status(r, 200)
        rid = r.json()["request_id"]
        check(UUID4.match(rid), "%s: answered id %r" % (bad, rid))
        check(rid != bad, "%s: taken as the run id" % bad)
    check(not os.path.exists(s.run_dir("00000000-0000-0000-0000-000000000000")),
          "a run directory named by the nil UUID")
    rid = H.new_uuid()
    r = s.orchestrate_csv(example(), headers={"X-Request-ID": rid.upper()})
    expect_status(r, 200)
    eq(r.json()["request_id"], rid, "upper-case id answered")
    eq(r.header("x-request-id"), rid, "upper-case id header")
    for prog in PROGRAMS:
        check(s.logs(request_id=rid, service=prog),
              "%s logged no line with the lower-case id" % prog)
    eq(s.logs(request_id=rid.upper()), [], "lines with the upper-case id")


# ------------------------------------------------ the aggregator's key

def _agg_body(rid, fp=None, account="INNOCENT"):
    seq = {"account_id": account, "product_id": "P1",
           "start_timestamp": "2025-01-01T00:00:00Z",
           "end_timestamp": "2025-01-01T00:10:00Z",
           "total_buy_qty": 30000, "total_sell_qty": 30000,
           "detection_type": "WASH_TRADING", "side": None,
           "num_cancelled_orders": None, "order_timestamps": None,
           "alternation_percentage": 100.0, "price_change_percentage": 0.0}
    res = [{"request_id": rid, "service_name": "layering",
            "status": "success", "results": [], "error": None,
            "final_status": True, "retry_count": 0},
           {"request_id": rid, "service_name": "wash_trading",
            "status": "success", "results": [seq], "error": None,
            "final_status": True, "retry_count": 0}]
    b = {"request_id": rid, "expected_services": ["layering", "wash_trading"],
         "results": res}
    if fp:
        b["event_fingerprint"] = fp
    return b


@test
def integrity_forged_aggregate():
    """Finding 2: a made-up docs/api.md#aggregate body for an existing run: no key 401, the
    user key 401 (API_KEY set), the internal key 409 (the run exists);
    the run's files stay byte for byte. A new run id with the internal
    key is accepted."""
    for env in ({}, {"API_KEY": "user-key-1", "INTERNAL_API_KEY": "inner-2"}):
        s = H.shared_server(**env)
        hdrs = {"X-API-Key": env["API_KEY"]} if env else {}
        rid = H.new_uuid()
        r = s.orchestrate_csv(example(), headers=dict(hdrs,
                                                      **{"X-Request-ID": rid}))
        expect_status(r, 200)
        before = run_files(s, rid)
        body = json.dumps(_agg_body(rid))
        tries = [({}, 401), ({"X-API-Key": "wrong"}, 401)]
        if env:
            tries.append(({"X-API-Key": env["API_KEY"]}, 401))
            eq(s.internal_key, env["INTERNAL_API_KEY"], "key file")
        for h, want in tries:
            r = s.request("POST", "/api/aggregate", body=body,
                          ctype="application/json", headers=h)
            expect_error(r, want)
        # the internal key: the run exists, with or without a fingerprint
        fp = json.loads(before["run.json"][0])["fingerprint"]
        for b in (_agg_body(rid), _agg_body(rid, "0" * 64)):
            expect_error(s.aggregate(b), 409, "already exists")
        eq(run_files(s, rid), before, "%r: run files" % env)
        # the recorded fingerprint: a replay, answered from run.json
        r = s.aggregate(_agg_body(rid, fp))
        expect_status(r, 200)
        eq(r.json().get("replayed"), True, "aggregate replay")
        eq(r.json().get("merged_count"),
           json.loads(before["run.json"][0])["merged_count"], "replay count")
        eq(run_files(s, rid), before, "%r: run files after replay" % env)
        # a new id with the internal key is a new run
        new = H.new_uuid()
        r = s.aggregate(_agg_body(new))
        expect_status(r, 200)
        eq(r.json()["status"], "completed", "new run")
        # the nil UUID is not a run id, even for the aggregator
        expect_error(s.aggregate(_agg_body(
            "00000000-0000-0000-0000-000000000000")), 400, "version-4")


@test
def integrity_internal_key_generated():
    """Without INTERNAL_API_KEY the server makes one per start: a 0600
    file of the var dir, 64 hex digits, never in the log."""
    s = H.shared_server()
    p = os.path.join(s.var_dir, "run", "internal-api-key")
    eq(oct(os.stat(p).st_mode & 0o777), oct(0o600), "key file mode")
    key = s.internal_key
    check(re.match(r"^[0-9a-f]{64}$", key), "key form %r" % key)
    with open(os.path.join(s.var_dir, "log", "error.log"), "rb") as f:
        check(key.encode() not in f.read(), "the key is in the log")


# --------------------------------------------------- bounded JSON bodies

def _big_json_events(n_bytes):
    """A docs/api.md#detectors body of about n_bytes: many valid events, a wrong
    fingerprint (the detector must decode them all to find out)."""
    ev = ('{"timestamp":"2025-01-01T00:00:%02d.%06dZ","account_id":"A%d",'
          '"product_id":"P%d","side":"BUY","price":"10.5","quantity":100,'
          '"event_type":"ORDER_PLACED"}')
    parts, size, i = [], 0, 0
    while size < n_bytes:
        e = ev % (i % 60, i % 1000000, i % 97, i % 13)
        parts.append(e)
        size += len(e) + 1
        i += 1
    return ('{"request_id":"%s","event_fingerprint":"%s","events":[%s]}'
            % (H.new_uuid(), "0" * 64, ",".join(parts))).encode(), i


@test
def integrity_big_json_bodies_bounded():
    """Finding 4: JSON bodies over MAX_JSON_BODY_BYTES (default 32 MiB) to
    each internal route are 413, with or without the internal key; a big
    body under the limit is decoded streamed (wrong fingerprint: 400);
    afterwards every program is below 400 MB RSS."""
    s = H.Server()
    with s:
        big = b'{"request_id":"%s","events":[' % H.new_uuid().encode()
        big += b"1," * (50 << 20) + b"1]}"            # 100 MB
        key = s.internal_key
        for path in ("/api/detect/layering", "/api/detect/wash",
                     "/api/aggregate"):
            for h in ({}, {"X-API-Key": key}):
                if path == "/api/aggregate" and not h:
                    continue                        # 401 before the body
                r = s.request("POST", path, body=big,
                              ctype="application/json", headers=h)
                expect_error(r, 413, "MAX_JSON_BODY_BYTES")
        body, n = _big_json_events(30 << 20)
        for path in ("/api/detect/layering", "/api/detect/wash"):
            r = s.request("POST", path, body=body, ctype="application/json",
                          headers={"X-API-Key": key})
            expect_error(r, 400, "fingerprint")
        rss = program_rss_kb(s)
        if H.SERVER == "apache-cgi":
            return          # no program outlives its request under CGI
        if "/asan/" in H.CGI_DIR + "/":
            # ASan's allocator keeps freed memory in quarantine and does
            # not honour malloc_trim: the bound is the release build's.
            rss = {}
        eq(sorted(set(c for c, _ in (rss or program_rss_kb(s)).values())),
           sorted(["aggregate.fcgi", "detect-layering", "detect-wash.fcg",
                   "orchestrate.fcg"]), "programs found")
        for pid, (comm, kb) in rss.items():
            check(kb < RSS_LIMIT_KB, "%s (pid %d) at %d kB RSS after the "
                  "big bodies" % (comm, pid, kb))
        # still working
        completed_run(s)


def _big_upload(rows):
    """A valid CSV of `rows` events, ~190 bytes a row (an ignored note
    column pads them): 1,000 rows repeated."""
    head = b"timestamp,account_id,product_id,side,price,quantity," \
           b"event_type,note\n"
    pad = b"n" * 125
    block = b"".join(
        b"2026-01-02T09:%02d:%02d.%03dZ,ACC%03d,PRD%d,%s,10.25,%d,%s,%s\n"
        % (i // 600 % 60, i // 10 % 60, i % 1000, i % 97, i % 3,
           b"BUY" if i % 2 else b"SELL", 1 + i % 50,
           (b"ORDER_PLACED", b"ORDER_CANCELLED", b"TRADE_EXECUTED")[i % 3],
           pad) for i in range(1000))
    return head + block * (rows // 1000)


def _vm_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith(field + ":"):
                return int(ln.split()[1])
    return 0


@test
def integrity_big_upload_gives_memory_back():
    """An upload that takes the orchestrator above 400 MB resident (a
    380 MB body of 2M events, MAX_UPLOAD_BYTES raised) completes;
    afterwards every program is below 400 MB RSS, and a second such upload
    and a small run still complete (docs/api.md#bounded-bodies)."""
    if H.SERVER != "lighttpd":
        raise H.Skip("the programs' memory is the same under every server")
    if "/asan/" in H.CGI_DIR + "/":
        raise H.Skip("ASan's allocator does not honour malloc_trim")
    data = _big_upload(2000000)
    with H.Server(MAX_UPLOAD_BYTES=512 << 20) as s:
        for _ in range(2):
            r = s.orchestrate_csv(data, timeout=300)
            expect_status(r, 200)
            eq(r.json()["event_count"], 2000000, "event_count")
            rss = program_rss_kb(s); print({p: (c, k, _vm_kb(p, "VmHWM")) for p, (c, k) in rss.items()})
            orch = [p for p, (c, _) in rss.items() if c == "orchestrate.fcg"]
            check(any(_vm_kb(p, "VmHWM") > RSS_LIMIT_KB for p in orch),
                  "the orchestrator went above 400 MB (the case tested)")
            for pid, (comm, kb) in rss.items():
                check(kb < RSS_LIMIT_KB, "%s (pid %d) at %d kB RSS after "
                      "the big upload" % (comm, pid, kb))
        completed_run(s)


# ----------------------------------------------------------- disk full

@test
def integrity_disk_full_507_not_retried():
    """ENOSPC while writing the run: the answer is 507 saying the server
    ran out of disk space, the aggregator was called once, no run
    directory and no cache entry of the run is left."""
    fp = "aggregate:enospc-suspicious:1"
    with H.Server(LDA_FAILPOINTS=fp, MAX_RETRIES=2,
                  RETRY_BACKOFF_BASE_SECONDS=0.1) as s:
        rid = H.new_uuid()
        r = s.orchestrate_csv(example(), headers={"X-Request-ID": rid})
        j = expect_error(r, 507, "disk space")
        eq(j["failed_services"], ["aggregate"], "failed_services")
        eq([x for x in s.logs(msg="retrying call", request_id=rid)
            if x.get("target") == "aggregate"], [], "aggregate retried")
        eq(len(s.logs(msg="run write failed", request_id=rid,
                      service="aggregate")), 1, "write attempts")
        check(not os.path.exists(s.run_dir(rid)), "run directory left")
        for svc in ("layering", "wash_trading"):
            d = os.path.join(s.var_dir, "cache", svc)
            left = [n for n in os.listdir(d) if n.startswith(rid)]
            eq(left, [], svc + " cache entries of the failed run")
        # the same id can be run again once there is room
        r = s.orchestrate_csv(example(), headers={"X-Request-ID": rid})
        expect_status(r, 200)
        eq(r.json()["status"], "completed", "after the disk full run")


# ------------------------------------------------------------ draining

@test
def integrity_draining_refuses_new_runs():
    """While run/draining exists (lda-server stop), a new run is 503 with
    Retry-After; downloads and health still answer."""
    s = H.shared_server()
    rid, _ = completed_run(s)
    flag = os.path.join(s.var_dir, "run", "draining")
    open(flag, "w").close()
    try:
        r = s.orchestrate_csv(example())
        expect_error(r, 503, "shutting down")
        check(r.header("retry-after"), "no Retry-After")
        expect_status(s.get("/api/runs/%s/run.json" % rid), 200)
    finally:
        os.unlink(flag)
    completed_run(s)
