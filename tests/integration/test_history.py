"""test_history: run.json's data_quality, params and input_name for every
input form, and GET /api/runs (docs/api.md#run-history) against the real
server: newest first, pages with limit and before (400 naming the
parameter, 404 for a before not in the history), API_KEY, a run being
written ("running"), a validation_failed run, a run taken back after a
failed write and a run removed by retention gone from the history, and
1,000 runs listed (the time is printed; the bound asserted is generous).

One server for the whole file (API_KEY set; retention of 1 day swept after
every request: recent runs are kept)."""

import gzip
import json
import os
import statistics
import time

import harness as H
from harness import check, eq, expect_error, expect_status, test

KEY = "history-test-key"
AUTH = {"X-API-Key": KEY}
GOLDEN = os.path.join(H.REPO, "tests", "golden", "02-unsorted", "input.csv")
HEADER = "timestamp,account_id,product_id,side,price,quantity,event_type\n"
# 2 out of order (5 < 10, 1 < 20), 2 duplicates (10.00 = 10, and the
# repeat of the 09:00 trade), one rejected row
QUALITY_CSV = HEADER + (
    "2025-01-01T10:00:10Z,A,P,BUY,10,100,ORDER_PLACED\n"
    "2025-01-01T10:00:05Z,B,P,SELL,10,100,ORDER_PLACED\n"
    "2025-01-01T10:00:05Z,B,P,SELL,10.00,100,ORDER_PLACED\n"
    "2025-01-01T10:00:20Z,A,Q,BUY,10,5,ORDER_CANCELLED\n"
    "2025-01-01T10:00:01Z,C,Q,SELL,9,5,TRADE_EXECUTED\n"
    "2025-01-01T10:00:01Z,C,Q,SELL,9,5,TRADE_EXECUTED\n"
    "not a time,C,Q,SELL,9,5,TRADE_EXECUTED\n")
QUALITY = {"event_types": {"ORDER_PLACED": 3, "ORDER_CANCELLED": 1,
                           "TRADE_EXECUTED": 2},
           "accounts": 3, "products": 2, "out_of_order": 2,
           "duplicates": 2,
           "first_timestamp": "2025-01-01T10:00:01+00:00",
           "last_timestamp": "2025-01-01T10:00:20+00:00"}
PARAMS = {"layering_orders_window_seconds": 10.0,
          "layering_cancel_window_seconds": 5.0,
          "layering_trade_window_seconds": 2.0,
          "wash_window_seconds": 1800.0, "wash_min_buy_trades": 3,
          "wash_min_sell_trades": 3, "wash_min_alternation_pct": 60.0,
          "wash_min_volume": 10000.0, "wash_price_change_pct": 1.0}
ENTRY_KEYS = {"request_id", "status", "started", "finished", "event_count",
              "rejected_count", "alerts", "params", "input_name"}


def server():
    return H.shared_server(API_KEY=KEY, RUN_RETENTION_DAYS=1,
                           LDA_SWEEP_SECONDS=0)


def history(s, query="", status=200):
    r = s.get("/api/runs" + query, headers=AUTH)
    expect_status(r, status)
    return r.json()["runs"] if status == 200 else r


def run_json(s, rid):
    r = s.get("/api/runs/%s/run.json" % rid, headers=AUTH)
    expect_status(r, 200)
    return r.json()


def completed(r):
    expect_status(r, 200)
    eq(r.json()["status"], "completed", "run status")
    return r.json()["request_id"]


def append_record(s, entry):
    """One record as the aggregator appends it (RS, JSON, LF)."""
    with open(os.path.join(s.var_dir, "runs.index"), "ab") as f:
        f.write(b"\x1e" + json.dumps(entry, separators=(",", ":")).encode()
                + b"\n")


