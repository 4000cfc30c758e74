"""test_api: the HTTP contract of the four FastCGI programs (SPEC 5) behind
a real lighttpd: the three input forms against build/lda, every endpoint's
JSON contract and error codes, health, dedup cache, retries, parallel runs,
scripts/lda-detect, access control. Servers: one shared server per config
(harness.shared_server), dedicated ones where a test consumes failpoints or
restarts the server."""

import hashlib
import json
import os
import subprocess
import tempfile
import threading
import time

import harness as H
from harness import check, eq, expect_error, expect_status, test

EXAMPLE = os.path.join(H.DATA, "transactions.csv")
SERVICES = ("layering", "wash_trading")
PROGRAMS = ("orchestrate", "detect-layering", "detect-wash", "aggregate")
ROUTES = {"orchestrate": "/api/orchestrate",
          "detect-layering": "/api/detect/layering",
          "detect-wash": "/api/detect/wash", "aggregate": "/api/aggregate"}
HEADER = "timestamp,account_id,product_id,side,price,quantity,event_type\n"
TRADE = "TRADE_EXECUTED"


def example():
    with open(EXAMPLE, "rb") as f:
        return f.read()


def srv():
    """The default server (no extra settings)."""
    return H.shared_server()


def misc_server():
    """Settings that do not disturb each other's tests."""
    return H.shared_server(ALLOW_PARTIAL_RESULTS=1, CACHE_TTL_SECONDS=1)


def gen(seed, **kw):
    g = H.gen_input(seed, **kw)
    return g


def ref(data, **env):
    r = H.run_lda(data, **env)
    eq(r.rc, 0, "build/lda exit status (stderr %r)" % r.stderr)
    return r


def trades(events):
    return [e for e in events if e.event_type.strip().upper() == TRADE]


# ------------------------------------------------------------ run checks

def check_run_shape(j, status="completed"):
    """Every SPEC 5.1 key with its type."""
    check(isinstance(j, dict), "orchestrate body is not an object: %r" % j)
    for k in ("request_id", "status", "event_count", "rejected_count",
              "rejected", "aggregated_count", "partial", "failed_services",
              "services", "outputs", "error"):
        check(k in j, "orchestrate response lacks %r: %r" % (k, j))
    check(H.UUID_RE.match(j["request_id"]), "request_id %r" % j["request_id"])
    eq(j["status"], status, "status (error %r)" % j.get("error"))
    for k in ("event_count", "rejected_count", "aggregated_count"):
        check(type(j[k]) is int and j[k] >= 0, "%s: %r" % (k, j[k]))
    check(type(j["partial"]) is bool, "partial: %r" % j["partial"])
    check(isinstance(j["rejected"], list), "rejected: %r" % j["rejected"])
    for x in j["rejected"]:
        check(isinstance(x, dict) and type(x.get("row")) is int and
              isinstance(x.get("reason"), str) and x["reason"],
              "rejected item %r" % x)
    check(isinstance(j["failed_services"], list) and
          all(isinstance(x, str) for x in j["failed_services"]),
          "failed_services: %r" % j["failed_services"])
    check(isinstance(j["services"], dict), "services: %r" % j["services"])
    for s in SERVICES:
        v = j["services"].get(s)
        check(isinstance(v, dict), "services.%s: %r" % (s, v))
        for k in ("status", "retry_count", "error"):
            check(k in v, "services.%s lacks %s: %r" % (s, k, v))
        check(isinstance(v["status"], str), "services.%s.status" % s)
        check(type(v["retry_count"]) is int and v["retry_count"] >= 0,
              "services.%s.retry_count %r" % (s, v["retry_count"]))
        check(v["error"] is None or isinstance(v["error"], str),
              "services.%s.error %r" % (s, v["error"]))
    if status == "completed":
        rid = j["request_id"]
        eq(j["outputs"], {
            "suspicious_accounts": "/api/runs/%s/suspicious_accounts.csv" % rid,
            "detections": "/api/runs/%s/detections.csv" % rid}, "outputs")
        check(j["error"] is None, "error on a completed run: %r" % j["error"])
    else:
        check(isinstance(j["error"], str) and j["error"],
              "a %s run needs an error text: %r" % (status, j["error"]))


def check_run(s, resp, data, gi=None, retries=None):
    """A completed run equals build/lda on data: counts, rejected rows,
    both reports byte for byte, run.json fingerprint. retries: expected
    retry_count per service (default 0 for both)."""
    expect_status(resp, 200)
    j = resp.json()
    check_run_shape(j)
    r = ref(data)
    eq(j["event_count"], r.run["event_count"], "event_count")
    eq(j["rejected_count"], r.run["rejected_count"], "rejected_count")
    eq([x["row"] for x in j["rejected"]],
       [x["row"] for x in r.run["rejected"]], "rejected rows")
    eq(j["aggregated_count"], r.run["merged_count"], "aggregated_count")
    eq(j["partial"], False, "partial")
    eq(j["failed_services"], [], "failed_services")
    for sv in SERVICES:
        eq(j["services"][sv]["status"], "success", "services.%s.status" % sv)
        eq(j["services"][sv]["retry_count"], (retries or {}).get(sv, 0),
           "services.%s.retry_count" % sv)
    if gi is not None:
        eq([x["row"] for x in j["rejected"]], [n for n, _ in gi.rejected],
           "rejected rows vs generator")
        for x, (n, field) in zip(j["rejected"], gi.rejected):
            if field:
                check(field in x["reason"], "row %d: reason %r does not name "
                      "%s" % (n, x["reason"], field))
    got = s.download(j["request_id"])
    for n in H.OUTPUTS:
        eq(got[n], r.files[n], "%s vs build/lda" % n)
    rj = s.get("/api/runs/%s/run.json" % j["request_id"])
    expect_status(rj, 200)
    run = rj.json()
    eq(run.get("fingerprint"), r.run["fingerprint"], "run.json fingerprint")
    eq(run.get("request_id"), j["request_id"], "run.json request_id")
    eq(run.get("event_count"), r.run["event_count"], "run.json event_count")
    eq(run.get("rejected_count"), r.run["rejected_count"],
       "run.json rejected_count")
    check(run.get("started") and run.get("finished"), "run.json times")
    return j


# ---------------------------------------------------------- input forms

@test
def forms_example_csv_body():
    s = srv()
    check_run(s, s.orchestrate_csv(example()), example())


@test
def forms_example_multipart():
    s = srv()
    check_run(s, s.orchestrate_multipart(example(), "transactions.csv"),
              example())


@test
def forms_example_input_file():
    s = srv()
    s.put_input("transactions.csv", example())
    check_run(s, s.orchestrate_file("transactions.csv"), example())


@test
def forms_generated_three_forms():
    """Layering + wash + rejected rows + quoted/multi-line fields, BOM,
    CRLF, shuffled columns: the three forms give build/lda's reports."""
    s = srv()
    for seed in (3, 4):                   # BOM+LF, CRLF
        g = gen(seed)
        r = ref(g.data)
        check(r.run["layering_count"] > 0 and r.run["wash_count"] > 0,
              "generated input has no layering/wash detections")
        sus = r.files["suspicious_accounts.csv"]
        check(b'"' in sus and b"'" in sus,
              "generated reports exercise neither quoting nor the guard")
        check_run(s, s.orchestrate_csv(g.data), g.data, g)
        # another file part is ignored (a plain field would be a per-run
        # parameter: test_params)
        extra = [("note", "note.txt", "text/plain", b"ignored part"),
                 ("other", "other.csv", "text/csv", HEADER.encode())]
        check_run(s, s.orchestrate_multipart(g.data, "gen.csv", extra=extra),
                  g.data, g)
        name = "gen-%d_input.v2.csv" % seed
        s.put_input(name, g.data)
        check_run(s, s.orchestrate_file(name), g.data, g)


@test
def fingerprint_python_equals_c():
    """README canonical form computed here == lda_fingerprint (build/lda
    and the server's run.json), and the order of rows does not matter."""
    s = srv()
    e = H.parse_events(example())
    eq(H.fingerprint(e), ref(example()).run["fingerprint"], "example")
    g = gen(5)
    fp = H.fingerprint(g.events)
    eq(fp, ref(g.data).run["fingerprint"], "generated")
    lines = [x.rstrip(b"\r\n") + b"\n" for x in example().splitlines()]
    rev = lines[0] + b"".join(reversed(lines[1:]))
    r = s.orchestrate_csv(rev)
    expect_status(r, 200)
    run = s.get("/api/runs/%s/run.json" % r.json()["request_id"]).json()
    eq(run["fingerprint"], H.fingerprint(e), "server fingerprint, reversed "
       "rows")


@test
def input_quoted_utf8_accepted():
    """SPEC 2: UTF-8 text in a quoted field is valid."""
    s = srv()
    body = (HEADER.rstrip("\n") + ",note\n" +
            '2025-10-27T10:00:00Z,"ÄCC1",IBM,BUY,1,5,ORDER_PLACED,x\n'
            '2025-10-27T10:00:01Z,ACC2,IBM,BUY,1,5,ORDER_PLACED,"é"\n'
            '2025-10-27T10:00:02Z,ACC3,"Ü,X",BUY,1,5,ORDER_PLACED,"éx"\n')
    r = s.orchestrate_csv(body)
    expect_status(r, 200)
    j = r.json()
    eq((j["event_count"], j["rejected"]), (3, []), "events, rejected")


# -------------------------------------------------- orchestrate errors

@test
def orch_400_missing_columns():
    s = srv()
    body = ("timestamp,account_id,product_id,side,qty,event_type\n"
            "2025-10-27T10:00:00Z,A,P,BUY,5,ORDER_PLACED\n")
    expect_error(s.orchestrate_csv(body), 400, "price", "quantity")
    body = "hello,world\n1,2\n"
    expect_error(s.orchestrate_csv(body), 400, "timestamp", "account_id",
                 "product_id", "side", "price", "quantity", "event_type")
    # a ';'-separated file is told so (docs/input.md#what-the-file-looks-like)
    m = s.orchestrate_multipart(b"a;b;c\n1;2;3\n")
    expect_error(m, 400, "fields seem separated by ';'")


@test
def orch_400_bad_csv():
    s = srv()
    cases = {
        "empty body": "",
        "duplicate column": HEADER.rstrip("\n") + ",price\n" +
        "2025-10-27T10:00:00Z,A,P,BUY,1,5,ORDER_PLACED,2\n",
        "header only": HEADER,
        "no valid event": HEADER + "2025-13-01T10:00:00Z,A,P,BUY,1,5,"
        "ORDER_PLACED\nbad,A,P,HOLD,1,5,X\n",
        "binary": "\x00\x01\x02\xff garbage",
        "unterminated quote": HEADER + '"2025-10-27T10:00:00Z,A,P,BUY,1,5,'
        'ORDER_PLACED\n',
        "blank lines only": "\n\n\r\n",
    }
    for what, body in cases.items():
        r = s.orchestrate_csv(body.encode("utf-8", "surrogateescape"))
        check(r.status == 400, "%s: status %d body %r" % (what, r.status,
                                                          r.body[:200]))
        expect_error(r, 400)
    # the same through the other forms
    s.put_input("header-only.csv", HEADER)
    expect_error(s.orchestrate_file("header-only.csv"), 400)
    expect_error(s.orchestrate_multipart(HEADER.encode()), 400)


BAD_NAMES = [
    "../x.csv", "..", ".", "/etc/passwd", "a/b.csv", ".hidden.csv", "x.csv.",
    "%2e%2e%2fx", "x\u0000.csv", "x" * 300 + ".csv", "x.csv/", "..\\x.csv",
    "a\\b.csv", "\\etc\\passwd", "../secret.csv", "./secret.csv",
    "input/../secret.csv", " x.csv", "x.csv ", "x.csv\n", "", "x y.csv",
    "x;.csv", "~/x.csv", "x*.csv", "é.csv", "..csv.", "....", "C:\\x.csv",
    "x.csv%00", "%2e%2e/secret.csv",
]


@test
def orch_400_bad_input_file_names():
    s = srv()
    # Targets the traversal forms would reach if they were followed.
    with open(os.path.join(s.root, "secret.csv"), "wb") as f:
        f.write(example())
    s.put_input("x.csv", example())
    for name in BAD_NAMES:
        r = s.orchestrate_file(name)
        check(r.status == 400, "input_file %r: status %d, want 400 (%r)"
              % (name, r.status, r.body[:200]))
        expect_error(r, 400)
    for bad in (5, None, ["x.csv"], {"a": 1}, True):
        expect_error(s.post_json("/api/orchestrate", {"input_file": bad}), 400)
    expect_error(s.post_json("/api/orchestrate", {}), 400)
    expect_error(s.post_json("/api/orchestrate", {"file": "x.csv"}), 400)


@test
def orch_400_input_file_symlink_outside():
    """A resolved path outside LDA_INPUT_DIR is 400 (SPEC 5.1)."""
    s = srv()
    outside = os.path.join(s.root, "outside.csv")
    with open(outside, "wb") as f:
        f.write(example())
    link = os.path.join(s.input_dir, "link.csv")
    if not os.path.lexists(link):
        os.symlink(outside, link)
    expect_error(s.orchestrate_file("link.csv"), 400)
    d = os.path.join(s.input_dir, "dir.csv")
    os.makedirs(d, exist_ok=True)
    r = s.orchestrate_file("dir.csv")
    check(r.status in (400, 404), "a directory as input_file: %d" % r.status)
    expect_error(r, r.status)


@test
def orch_400_bad_json():
    s = srv()
    for body in (b"{", b"[]", b'"x.csv"', b"null", b"", b'{"input_file":',
                 b'{"input_file":"x.csv"} trailing', b"\xff\xfe{}",
                 b'{"input_file":"x.csv","input_file":"y.csv"',
                 b"[" * 100000):
        r = s.post("/api/orchestrate", body, "application/json")
        check(r.status == 400, "JSON body %r: status %d" % (body[:40],
                                                           r.status))
        expect_error(r, 400)


@test
def orch_404_input_file_missing():
    s = srv()
    for name in ("missing.csv", "no_such-file.v1.csv"):
        expect_error(s.orchestrate_file(name), 404)


@test
def orch_413_upload_limit():
    s = H.shared_server(MAX_UPLOAD_BYTES=3000, MAX_EVENTS=10)
    ok = example().splitlines(keepends=True)
    small = b"".join(ok[:6])
    expect_status(s.orchestrate_csv(small), 200)
    # Over MAX_UPLOAD_BYTES but under lighttpd's KiB-rounded limit (3072):
    # the program itself must refuse it.
    pad = b"\n" * (3001 - len(small))
    big = small + pad
    eq(len(big), 3001, "body size")
    expect_error(s.orchestrate_csv(big), 413)
    body, ct = H.multipart([("file", "x.csv", "text/csv", small)])
    body, ct = H.multipart([("file", "x.csv", "text/csv", small + b"\n" *
                             (3040 - len(body)))])
    check(3000 < len(body) <= 3072, "multipart size %d" % len(body))
    expect_error(s.post("/api/orchestrate", body, ct), 413)
    # Far over: lighttpd answers (maybe without our JSON).
    r = s.orchestrate_csv(small + b"\n" * 200000, check=False)
    eq(r.status, 413, "200 kB body status")
    # the connection and server still work afterwards
    expect_status(s.orchestrate_csv(small), 200)


@test
def orch_413_lighttpd_limit():
    """A body far over MAX_UPLOAD_BYTES is refused by lighttpd itself (from
    Content-Length, before the body is buffered): 413, lighttpd's own
    answer, JSON on /api/ (errors/api-413.html), no program involved."""
    s = H.shared_server(MAX_UPLOAD_BYTES=3000, MAX_EVENTS=10)
    r = s.orchestrate_csv(b"\n" * 200000, check=False)
    eq(r.status, 413, "status")
    check(H.lighttpd_own_error(r), "413 not from lighttpd: %r" % r.headers)
    eq(r.json(), {"error": "request body too large"}, "413 body")
    check(b"/tmp" not in r.body and b"/work" not in r.body, "leaks a path")


@test
def orch_413_max_events():
    s = H.shared_server(MAX_UPLOAD_BYTES=3000, MAX_EVENTS=10)
    rows = example().splitlines(keepends=True)
    ten = b"".join(rows[:11])
    eleven = b"".join(rows[:12])
    r = s.orchestrate_csv(ten)
    expect_status(r, 200)
    eq(r.json()["event_count"], 10, "event_count")
    expect_error(s.orchestrate_csv(eleven), 413)
    # 10 valid + rejected rows is fine: the limit counts valid events
    mixed = ten + b"bad,A,P,BUY,1,5,ORDER_PLACED\nx\n"
    r = s.orchestrate_csv(mixed)
    expect_status(r, 200)
    eq((r.json()["event_count"], r.json()["rejected_count"]), (10, 2),
       "counts")
    s.put_input("eleven.csv", eleven)
    expect_error(s.orchestrate_file("eleven.csv"), 413)
    expect_error(s.orchestrate_multipart(eleven), 413)