@test
def history_input_forms_data_quality():
    """Each input form (CSV body, gzip body, multipart with a file name,
    input_file) writes data_quality -- the same as build/lda's --, params
    and input_name into run.json, and the history shows them, newest
    first."""
    s = server()
    with open(GOLDEN, "rb") as f:
        golden = f.read()
    s.put_input("day-2.csv", golden)
    rids = [
        completed(s.orchestrate_csv(QUALITY_CSV, headers=AUTH)),
        completed(s.post("/api/orchestrate", gzip.compress(golden),
                         "text/csv", headers=dict(AUTH, **{
                             "Content-Encoding": "gzip"}))),
        completed(s.orchestrate_multipart(golden, filename="day 1.csv",
                                          headers=AUTH)),
        completed(s.orchestrate_file("day-2.csv", headers=AUTH)),
    ]
    names = [None, None, "day 1.csv", "day-2.csv"]
    ref = H.run_lda(GOLDEN).run
    eq(ref["data_quality"]["out_of_order"] > 0, True, "golden out of order")
    for rid, name, want in zip(rids, names, [QUALITY] + 3 * [None]):
        rj = run_json(s, rid)
        eq(rj["data_quality"], want or ref["data_quality"],
           "data_quality of " + str(name))
        eq(rj["input_name"], name, "input_name")
        eq(rj["params"], PARAMS, "params")
        eq(rj["alerts"], ref["alerts"] if want is None else rj["alerts"],
           "alerts")
    eq(H.run_lda(QUALITY_CSV.encode()).run["data_quality"], QUALITY,
       "build/lda data_quality")
    runs = history(s, "?limit=4")
    eq([r["request_id"] for r in runs], rids[::-1], "newest first")
    for r, name in zip(runs, names[::-1]):
        eq(set(r), ENTRY_KEYS, "entry keys")
        eq(r["status"], "completed", "status")
        eq(r["input_name"], name, "input_name in the history")
        eq(r["params"], PARAMS, "params in the history")
        rj = run_json(s, r["request_id"])
        for k in ("started", "finished", "event_count", "rejected_count",
                  "alerts"):
            eq(r[k], rj[k], k + " as in run.json")
    eq(runs[-1]["rejected_count"], 1, "rejected_count")


@test
def history_pages_and_errors():
    """limit and before page through the history; bad values are 400
    naming the parameter, a before that is not in the history 404; the
    route takes API_KEY (and not the internal key alone)."""
    s = server()
    with open(GOLDEN, "rb") as f:
        golden = f.read()
    rids = [completed(s.orchestrate_csv(golden, headers=AUTH))
            for _ in range(3)][::-1]
    eq([r["request_id"] for r in history(s, "?limit=3")], rids, "limit 3")
    eq([r["request_id"] for r in history(s, "?limit=1")], rids[:1],
       "limit 1")
    eq([r["request_id"] for r in
        history(s, "?before=%s&limit=2" % rids[0].upper())], rids[1:],
       "before the newest")
    eq([r["request_id"] for r in history(s, "?limit=1&before=" + rids[1])],
       rids[2:], "before the second")
    check(len(history(s)) >= 3, "default limit lists them all")
    for q, word in (("?limit=0", "limit"), ("?limit=1001", "limit"),
                    ("?limit=x", "limit"), ("?limit=1&limit=2", "limit"),
                    ("?limit=", "limit"), ("?before=nope", "before"),
                    ("?before=%s&before=%s" % (rids[0], rids[1]), "before"),
                    ("?colour=red", "query parameter")):
        expect_error(s.get("/api/runs" + q, headers=AUTH), 400, word)
    expect_error(s.get("/api/runs?before=" + H.new_uuid(), headers=AUTH),
                 404, "before")
    expect_status(s.get("/api/runs"), 401)
    expect_status(s.get("/api/runs",
                        headers={"X-API-Key": s.internal_key}), 401)
    expect_status(s.get("/api/runs/", headers=AUTH), 400)