@test
def orch_415_content_types():
    s = srv()
    for ct in ("text/plain", "application/xml", "text/csvx", "text/html",
               "application/x-www-form-urlencoded", "application/jsonx",
               "application/octet-stream", "multipart/mixed; boundary=x", ""):
        r = s.post("/api/orchestrate", example(), ct)
        check(r.status == 415, "Content-Type %r: status %d" % (ct, r.status))
        expect_error(r, 415)
    r = s.request("POST", "/api/orchestrate", body=example())
    expect_error(r, 415)
    # parameters and case are accepted
    expect_status(s.post("/api/orchestrate", example(),
                         "Text/CSV; charset=utf-8"), 200)


@test
def orch_405_wrong_method():
    s = srv()
    for m in ("GET", "PUT", "DELETE", "PATCH"):
        r = s.request(m, "/api/orchestrate")
        check(r.status == 405, "%s: status %d" % (m, r.status))
        expect_error(r, 405)


@test
def orch_request_id_propagation():
    s = srv()
    rid = H.new_uuid()
    r = s.orchestrate_csv(example(), headers={"X-Request-ID": rid})
    expect_status(r, 200)
    eq(r.json()["request_id"], rid, "response request_id")
    eq(r.header("x-request-id"), rid, "X-Request-ID header")
    for prog in ("detect-layering", "detect-wash"):
        lines = s.logs(msg="detection run", request_id=rid, service=prog)
        eq(len(lines), 1, "%s 'detection run' lines with the incoming id"
           % prog)
    check(s.logs(request_id=rid, service="aggregate"),
          "no aggregate log line carries the incoming id")
    check(os.path.isdir(s.run_dir(rid)), "run dir named by the incoming id")
    eq(s.download(rid), ref(example()).files, "reports")
    # Not a UUID: a fresh id is made, not the given text.
    r = s.orchestrate_csv(example(), headers={"X-Request-ID": "../../x"})
    expect_status(r, 200)
    check(r.json()["request_id"] != "../../x" and
          H.UUID_RE.match(r.json()["request_id"]), "fresh id")


@test
def every_error_has_request_id():
    """Error responses of each program carry X-Request-ID and echo an
    incoming one (checked centrally by the harness on every response)."""
    s = srv()
    rid = H.new_uuid()
    for path in ("/api/orchestrate", "/api/detect/layering",
                 "/api/detect/wash", "/api/aggregate"):
        h = {"X-Request-ID": rid}
        if path == "/api/aggregate":          # its key comes first
            h["X-API-Key"] = s.internal_key
        r = s.post(path, b"x", "text/plain", headers=h)
        expect_error(r, 415)
        eq(r.header("x-request-id"), rid, path + " X-Request-ID")
        eq(r.json()["request_id"], rid, path + " body request_id")
    r = s.get("/api/runs/nope/run.json", headers={"X-Request-ID": rid})
    expect_error(r, 400)
    eq(r.header("x-request-id"), rid, "runs X-Request-ID")


# --------------------------------------------------------------- detectors

SEQ_KEYS = ("account_id", "product_id", "start_timestamp", "end_timestamp",
            "total_buy_qty", "total_sell_qty", "detection_type", "side",
            "num_cancelled_orders", "order_timestamps",
            "alternation_percentage", "price_change_percentage")


def check_det_response(r, service, rid, cached):
    expect_status(r, 200)
    j = r.json()
    for k in ("request_id", "service_name", "status", "results", "error",
              "final_status", "cached"):
        check(k in j, "detector response lacks %r: %r" % (k, j))
    eq(j["request_id"], rid, "request_id")
    eq(j["service_name"], service, "service_name")
    eq(j["status"], "success", "status")
    eq(j["error"], None, "error")
    eq(j["final_status"], True, "final_status")
    eq(j["cached"], cached, "cached")
    check(isinstance(j["results"], list), "results %r" % j["results"])
    for q in j["results"]:
        # records/observed: on the sequences the merge keeps (test_alerts)
        keys = SEQ_KEYS + (("records", "observed") if "records" in q else ())
        eq(sorted(q), sorted(keys), "sequence keys")
        if q["detection_type"] == "LAYERING":
            check(q["side"] in ("BUY", "SELL") and
                  type(q["num_cancelled_orders"]) is int and
                  isinstance(q["order_timestamps"], list) and
                  q["alternation_percentage"] is None and
                  q["price_change_percentage"] is None, "layering %r" % q)
        else:
            eq(q["detection_type"], "WASH_TRADING", "type")
            check(q["side"] is None and q["num_cancelled_orders"] is None and
                  q["order_timestamps"] is None and
                  isinstance(q["alternation_percentage"], (int, float)),
                  "wash %r" % q)
            p = q["price_change_percentage"]
            check(p is None or p >= 1.0, "price_change %r" % p)
    return j


def csv_rows(path):
    import csv
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


@test
def detect_layering_json_example():
    """JSON form; the results agree with the spec example's reports."""
    s = srv()
    ev = H.parse_events(example())
    rid = H.new_uuid()
    r = s.post_json("/api/detect/layering", H.events_json(ev, rid))
    j = check_det_response(r, "layering", rid, False)
    sus = csv_rows(os.path.join(H.DATA, "expected-suspicious_accounts.csv"))
    det = csv_rows(os.path.join(H.DATA, "expected-detections.csv"))
    eq(len(j["results"]), len(sus), "number of sequences")
    for q in j["results"]:
        row = [x for x in sus if (x["account_id"], x["product_id"]) ==
               (q["account_id"], q["product_id"])]
        check(len(row) == 1, "unexpected sequence %r" % q)
        row = row[0]
        d = [x for x in det if x["account_id"] == q["account_id"]][0]
        eq(q["detection_type"], row["detection_type"], "type")
        eq(str(q["total_buy_qty"]), row["total_buy_qty"], "total_buy_qty")
        eq(str(q["total_sell_qty"]), row["total_sell_qty"], "total_sell_qty")
        eq(str(q["num_cancelled_orders"]), row["num_cancelled_orders"],
           "num_cancelled_orders")
        eq(q["end_timestamp"], row["detected_timestamp"], "end_timestamp")
        eq(";".join(q["order_timestamps"]), d["order_timestamps"],
           "order_timestamps")
        eq("%.3f" % (H.parse_ts(q["end_timestamp"]) -
                     H.parse_ts(q["start_timestamp"])),
           d["duration_seconds"], "duration")
        eq(q["side"], "BUY", "side")


@test
def detect_both_forms_generated():
    """JSON, the CSV form and the binary internal form give the same
    results; counts equal build/lda's per-detector counts (before the
    merge)."""
    s = srv()
    g = gen(6)
    r = ref(g.data)
    for path, service, evs, count in (
            ("/api/detect/layering", "layering", g.events,
             r.run["layering_count"]),
            ("/api/detect/wash", "wash_trading", trades(g.events),
             r.run["wash_count"])):
        rid1, rid2 = H.new_uuid(), H.new_uuid()
        a = check_det_response(s.post_json(path, H.events_json(evs, rid1)),
                               service, rid1, False)
        b = check_det_response(
            s.post(path, H.events_csv(evs), "text/csv",
                   headers={"X-Request-ID": rid2,
                            "X-Event-Fingerprint": H.fingerprint(evs)}),
            service, rid2, False)
        rid3 = H.new_uuid()
        c = check_det_response(
            s.post(path, H.events_wire(evs), "application/x-lda-events",
                   headers={"X-Request-ID": rid3,
                            "X-Event-Fingerprint": H.fingerprint(evs)}),
            service, rid3, False)
        eq(len(a["results"]), count, service + " sequences vs build/lda")
        eq(a["results"], b["results"], service + " JSON vs CSV form")
        eq(a["results"], c["results"], service + " JSON vs binary form")
        check(count > 0, "data has no %s sequences" % service)