@test
def history_running_failed_removed():
    """A run being written shows as "running" (no finish time) until its
    run.json is written; a validation_failed run shows with its status; a
    run directory without run.json older than a day goes with retention,
    and from the history too."""
    s = server()
    # validation_failed: a request without the detectors' results
    rid = H.new_uuid()
    r = s.aggregate({"request_id": rid,
                     "expected_services": ["layering", "wash_trading"],
                     "results": [], "input_name": "x.csv"})
    expect_status(r, 200)
    eq(r.json()["status"], "validation_failed", "aggregate status")
    top = history(s, "?limit=1")[0]
    eq((top["request_id"], top["status"], top["alerts"], top["input_name"]),
       (rid, "validation_failed", None, "x.csv"), "failed run listed")
    check(top["finished"] is not None, "a failed run has finished")
    # a run whose write is under way (or crashed): its directory and the
    # claim record the aggregator appends
    busy = H.new_uuid()
    os.makedirs(s.run_dir(busy))
    append_record(s, dict(top, request_id=busy, status="running",
                          finished=None))
    top = history(s, "?limit=2")
    eq([(x["request_id"], x["status"], x["finished"]) for x in top],
       [(busy, "running", None), (rid, "validation_failed",
                                  top[1]["finished"])],
       "running run listed first")
    # crashed two days ago: retention removes it, and the history forgets
    old = time.time() - 2 * 86400
    os.utime(s.run_dir(busy), (old, old))
    expect_status(s.get("/api/aggregate/health"), 200)  # sweeps after it
    deadline = time.time() + 5
    while os.path.exists(s.run_dir(busy)) and time.time() < deadline:
        time.sleep(0.05)
    check(not os.path.exists(s.run_dir(busy)), "abandoned run removed")
    ids = [x["request_id"] for x in history(s, "?limit=1000")]
    check(busy not in ids and rid in ids, "removed run gone, others kept")
    expect_error(s.get("/api/runs?before=" + busy, headers=AUTH), 404,
                 "before")


def index_records(s, rid):
    """The index records of run rid, oldest first."""
    with open(os.path.join(s.var_dir, "runs.index"), "rb") as f:
        recs = [json.loads(x) for x in f.read().split(b"\x1e") if x]
    return [r for r in recs if r["request_id"] == rid]


@test
def history_thousand_runs_fast():
    """A run whose write fails (ENOSPC at run.json) is claimed ("running")
    and taken back (a removal record): never listed. Then 1,000 runs in the
    index (written as the aggregator writes them) listed in one page: the
    median of 5 requests is printed (the README's figure, < 50 ms);
    asserted only under a generous bound. Without an index (a var dir from
    before it), the aggregator makes one from the runs' run.json at
    start."""
    s = H.Server(API_KEY=KEY, LDA_FAILPOINTS="aggregate:enospc-runjson:1")
    with s:
        with open(GOLDEN, "rb") as f:
            golden = f.read()
        lost = H.new_uuid()
        r = s.orchestrate_csv(golden, headers=dict(AUTH, **{
            "X-Request-ID": lost}))
        expect_status(r, 507)
        eq([(x["status"] if "status" in x else "removed")
            for x in index_records(s, lost)], ["running", "removed"],
           "claimed, then taken back")
        eq(history(s), [], "a run whose write failed is not listed")
        rid = completed(s.orchestrate_csv(golden, headers=AUTH))
        entry = history(s, "?limit=1")[0]
        eq(entry["request_id"], rid, "the real run")
        with open(os.path.join(s.var_dir, "runs.index"), "ab") as f:
            for i in range(1000):
                e = dict(entry, request_id=H.new_uuid())
                for st in ("running", "completed"):
                    e["status"] = st
                    f.write(b"\x1e" + json.dumps(
                        e, separators=(",", ":")).encode() + b"\n")
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            runs = history(s, "?limit=1000")
            times.append((time.perf_counter() - t0) * 1000)
        eq(len(runs), 1000, "runs listed")
        check(rid not in [r["request_id"] for r in runs],
              "the oldest run is on the next page")
        eq([r["request_id"] for r in history(
            s, "?before=%s" % runs[-1]["request_id"])], [rid], "next page")
        ms = statistics.median(times)
        print("    history: 1000 runs listed over HTTP in %.1f ms "
              "(median of 5)" % ms)
        check(ms < 1000, "1000 runs listed in %.1f ms" % ms)
        # a var dir from before the index: indexed from run.json at start
        # (the 1,000 runs above have no directory: they are not)
        os.unlink(os.path.join(s.var_dir, "runs.index"))
        s.restart()
        eq(history(s), [entry], "indexed again at start")