def det_bodies(ev):
    """(what, body dict) of malformed JSON-form requests for events ev."""
    rid = H.new_uuid()
    good = H.events_json(ev, rid)

    def mod(**kw):
        d = json.loads(json.dumps(good))
        d.update(kw)
        return d

    def ev_mod(i, **kw):
        d = json.loads(json.dumps(good))
        for k, v in kw.items():
            if v is None:
                del d["events"][i][k]
            else:
                d["events"][i][k] = v
        return d
    fp = good["event_fingerprint"]
    return [
        ("bad UUID", mod(request_id="not-a-uuid")),
        ("UUID too long", mod(request_id=rid + "0")),
        ("UUID missing", {k: v for k, v in good.items() if k != "request_id"}),
        ("UUID number", mod(request_id=12)),
        ("fingerprint upper", mod(event_fingerprint=fp.upper())),
        ("fingerprint short", mod(event_fingerprint=fp[:63])),
        ("fingerprint non-hex", mod(event_fingerprint="g" * 64)),
        ("fingerprint missing",
         {k: v for k, v in good.items() if k != "event_fingerprint"}),
        ("fingerprint mismatch", mod(event_fingerprint="0" * 64)),
        ("events not a list", mod(events={"a": 1})),
        ("side", ev_mod(0, side="HOLD")),
        ("price NaN", ev_mod(0, price="NaN")),
        ("price negative", ev_mod(0, price="-1")),
        ("quantity 0", ev_mod(0, quantity=0)),
        ("quantity float", ev_mod(0, quantity=1.5)),
        ("quantity missing", ev_mod(0, quantity=None)),
        ("timestamp", ev_mod(0, timestamp="2025-02-30T10:00:00Z")),
        ("event_type", ev_mod(0, event_type="ORDER")),
        ("account empty", ev_mod(0, account_id="")),
        ("account control", ev_mod(0, account_id="A\u0001")),
        ("event not object", mod(events=[1, 2])),
    ]


@test
def detect_400_malformed():
    s = srv()
    ev = H.parse_events(example())
    for path in ("/api/detect/layering", "/api/detect/wash"):
        evs = ev if "layering" in path else trades(ev)
        for what, body in det_bodies(evs):
            r = s.post_json(path, body)
            check(r.status == 400, "%s %s: status %d %r" % (path, what,
                                                           r.status, r.body))
            expect_error(r, 400)
        for body in (b"{", b"[]", b"", b"null", b"\xff"):
            expect_error(s.post(path, body, "application/json"), 400)
        # the events as CSV, and the binary internal form: header rules
        rid, fp = H.new_uuid(), H.fingerprint(evs)
        body, wire = H.events_csv(evs), H.events_wire(evs)
        for what, hdrs in (
                ("no request id", {"X-Event-Fingerprint": fp}),
                ("bad request id", {"X-Request-ID": "x",
                                    "X-Event-Fingerprint": fp}),
                ("no fingerprint", {"X-Request-ID": rid}),
                ("bad fingerprint", {"X-Request-ID": rid,
                                     "X-Event-Fingerprint": fp.upper()}),
                ("short fingerprint", {"X-Request-ID": rid,
                                       "X-Event-Fingerprint": fp[1:]}),
                ("mismatch", {"X-Request-ID": rid,
                              "X-Event-Fingerprint": "a" * 64})):
            for b, ct in ((body, "text/csv"),
                          (wire, "application/x-lda-events")):
                r = s.post(path, b, ct, headers=hdrs)
                check(r.status == 400, "%s %s %s: status %d" % (
                    path, ct, what, r.status))
                expect_error(r, 400)
        # a damaged binary body
        for what, b in (("truncated", wire[:-1]), ("trailing", wire + b"x"),
                        ("not ours", b"LDAEV9\n\0" + wire[8:]),
                        ("empty", b"")):
            r = s.post(path, b, "application/x-lda-events", headers={
                "X-Request-ID": H.new_uuid(), "X-Event-Fingerprint": fp})
            check(r.status == 400, "%s binary %s: status %d" % (path, what,
                                                               r.status))
            j = expect_error(r, 400)
            check(j["error"].startswith("invalid event body: "),
                  "%s binary %s: %r" % (path, what, j["error"]))
        bad = body + b"2025-10-26T10:00:00.000000Z,A,P,HOLD,1,1," \
                     b"TRADE_EXECUTED\n"
        expect_error(s.post(path, bad, "text/csv", headers={
            "X-Request-ID": H.new_uuid(), "X-Event-Fingerprint": fp}), 400)
        expect_error(s.post(path, b"a,b\n1,2\n", "text/csv", headers={
            "X-Request-ID": H.new_uuid(), "X-Event-Fingerprint": fp}), 400)
        # a rejected request is not cached: a correct one is computed
        rid = H.new_uuid()
        expect_error(s.post_json(path, H.events_json(evs, rid, "1" * 64)), 400)
        check_det_response(s.post_json(path, H.events_json(evs, rid)),
                           "layering" if "layering" in path else
                           "wash_trading", rid, False)


@test
def detect_415_405():
    s = srv()
    ev = H.parse_events(example())
    for path in ("/api/detect/layering", "/api/detect/wash"):
        body = json.dumps(H.events_json(ev, H.new_uuid()))
        for ct in ("text/plain", "application/xml", ""):
            expect_error(s.post(path, body, ct), 415)
        for m in ("GET", "PUT", "DELETE"):
            expect_error(s.request(m, path), 405)


@test
def detect_wash_empty_trades():
    """Wash may get no trades at all (CSV header only, JSON [])."""
    s = srv()
    rid = H.new_uuid()
    j = check_det_response(s.post("/api/detect/wash", HEADER, "text/csv",
                                  headers={"X-Request-ID": rid,
                                           "X-Event-Fingerprint":
                                           H.fingerprint([])}),
                           "wash_trading", rid, False)
    eq(j["results"], [], "results")
    rid = H.new_uuid()
    j = check_det_response(s.post_json("/api/detect/wash",
                                       H.events_json([], rid)),
                           "wash_trading", rid, False)
    eq(j["results"], [], "results")


# --------------------------------------------------------------- aggregate

def detector_results(s, events, rid, key=None):
    """Both detectors' JSON answers for events, as docs/api.md#aggregate result entries."""
    out = []
    hdrs = {"X-API-Key": key} if key else {}
    for path, evs in (("/api/detect/layering", events),
                      ("/api/detect/wash", trades(events))):
        r = s.post_json(path, H.events_json(evs, rid), headers=hdrs)
        expect_status(r, 200)
        j = r.json()
        j.pop("cached", None)
        j["retry_count"] = 0
        out.append(j)
    return out


def reports_only(files):
    return {n: files[n] for n in H.REPORTS}


def check_alert_rows(s, rid):
    """alerts.json: one alert per report row, in the same order."""
    sus = s.download(rid, H.REPORTS)[H.REPORTS[0]].decode("utf-8")
    alerts = s.get("/api/runs/%s/alerts.json" % rid).json()
    rows = sus.split("\r\n")[1:-1]
    eq(len(alerts), len(rows), "alerts per report row")
    for a, row in zip(alerts, rows):
        check(a["detected_timestamp"] in row and a["detection_type"] in row,
              "alert %r vs row %r" % (a, row))


def agg_body(rid, results, expected=SERVICES):
    return {"request_id": rid, "expected_services": list(expected),
            "results": results}


def check_no_reports(s, rid, what):
    d = s.run_dir(rid)
    for n in H.OUTPUTS:
        check(not os.path.exists(os.path.join(d, n)),
              "%s: %s written" % (what, n))
        r = s.get("/api/runs/%s/%s" % (rid, n))
        check(r.status == 404, "%s: download %s: %d" % (what, n, r.status))
    p = os.path.join(d, "run.json")
    check(os.path.exists(p), "%s: no run.json recording the failure" % what)
    with open(p) as f:
        run = json.load(f)
    check(run.get("status") != "completed" and run.get("error"),
          "%s: run.json does not record a failure: %r" % (what, run))
    return run


@test
def aggregate_completed():
    s = srv()
    g = gen(7)
    r = ref(g.data)
    rid = H.new_uuid()
    res = detector_results(s, g.events, rid)
    a = s.aggregate(agg_body(rid, res))
    expect_status(a, 200)
    j = a.json()
    for k in ("status", "merged_count", "failed_services", "error"):
        check(k in j, "aggregate response lacks %s: %r" % (k, j))
    eq(j["status"], "completed", "status (%r)" % j.get("error"))
    eq(j["merged_count"], r.run["merged_count"], "merged_count")
    eq(j["failed_services"], [], "failed_services")
    eq(j["error"], None, "error")
    # the detectors numbered the JSON events 2, 3, ... (their list
    # positions), not as the CSV records: alerts.json differs in records
    eq(s.download(rid, H.REPORTS), reports_only(r.files), "reports")
    check_alert_rows(s, rid)
    run = s.get("/api/runs/%s/run.json" % rid).json()
    eq(run.get("status"), "completed", "run.json status")
    # order of results does not matter
    rid2 = H.new_uuid()
    res2 = detector_results(s, g.events, rid2)
    a = s.aggregate(agg_body(rid2, res2[::-1], SERVICES[::-1]))
    eq(a.json()["status"], "completed", "reversed results")
    eq(s.download(rid2), s.download(rid), "reports (reversed results)")


@test
def aggregate_validation_failed():
    s = srv()
    ev = H.parse_events(example())
    rid0 = H.new_uuid()
    lay, wash = detector_results(s, ev, rid0)

    def cp(x, **kw):
        y = json.loads(json.dumps(x))
        y.update(kw)
        return y
    cases = [
        ("missing service", [lay]),
        ("duplicate service", [lay, cp(lay), wash]),
        ("final_status false", [lay, cp(wash, final_status=False)]),
        ("wash failure", [lay, cp(wash, status="failure", results=None,
                                  error="detector failed")]),
        ("wash timeout", [lay, cp(wash, status="timeout", results=None,
                                  error="timed out")]),
        ("wash exhausted", [lay, {"service_name": "wash_trading",
                                  "status": "exhausted", "results": None,
                                  "error": "HTTP 500", "final_status": True,
                                  "retry_count": 3}]),
        ("no results", []),
    ]
    for what, results in cases:
        rid = H.new_uuid()
        for x in results:
            x["request_id"] = rid
        a = s.aggregate(agg_body(rid, results))
        expect_status(a, 200)
        j = a.json()
        eq(j.get("status"), "validation_failed", what)
        check(isinstance(j.get("error"), str) and j["error"],
              "%s: error %r" % (what, j.get("error")))
        check_no_reports(s, rid, what)


@test
def aggregate_400_415_405():
    s = srv()
    for body in (b"{", b"[]", b"null", b"", b'"x"', b'{"request_id":"x",'
                 b'"expected_services":[],"results":[]}',
                 json.dumps({"expected_services": list(SERVICES),
                             "results": []}).encode()):
        r = s.aggregate(body, "application/json")
        check(r.status == 400, "aggregate %r: %d" % (body[:60], r.status))
        expect_error(r, 400)
    # Wrong member types: a 400, or the 5.3 validation_failed answer.
    for body in ({"request_id": H.new_uuid(), "expected_services": "layering",
                  "results": []},
                 {"request_id": H.new_uuid(),
                  "expected_services": list(SERVICES), "results": {}},
                 {"request_id": H.new_uuid(), "expected_services": ["bogus"],
                  "results": []}):
        r = s.aggregate(body)
        if r.status == 400:
            expect_error(r, 400)
        else:
            expect_status(r, 200)
            eq(r.json().get("status"), "validation_failed", repr(body))
            check_no_reports(s, body["request_id"], repr(body)[:60])
    expect_error(s.aggregate(b"{}", "text/csv"), 415)
    expect_error(s.get("/api/aggregate",
                       headers={"X-API-Key": s.internal_key}), 405)
    # The binary form (what the orchestrator sends): malformed frames are
    # 400s in safe words; a head whose success entry lacks its sequences
    # too.
    rid = H.new_uuid()
    head = json.dumps({"request_id": rid, "expected_services": ["layering"],
                       "results": [{"service_name": "layering",
                                    "status": "success",
                                    "final_status": True}]}).encode()
    frame = b"LDAAG1\n\0" + H.varint(len(head)) + head
    for what, body, word in (
            ("not ours", b"{}", "not an aggregate body"),
            ("head cut", frame[:-5], "not an aggregate body"),
            ("bad head", b"LDAAG1\n\0\x03{x}", "invalid JSON head"),
            ("no sequences", frame, "sequences"),
            ("trailing", frame + b"\0\0", "data after")):
        r = s.aggregate(body, "application/x-lda-aggregate")
        check(r.status == 400, "binary aggregate %s: %d" % (what, r.status))
        expect_error(r, 400, word)
    r = s.aggregate(frame + b"\0", "application/x-lda-aggregate")
    expect_status(r, 200)
    eq(r.json().get("status"), "completed", "binary aggregate, no sequence")


@test
def aggregate_schema_400():
    """A malformed aggregate request (a member missing or of the wrong
    type, an unknown service, sequences that do not decode) is a 400 at the
    boundary with the field named, and no run is started; a well-formed
    request whose services are incomplete is still validation_failed."""
    s = srv()
    ev = H.parse_events(example())
    lay, wash = detector_results(s, ev, H.new_uuid())

    def body(**kw):
        rid = H.new_uuid()
        b = agg_body(rid, [dict(lay, request_id=rid),
                           dict(wash, request_id=rid)])
        for k, v in kw.items():
            if k.startswith("lay_"):
                b["results"][0][k[4:]] = v
            else:
                b[k] = v
        return b
    cases = [
        ("expected_services", dict(expected_services="layering")),
        ("expected_services", dict(expected_services=["bogus"])),
        ("results", dict(results={})),
        ("results[0]", dict(results=[7])),
        ("service_name", dict(lay_service_name="bogus")),
        ("status", dict(lay_status=7)),
        ("final_status", dict(lay_final_status="yes")),
        ("retry_count", dict(lay_retry_count=-1)),
        ("error", dict(lay_error=5)),
        ("layering.results", dict(lay_results=None)),
        ("end_timestamp", dict(lay_results=[dict(lay["results"][0],
                                                 end_timestamp="never")]
                               if lay["results"] else "x")),
        ("event_count", dict(event_count="many")),
        ("rejected", dict(rejected=[{"row": 0}])),
        ("started", dict(started="yesterday")),
        ("event_fingerprint", dict(event_fingerprint="abc")),
    ]
    for word, kw in cases:
        b = body(**kw)
        r = s.aggregate(b)
        check(r.status == 400, "%s: status %d %r" % (word, r.status,
                                                     r.body[:200]))
        expect_error(r, 400, word)
        check(not os.path.exists(s.run_dir(b["request_id"])),
              "%s: a run directory was made for a malformed request" % word)
    # well formed, services incomplete: the 5.3 answer, recorded
    b = body()
    b["results"] = b["results"][:1]
    r = s.aggregate(b)
    expect_status(r, 200)
    eq(r.json().get("status"), "validation_failed", "missing service")
    check_no_reports(s, b["request_id"], "missing service")


@test
def detect_health_and_unknown_paths():
    """A detector's routes are its table's: POST to its health path is 405
    (Allow: GET, HEAD), a path below its route 404, neither runs it."""
    s = srv()
    for route in ("/api/detect/layering", "/api/detect/wash"):
        r = s.post(route + "/health", b"{}", "application/json")
        expect_error(r, 405)
        eq(r.headers.get("allow"), "GET, HEAD", "Allow of " + route)
        expect_error(s.post(route + "/x", b"{}", "application/json"), 404)
        expect_status(s.get(route + "/health"), 200)


@test
def aggregate_partial_results():
    s = misc_server()
    g = gen(8)
    full = ref(g.data)
    lay_only = ref(g.data, WASH_MIN_BUY_TRADES=1000000)
    eq(lay_only.run["wash_count"], 0, "reference without wash")
    check(full.files != lay_only.files, "data must have wash detections")
    rid = H.new_uuid()
    lay, _ = detector_results(s, g.events, rid)
    exh = {"service_name": "wash_trading", "status": "exhausted",
           "results": None, "error": "HTTP 500", "final_status": True,
           "retry_count": 3, "request_id": rid}
    a = s.aggregate(agg_body(rid, [lay, exh]))
    expect_status(a, 200)
    j = a.json()
    eq(j["status"], "completed", "status (%r)" % j.get("error"))
    eq(j.get("partial"), True, "partial")
    eq(j["failed_services"], ["wash_trading"], "failed_services")
    eq(j["merged_count"], lay_only.run["merged_count"], "merged_count")
    eq(s.download(rid, H.REPORTS), reports_only(lay_only.files),
       "reports from layering only")
    check_alert_rows(s, rid)
    run = s.get("/api/runs/%s/run.json" % rid).json()
    eq(run.get("partial"), True, "run.json partial")
    # still validation_failed for a missing service or final_status false
    rid = H.new_uuid()
    lay["request_id"] = rid
    a = s.aggregate(agg_body(rid, [lay]))
    eq(a.json()["status"], "validation_failed", "missing service")


# -------------------------------------------------------------------- runs

@test
def runs_downloads():
    s = srv()
    r = s.orchestrate_csv(example())
    rid = r.json()["request_id"]
    for n in H.REPORTS:
        d = s.get("/api/runs/%s/%s" % (rid, n))
        expect_status(d, 200)
        ct = d.header("content-type") or ""
        check(ct.split(";")[0].strip() == "text/csv", n + " Content-Type "
              + ct)
        cd = d.header("content-disposition") or ""
        check(cd.startswith("attachment") and n in cd,
              "%s Content-Disposition %r" % (n, cd))
        eq(d.body, ref(example()).files[n], n)
    d = s.get("/api/runs/%s/run.json" % rid)
    expect_status(d, 200)
    check((d.header("content-type") or "").startswith("application/json"),
          "run.json Content-Type %r" % d.header("content-type"))
    run = d.json()
    for k in ("request_id", "started", "finished", "event_count",
              "rejected_count", "rejected", "fingerprint", "partial",
              "merged_count"):
        check(k in run, "run.json lacks %s" % k)
    check("services" in run or all(k in json.dumps(run) for k in SERVICES),
          "run.json has no per-service status: %r" % run)
    # uppercase UUID of an existing run: same run or 404, never 400/500
    d = s.get("/api/runs/%s/run.json" % rid.upper())
    check(d.status in (200, 404), "uppercase id: %d" % d.status)


@test
def runs_404():
    s = srv()
    r = s.orchestrate_csv(example())
    rid = r.json()["request_id"]
    for p in ["/api/runs/%s/%s" % (H.new_uuid(), n)
              for n in H.REPORTS + ("run.json",)] + [
            "/api/runs/%s/other.csv" % rid, "/api/runs/%s/" % rid,
            "/api/runs/%s" % rid, "/api/runs/%s/run.json.tmp" % rid,
            "/api/runs/%s/detections.csv/x" % rid,
            "/api/runs/%s/RUN.JSON" % rid]:
        expect_error(s.get(p), 404)
    # a dot segment anywhere is refused before routing (lighttpd.conf)
    r = s.get("/api/runs/%s/%%2e%%2e" % rid, check=False)
    eq(r.status, 400, "dot segment")


@test
def runs_400_non_uuid():
    s = srv()
    for rid in ("not-a-uuid", "x" * 300, H.new_uuid() + "0",
                H.new_uuid()[:-1], "...", "a..b", "%2e%2e%2e",
                "{%s}" % H.new_uuid(), H.new_uuid().replace("-", ""),
                "..%5c..%5cetc", "x" * 5000):
        r = s.get("/api/runs/%s/run.json" % rid)
        check(r.status == 400, "run id %r: %d" % (rid[:60], r.status))
        expect_error(r, 400)
    expect_error(s.get("/api/runs/"), 400)


@test
def runs_400_dot_segments():
    """SPEC 5.4: '..' (also encoded) as the run id is 400."""
    s = srv()
    for p in ("/api/runs/../run.json", "/api/runs/%2e%2e/run.json",
              "/api/runs/%2E%2E/detections.csv", "/api/runs/.%2e/run.json"):
        r = s.get(p, check=False)
        check(r.status != 200, "%s served something" % p)
        check(r.status >= 400 and b"fingerprint" not in r.body,
              "%s: %r" % (p, r))
        check(r.status == 400, "%s: status %d, want 400" % (p, r.status))


# ------------------------------------------------------------------ health

@test
def health_each_program():
    s = srv()
    for prog in PROGRAMS:
        r = s.get(ROUTES[prog] + "/health")
        expect_status(r, 200)
        eq(r.json(), {"status": "healthy", "service": prog},
           prog + " health")


@test
def health_all_with_latency():
    s = srv()
    r = s.get("/api/health")
    expect_status(r, 200)
    j = r.json()
    eq(j.get("status"), "healthy", "status")

    def find(o, name):
        if isinstance(o, dict):
            if name in o and isinstance(o[name], dict):
                return o[name]
            if o.get("service") == name:
                return o
            for v in o.values():
                f = find(v, name)
                if f:
                    return f
        elif isinstance(o, list):
            for v in o:
                f = find(v, name)
                if f:
                    return f
        return None
    for prog in PROGRAMS:
        e = find(j, prog)
        check(e is not None, "/api/health does not report %s: %r" % (prog, j))
        eq(e.get("status"), "healthy", prog + " status")
        lat = [v for k, v in e.items() if "latency" in k]
        check(lat and all(isinstance(v, (int, float)) and v >= 0
                          for v in lat), "%s latency: %r" % (prog, e))


# ------------------------------------------------------------------- dedup

# lda_param_query of the default parameters: with the fingerprint, the
# detectors' cache key (docs/api.md#detectors)
DEFAULT_QUERY = ("layering_orders_window_seconds=10&"
                 "layering_cancel_window_seconds=5&"
                 "layering_trade_window_seconds=2&wash_window_seconds=1800&"
                 "wash_min_buy_trades=3&wash_min_sell_trades=3&"
                 "wash_min_alternation_pct=60&wash_min_volume=10000&"
                 "wash_price_change_pct=1")


def det_call(s, path, evs, rid, form="json"):
    if form == "json":
        return s.post_json(path, H.events_json(evs, rid))
    return s.post(path, H.events_csv(evs), "text/csv", headers={
        "X-Request-ID": rid, "X-Event-Fingerprint": H.fingerprint(evs)})


@test
def dedup_repeat_is_cached():
    s = srv()
    ev = gen(9).events
    for path, prog, svc, evs in (
            ("/api/detect/layering", "detect-layering", "layering", ev),
            ("/api/detect/wash", "detect-wash", "wash_trading", trades(ev))):
        rid = H.new_uuid()
        first = check_det_response(det_call(s, path, evs, rid), svc, rid,
                                   False)
        seen = [first]
        for form in ("json", "csv", "json", "csv"):
            j = check_det_response(det_call(s, path, evs, rid, form), svc,
                                   rid, True)
            eq(j["results"], first["results"], "cached results")
            seen.append(j)
        eq(len(s.logs(msg="detection run", request_id=rid, service=prog)), 1,
           prog + " 'detection run' lines")
        eq(len(s.logs(msg="cache hit", request_id=rid, service=prog)), 4,
           prog + " 'cache hit' lines")
        # same id, other events: computed again
        other = evs[:-1]
        check_det_response(det_call(s, path, other, rid), svc, rid, False)
        eq(len(s.logs(msg="detection run", request_id=rid, service=prog)), 2,
           prog + " runs after a different fingerprint")
        # in parallel: still computed once per (id, fingerprint)
        rid = H.new_uuid()
        out = []

        def one():
            out.append(det_call(s, path, evs, rid).json()["cached"])
        ts = [threading.Thread(target=one) for _ in range(4)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        check(len(out) == 4 and out.count(False) >= 1, "parallel %r" % out)
        # at most one computation per detector process (2); under plain
        # CGI every request is a process of its own
        most = 4 if H.SERVER == "apache-cgi" else 2
        check(out.count(False) <= most, "parallel: more computations than "
              "processes %r" % out)


def read_varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, i


@test
def detect_binary_answer():
    """Accept: application/x-lda-results gets the binary answer (JSON
    envelope without "results", then the sequences); the cache serves
    either form; a damaged cache entry is recomputed, not served."""
    s = srv()
    ev = gen(10).events
    path, prog = "/api/detect/layering", "detect-layering"
    rid, fp = H.new_uuid(), H.fingerprint(ev)
    hdrs = {"X-Request-ID": rid, "X-Event-Fingerprint": fp,
            "Accept": "application/x-lda-results"}
    r = s.post(path, H.events_wire(ev), "application/x-lda-events",
               headers=hdrs)
    expect_status(r, 200)
    eq(r.header("Content-Type"), "application/x-lda-results", "type")
    b = r.body
    eq(b[:8], b"LDARS1\n\0", "magic")
    n, i = read_varint(b, 8)
    env = json.loads(b[i:i + n])
    eq({k: env.get(k) for k in ("request_id", "service_name", "status",
                                "error", "final_status", "cached")},
       {"request_id": rid, "service_name": "layering", "status": "success",
        "error": None, "final_status": True, "cached": False}, "envelope")
    check("results" not in env, "binary envelope carries results")
    count, _ = read_varint(b, i + n)
    # the same request as JSON: from the cache, same sequences as a fresh
    # JSON computation
    j = check_det_response(det_call(s, path, ev, rid), "layering", rid, True)
    rid2 = H.new_uuid()
    fresh = check_det_response(det_call(s, path, ev, rid2), "layering", rid2,
                               False)
    eq(j["results"], fresh["results"], "cached JSON vs fresh")
    eq(count, len(j["results"]), "binary sequence count")
    check(count > 0, "no layering sequence in the data")
    # a damaged entry (or one in an older format) is computed again
    # keyed by the fingerprint and the parameters (the server's here)
    key = hashlib.sha256((fp + "?" + DEFAULT_QUERY).encode()).hexdigest()
    entry = os.path.join(s.var_dir, "cache", "layering",
                         "%s.%s.json" % (rid, key))
    check(os.path.isfile(entry), "cache entry %s" % entry)
    with open(entry, "wb") as f:
        f.write(b'{"request_id":"x"}')
    j = check_det_response(det_call(s, path, ev, rid), "layering", rid, False)
    eq(j["results"], fresh["results"], "recomputed results")
    eq(len(s.logs(msg="cache entry unusable, recomputing", request_id=rid,
                  service=prog)), 1, "unusable entry logged")
    eq(len(s.logs(msg="detection run", request_id=rid, service=prog)), 2,
       "runs")


@test
def dedup_survives_restart():
    with H.Server() as s:
        ev = H.parse_events(example())
        rid = H.new_uuid()
        check_det_response(det_call(s, "/api/detect/layering", ev, rid),
                           "layering", rid, False)
        s.restart()
        j = check_det_response(det_call(s, "/api/detect/layering", ev, rid,
                                        "csv"), "layering", rid, True)
        eq(len(j["results"]), 2, "cached results")
        eq(len(s.logs(msg="detection run", request_id=rid)), 1,
           "'detection run' lines across the restart")


@test
def dedup_ttl_expiry():
    s = misc_server()
    ev = H.parse_events(example())
    rid = H.new_uuid()
    check_det_response(det_call(s, "/api/detect/layering", ev, rid),
                       "layering", rid, False)
    check_det_response(det_call(s, "/api/detect/layering", ev, rid),
                       "layering", rid, True)
    time.sleep(2.1)
    check_det_response(det_call(s, "/api/detect/layering", ev, rid),
                       "layering", rid, False)
    eq(len(s.logs(msg="detection run", request_id=rid)), 2, "runs")


# ----------------------------------------------------------------- retries

def run_dir_files(s, rid):
    d = s.run_dir(rid)
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


@test
def retry_wash_500_twice_then_success():
    """Wash: HTTP 500 twice, waits 0.2 then 0.4 s. Layering at the same
    time: one 429 (Retry-After: 1 wins over the 0.2 s backoff)."""
    with H.Server(LDA_FAILPOINTS="detect-wash:http500:2,"
                                 "detect-layering:http429:1",
                  RETRY_BACKOFF_BASE_SECONDS=0.2) as s:
        g = gen(10)
        t0 = time.monotonic()
        r = s.orchestrate_csv(g.data)
        el = time.monotonic() - t0
        j = check_run(s, r, g.data, g, retries={"wash_trading": 2,
                                                "layering": 1})
        rid = j["request_id"]
        check(1.0 <= el < 3.0, "run took %.2f s: retries not concurrent?"
              % el)
        lay = s.logs(msg="retrying call", request_id=rid, service="")
        lay = [x for x in lay if "layering" in json.dumps(x)]
        eq(len(lay), 1, "layering 'retrying call' lines")
        check(lay[0].get("wait_ms", 0) >= 1000, "Retry-After: 1 must win "
              "over 200 ms: %r" % lay[0])
        lines = [x for x in s.logs(msg="retrying call", request_id=rid)
                 if "wash" in json.dumps(x)]
        eq(len(lines), 2, "wash 'retrying call' lines")
        eq([x.get("attempt") for x in lines], [1, 2], "attempts")
        waits = [x.get("wait_ms") for x in lines]
        check(190 <= waits[0] <= 260 and 380 <= waits[1] <= 500,
              "wait_ms %r, want about 200 then 400" % waits)
        check(all("500" in str(x.get("reason")) for x in lines),
              "reasons %r" % [x.get("reason") for x in lines])
        # the attempts really were spaced like that
        fired = s.logs(msg="failpoint fired", service="detect-wash")
        eq(len(fired), 2, "failpoint fired lines")
        done = s.logs(msg="detection run", request_id=rid,
                      service="detect-wash")
        eq(len(done), 1, "wash detection runs")
        t = [H.parse_ts(x["ts"]) for x in fired + done]
        gaps = [t[1] - t[0], t[2] - t[1]]
        check(0.19 <= gaps[0] < 1.5 and 0.38 <= gaps[1] < 1.5,
              "attempt gaps %r s, want >= 0.2 then >= 0.4" % gaps)


@test
def retry_layering_exhausted_502():
    with H.Server(LDA_FAILPOINTS="detect-layering:http500:0",
                  RETRY_BACKOFF_BASE_SECONDS=0.1, MAX_RETRIES=2) as s:
        r = s.orchestrate_csv(example())
        expect_status(r, 502)
        j = r.json()
        check_run_shape(j, "failed")
        rid = j["request_id"]
        check("layering" in j["failed_services"],
              "failed_services %r" % j["failed_services"])
        check("wash_trading" not in j["failed_services"], "wash failed too")
        lay = j["services"]["layering"]
        check(lay["status"] != "success", "layering status %r" % lay)
        eq(lay["retry_count"], 2, "layering retry_count")
        check(lay["error"], "layering error text")
        eq(j["services"]["wash_trading"]["status"], "success", "wash status")
        check("layering" in j["error"].lower() or "layering" in lay["error"],
              "error does not say which service failed: %r" % j["error"])
        eq(len(s.logs(msg="retrying call", request_id=rid)), 2, "retries")
        run = check_no_reports(s, rid, "exhausted layering")
        check("layering" in json.dumps(run), "run.json does not name the "
              "failed service: %r" % run)


@test
def retry_wash_400_not_retried():
    with H.Server(LDA_FAILPOINTS="detect-wash:http400:1",
                  RETRY_BACKOFF_BASE_SECONDS=0.1) as s:
        r = s.orchestrate_csv(example())
        j = r.json()
        check(r.status == 502 or (r.status == 200 and "wash_trading" in
                                  j.get("failed_services", [])),
              "status %d, failed_services %r" % (r.status,
                                                 j.get("failed_services")))
        wash = j["services"]["wash_trading"]
        eq(wash["retry_count"], 0, "wash retry_count")
        check(wash["status"] != "success", "wash status %r" % wash)
        eq(s.logs(msg="retrying call", request_id=j["request_id"]), [],
           "retry lines")
        eq(len(s.logs(msg="failpoint fired", service="detect-wash")), 1,
           "wash attempts")
        if r.status == 502:
            check_no_reports(s, j["request_id"], "wash 400")


# ---------------------------------------------------------------- parallel

@test
def parallel_8_runs():
    s = srv()
    inputs = [gen(100 + i, noise=600) for i in range(8)]
    refs = [ref(g.data) for g in inputs]
    results = [None] * 8
    errors = []

    def one(i):
        try:
            r = s.orchestrate_csv(inputs[i].data)
            results[i] = (r.status, r.json())
        except BaseException as e:      # reported below
            errors.append("%d: %r" % (i, e))
    ts = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    [t.start() for t in ts]
    [t.join(180) for t in ts]
    check(not errors, "thread errors %r" % errors)
    ids = set()
    for i, (st, j) in enumerate(results):
        eq(st, 200, "run %d status (%r)" % (i, j.get("error")))
        eq(j["status"], "completed", "run %d" % i)
        eq(j["event_count"], refs[i].run["event_count"], "run %d events" % i)
        ids.add(j["request_id"])
        eq(s.download(j["request_id"]), refs[i].files, "run %d reports" % i)
    eq(len(ids), 8, "distinct request ids")


# --------------------------------------------------------------- lda-detect

LDA_DETECT = os.path.join(H.REPO, "scripts", "lda-detect")


def lda_detect(args, **env):
    e = H.clean_env(env)
    e.setdefault("LDA_CGI_DIR", H.CGI_DIR)
    return subprocess.run([LDA_DETECT] + args, env=e, capture_output=True,
                          text=True, timeout=180)


def check_lda_detect_output(data, out, logs):
    r = ref(data)
    for d, n in ((out, "suspicious_accounts.csv"), (logs, "detections.csv")):
        with open(os.path.join(d, n), "rb") as f:
            eq(f.read(), r.files[n], "lda-detect " + n)


@test
def lda_detect_running_server():
    s = srv()
    g = gen(11)
    with tempfile.TemporaryDirectory() as d:
        inp = os.path.join(d, "in.csv")
        with open(inp, "wb") as f:
            f.write(g.data)
        before = len(s.logs(msg="detection run", service="detect-layering"))
        p = lda_detect([inp, os.path.join(d, "out"), os.path.join(d, "logs")],
                       LDA_URL=s.url)
        eq(p.returncode, 0, "exit status (stderr %r)" % p.stderr)
        check_lda_detect_output(g.data, os.path.join(d, "out"),
                                os.path.join(d, "logs"))
        after = len(s.logs(msg="detection run", service="detect-layering"))
        eq(after, before + 1, "the run went through the running server")
        # defaults: output/ and logs/ in the current directory
        p = subprocess.run([LDA_DETECT, inp], cwd=d, env=dict(
            H.clean_env(), LDA_URL=s.url), capture_output=True, text=True,
            timeout=180)
        eq(p.returncode, 0, "exit status, default dirs (%r)" % p.stderr)
        check_lda_detect_output(g.data, os.path.join(d, "output"),
                                os.path.join(d, "logs"))


@test
def lda_detect_private_server():
    with tempfile.TemporaryDirectory() as d:
        inp = os.path.join(d, "in.csv")
        with open(inp, "wb") as f:
            f.write(example())
        # Neither LDA_URL nor LDA_PORT: a private server (a named server
        # that is down is an error now, see test_cli.py).
        p = lda_detect([inp, os.path.join(d, "o"), os.path.join(d, "l")])
        eq(p.returncode, 0, "exit status (stderr %r)" % p.stderr)
        check_lda_detect_output(example(), os.path.join(d, "o"),
                                os.path.join(d, "l"))


@test
def lda_detect_bad_file():
    s = srv()
    with tempfile.TemporaryDirectory() as d:
        bad = os.path.join(d, "bad.csv")
        with open(bad, "w") as f:
            f.write("timestamp,account_id\n2025-10-27T10:00:00Z,A\n")
        for inp in (bad, os.path.join(d, "missing.csv")):
            p = lda_detect([inp, os.path.join(d, "o"), os.path.join(d, "l")],
                           LDA_URL=s.url)
            check(p.returncode != 0, "%s: exit 0" % inp)
            lines = [x for x in (p.stdout + p.stderr).splitlines()
                     if x.strip()]
            eq(len(lines), 1, "%s: output lines" % os.path.basename(inp))
            check(not os.path.exists(os.path.join(d, "o",
                                                  "suspicious_accounts.csv")),
                  "report written for a bad input")
        p = lda_detect([bad, os.path.join(d, "o"), os.path.join(d, "l")],
                       LDA_URL=s.url)
        check("price" in p.stderr + p.stdout, "reason does not name the "
              "missing column: %r" % (p.stderr + p.stdout))


# ----------------------------------------------------------- access control

USER_KEY, INTERNAL_KEY = "user-key-0123456789", "internal-key-abcdef"


def auth_server():
    return H.shared_server(API_KEY=USER_KEY, INTERNAL_API_KEY=INTERNAL_KEY)


@test
def auth_401_without_or_wrong_key():
    s = auth_server()
    ev = H.parse_events(example())
    det = json.dumps(H.events_json(ev, H.new_uuid()))
    agg = json.dumps(agg_body(H.new_uuid(), []))
    calls = [
        ("POST", "/api/orchestrate", example(), "text/csv"),
        ("POST", "/api/orchestrate", b'{"input_file":"x.csv"}',
         "application/json"),
        ("GET", "/api/orchestrate", None, None),
        ("POST", "/api/detect/layering", det, "application/json"),
        ("POST", "/api/detect/wash", det, "application/json"),
        ("POST", "/api/aggregate", agg, "application/json"),
        ("GET", "/api/runs/%s/run.json" % H.new_uuid(), None, None),
        ("GET", "/api/runs/not-a-uuid/run.json", None, None),
        ("GET", "/api/detect/wash", None, None),
    ]
    for keyhdr in (None, "", "wrong", USER_KEY + "x", USER_KEY[:-1],
                   USER_KEY.upper(), "Bearer " + USER_KEY,
                   USER_KEY + "," + USER_KEY):
        hdrs = {} if keyhdr is None else {"X-API-Key": keyhdr}
        for m, p, b, ct in calls:
            r = s.request(m, p, body=b, ctype=ct, headers=hdrs)
            check(r.status == 401, "%s %s key %r: status %d" % (m, p, keyhdr,
                                                               r.status))
            expect_error(r, 401)
    # the user key never opens the aggregator's POST (SPEC 5.6a)
    r = s.request("POST", "/api/aggregate", body=agg, ctype="application/json",
                  headers={"X-API-Key": USER_KEY})
    expect_error(r, 401)
    # internal key only for detectors and aggregate
    hdrs = {"X-API-Key": INTERNAL_KEY}
    for m, p, b, ct in calls[:3] + calls[6:8]:
        r = s.request(m, p, body=b, ctype=ct, headers=hdrs)
        check(r.status == 401, "%s %s with INTERNAL_API_KEY: %d" % (m, p,
                                                                    r.status))


@test
def auth_health_needs_no_key():
    s = auth_server()
    for p in ["/api/health"] + [ROUTES[x] + "/health" for x in PROGRAMS]:
        expect_status(s.get(p), 200)


@test
def auth_right_key_works():
    s = auth_server()
    k = {"X-API-Key": USER_KEY}
    r = s.orchestrate_csv(example(), headers=k)
    j = r.json()
    expect_status(r, 200)
    check_run_shape(j)
    eq(s.download(j["request_id"], headers=k), ref(example()).files,
       "reports")
    ev = H.parse_events(example())
    for key in (USER_KEY, INTERNAL_KEY):
        rid = H.new_uuid()
        check_det_response(s.post_json("/api/detect/layering",
                                       H.events_json(ev, rid),
                                       headers={"X-API-Key": key}),
                           "layering", rid, False)
        res = detector_results(s, ev, rid, key)
        a = s.aggregate(agg_body(rid, res), headers={"X-API-Key": key})
        if key == USER_KEY:   # SPEC 5.6a: never the user key
            expect_error(a, 401)
            a = s.aggregate(agg_body(rid, res))
        expect_status(a, 200)
        eq(a.json()["status"], "completed", "aggregate with key")
    rid = H.new_uuid()
    check_det_response(s.post("/api/detect/wash", H.events_csv(trades(ev)),
                              "text/csv", headers={
                                  "X-API-Key": INTERNAL_KEY,
                                  "X-Request-ID": rid,
                                  "X-Event-Fingerprint":
                                  H.fingerprint(trades(ev))}),
                       "wash_trading", rid, False)


@test
def leak_checker_catches_paths():
    """Self-test of the harness's central error-text check."""
    check(H.leaks_in('{"error":"cannot open /tmp/x"}'), "/tmp")
    check(H.leaks_in('{"error":"lda_csv.c:12"}'), ".c")
    check(H.leaks_in('{"error":"No such file or directory"}'), "ENOENT text")
    check(H.leaks_in('{"error":"JSON error: jansson"}'), "jansson")
    check(H.leaks_in('{"error":"x", "d": "%s"}' % H.REPO), "repo path")
    check(not H.leaks_in('{"error":"no such file"}'), "own 404 words")
    check(H.leaks_in('{"error":"curl: (7) Failed to connect"}'), "curl")
    check(not H.leaks_in('{"error":"missing column price in the .csv"}'),
          "false positive on .csv")
