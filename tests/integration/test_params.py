"""test_params: per-run detection parameters (docs/api.md#per-run-thresholds)
against the real server: the nine parameters as query parameters of a
text/csv body, as multipart form fields and as the JSON form's "params"
change detection exactly as `build/lda --param` does (report bytes
compared, with a server whose own WASH_MIN_VOLUME is not the default, so
unset parameters are seen to keep the server's value); with LDA_SHARDS=2,
and with 3 shards over two detector hosts, every shard gets them; every invalid value and an unknown name is a 400
naming it, in every form; the detectors' cache is keyed on them (same
request id and events: the same values are a hit, other values are
computed afresh, and correctly); run.json and GET /api/runs show the
effective values; GET /api/params's shape; GET /api/runs/<a>/compare/<b>.

Inputs: tests/golden/27-params-from-env, whose every parameter sits at a
boundary (see its NOTES)."""

import json
import os
import subprocess
import tempfile
import urllib.parse

import harness as H
from harness import check, eq, expect_error, expect_status, test

GOLDEN27 = os.path.join(H.REPO, "tests", "golden", "27-params-from-env")
with open(os.path.join(GOLDEN27, "input.csv"), "rb") as _f:
    INPUT = _f.read()
# the values of 27's env, as the per-run parameters
PARAMS = {"layering_orders_window_seconds": "1.5",
          "layering_cancel_window_seconds": "0.5",
          "layering_trade_window_seconds": "0.25",
          "wash_window_seconds": "60", "wash_min_buy_trades": "2",
          "wash_min_sell_trades": "1", "wash_min_alternation_pct": "50",
          "wash_min_volume": "100", "wash_price_change_pct": "5"}
NAMES = list(PARAMS)
KINDS = {n: ("seconds" if n.endswith("_seconds") else
             "integer" if n.endswith("_trades") else "number")
         for n in NAMES}
SERVER_ENV = {"WASH_MIN_VOLUME": "5000"}   # not the default 10000
BAD = {"seconds": ["0", "-1", "abc", "", "0x10", "0.0000004", "1e400",
                   " 1"],
       "integer": ["0", "-1", "1.5", "abc", "", "1e3"],
       "number": ["0", "-1", "abc", "", "0x10", "nan", "inf"]}
WHAT = {"seconds": "must be a number of seconds > 0",
        "integer": "must be a whole number > 0",
        "number": "must be a number > 0"}


def server():
    return H.shared_server(**SERVER_ENV)


def lda(params, env=SERVER_ENV):
    """build/lda --param ... on INPUT: (reports and alerts.json, run.json)."""
    with tempfile.TemporaryDirectory(prefix="lda-prm-") as d:
        path = os.path.join(d, "input.csv")
        with open(path, "wb") as f:
            f.write(INPUT)
        args = [H.LDA]
        for k, v in params.items():
            args += ["--param", "%s=%s" % (k, v)]
        p = subprocess.run(args + [path, os.path.join(d, "out")],
                           env=H.clean_env(env), capture_output=True,
                           timeout=120)
        eq(p.returncode, 0, "build/lda exit (%s)" % p.stderr)
        files = {}
        for n in H.OUTPUTS:
            with open(os.path.join(d, "out", n), "rb") as f:
                files[n] = f.read()
        with open(os.path.join(d, "out", "run.json"), "rb") as f:
            return files, json.loads(f.read())


def via_query(s, params, **kw):
    q = urllib.parse.urlencode(params)
    return s.post("/api/orchestrate?" + q, INPUT, "text/csv", **kw)


def via_multipart(s, params, **kw):
    return s.orchestrate_multipart(
        INPUT, extra=[(k, None, None, v) for k, v in params.items()], **kw)


def via_json(s, params, **kw):
    s.put_input("golden27.csv", INPUT)
    return s.post_json("/api/orchestrate",
                       {"input_file": "golden27.csv", "params": params}, **kw)


FORMS = (("query", via_query), ("multipart", via_multipart),
         ("json", via_json))


def completed(r):
    expect_status(r, 200)
    j = r.json()
    eq(j["status"], "completed", "status")
    return j["request_id"]


@test
def params_three_forms_match_lda():
    s = server()
    want, _ = lda(PARAMS)
    default, _ = lda({})
    check(want != default, "the parameters change the reports")
    for name, send in FORMS:
        rid = completed(send(s, PARAMS))
        eq(s.download(rid), want, name + " form vs build/lda --param")
    # JSON numbers are taken as well as strings
    nums = {k: float(v) if "." in v else int(v) for k, v in PARAMS.items()}
    eq(s.download(completed(via_json(s, nums))), want, "JSON numbers")
    # one parameter alone: the rest keep the server's values
    one = {"wash_min_volume": "100"}
    got = s.download(completed(via_query(s, one)))
    eq(got, lda(one)[0], "one parameter, the others the server's")


@test
def params_each_boundary_matters():
    """Each parameter of 27 moved just past its boundary gives other
    reports than at it, through the server as through build/lda."""
    s = server()
    past = {"layering_orders_window_seconds": "1.499999",
            "layering_cancel_window_seconds": "0.499999",
            "layering_trade_window_seconds": "0.249999",
            "wash_window_seconds": "59.999999", "wash_min_buy_trades": "3",
            "wash_min_sell_trades": "2", "wash_min_alternation_pct": "50.01",
            "wash_min_volume": "150.01", "wash_price_change_pct": "5.01"}
    at, _ = lda(PARAMS)
    for k, v in past.items():
        p = dict(PARAMS, **{k: v})
        want, _ = lda(p)
        check(want != at, "%s=%s changes the reports" % (k, v))
        eq(s.download(completed(via_query(s, p))), want, "%s=%s" % (k, v))


@test
def params_with_shards():
    with H.Server(LDA_SHARDS=2, **SERVER_ENV) as s:
        rid = completed(via_multipart(s, PARAMS))
        eq(s.download(rid), lda(PARAMS)[0], "2 shards vs build/lda")


@test
def params_invalid_are_400():
    s = server()
    n = 0
    for name in NAMES:
        for bad in BAD[KINDS[name]]:
            for form, send in FORMS:
                r = send(s, dict(PARAMS, **{name: bad}))
                expect_error(r, 400, name, WHAT[KINDS[name]])
                n += 1
    for form, send in FORMS:
        expect_error(send(s, dict(PARAMS, foo="1")), 400,
                     "unknown parameter: foo")
    # repeated in the query string
    r = s.post("/api/orchestrate?wash_min_volume=1&wash_min_volume=2",
               INPUT, "text/csv")
    expect_error(r, 400, "wash_min_volume", "more than once")
    # a JSON value that is neither a number nor a string
    expect_error(via_json(s, {"wash_min_volume": True}), 400,
                 "wash_min_volume", WHAT["number"])
    expect_error(via_json(s, ["x"]), 400, "params")
    check(n > 100, "cases tried: %d" % n)


@test
def params_in_run_json_and_history():
    s = server()
    given = {"wash_min_volume": "100", "layering_trade_window_seconds": "0.25"}
    rid = completed(via_multipart(s, given))
    with open(os.path.join(s.run_dir(rid), "run.json")) as f:
        run = json.load(f)
    _, ref = lda(given)
    eq(run["params"], ref["params"], "run.json params vs build/lda's")
    eq(run["params"]["wash_min_volume"], 100, "given")
    eq(run["params"]["layering_trade_window_seconds"], 0.25, "given")
    eq(run["params"]["wash_window_seconds"], 1800, "the server's default")
    r = s.get("/api/runs?limit=1000")
    expect_status(r, 200)
    entry = [e for e in r.json()["runs"] if e["request_id"] == rid]
    eq(len(entry), 1, "history entry")
    eq(entry[0]["params"], run["params"], "history params")


@test
def params_replay_needs_same_values():
    s = server()
    rid = H.new_uuid()
    h = {"X-Request-ID": rid}
    completed(via_query(s, PARAMS, headers=h))
    r = via_query(s, PARAMS, headers=h)
    expect_status(r, 200)
    eq(r.json().get("replayed"), True, "same values: replayed")
    r = via_query(s, dict(PARAMS, wash_min_volume="101"), headers=h)
    expect_error(r, 409, "parameters")


def det_csv(s, path, evs, rid, query):
    return s.post(path + ("?" + query if query else ""), H.events_csv(evs),
                  "text/csv", headers={"X-Request-ID": rid,
                                       "X-Event-Fingerprint":
                                       H.fingerprint(evs)})


@test
def params_detector_cache_key():
    s = server()
    evs = H.parse_events(INPUT)
    trades = [e for e in evs if e.event_type == "TRADE_EXECUTED"]
    q27 = urllib.parse.urlencode(PARAMS)
    qother = urllib.parse.urlencode(dict(PARAMS, wash_min_buy_trades="3",
                                         layering_trade_window_seconds="2"))
    for path, ev in (("/api/detect/layering", evs),
                     ("/api/detect/wash", trades)):
        rid = H.new_uuid()
        first = det_csv(s, path, ev, rid, q27).json()
        eq(first["cached"], False, path + " first")
        again = det_csv(s, path, ev, rid, q27).json()
        eq(again["cached"], True, path + " same params: cache hit")
        eq(again["results"], first["results"], path + " cached results")
        # the JSON form takes the same query parameters and the same entry
        j = s.post_json(path + "?" + q27, H.events_json(ev, rid)).json()
        eq(j["cached"], True, path + " JSON form, same params")
        other = det_csv(s, path, ev, rid, qother).json()
        eq(other["cached"], False, path + " other params: computed afresh")
        check(other["results"] != first["results"],
              path + " other params: other results")
        # afresh and correct: what a fresh request id gets with those values
        fresh = det_csv(s, path, ev, H.new_uuid(), qother).json()
        eq(other["results"], fresh["results"], path + " correct")
        eq(det_csv(s, path, ev, rid, qother).json()["cached"], True,
           path + " other params now cached")
        # and the server's own values are a third entry
        eq(det_csv(s, path, ev, rid, "").json()["cached"], False,
           path + " server values")
        expect_error(det_csv(s, path, ev, rid, "wash_min_volume=0"), 400,
                     "wash_min_volume", WHAT["number"])
        expect_error(det_csv(s, path, ev, rid, "bogus=1"), 400,
                     "unknown parameter: bogus")


@test
def params_get_list():
    s = server()
    r = s.get("/api/params")
    expect_status(r, 200)
    j = r.json()
    eq(list(j), ["params"], "members")
    eq([p["name"] for p in j["params"]], NAMES, "names in order")
    defaults = {"layering_orders_window_seconds": 10,
                "layering_cancel_window_seconds": 5,
                "layering_trade_window_seconds": 2,
                "wash_window_seconds": 1800, "wash_min_buy_trades": 3,
                "wash_min_sell_trades": 3, "wash_min_alternation_pct": 60,
                "wash_min_volume": 5000, "wash_price_change_pct": 1}
    for p in j["params"]:
        eq(sorted(p), ["description", "env", "name", "type", "value"],
           p["name"] + " keys")
        eq(p["env"], p["name"].upper(), p["name"] + " env")
        eq(p["type"], KINDS[p["name"]], p["name"] + " type")
        eq(p["value"], defaults[p["name"]], p["name"] + " value")
        check(isinstance(p["value"], (int, float)), "value is a number")
        check(p["description"], "description")
    r = s.post("/api/params", "{}", "application/json")
    expect_status(r, 405)
    check("GET" in (r.header("allow") or ""), "Allow: %r" % r.header("allow"))


# ------------------------------------------------------------ compare

with open(os.path.join(H.DATA, "params-compare.csv"), "rb") as _f:
    CMP_INPUT = _f.read()   # 27's input and W5: B S B S 30 s apart
CMP_A = dict(PARAMS, wash_window_seconds="60")
CMP_B = dict(PARAMS, wash_window_seconds="90")


def ident(a):
    return (a["account_id"], a["product_id"], a["detection_type"],
            a["detected_timestamp"])


def cmp_runs(s, headers=None):
    ids = []
    for p in (CMP_A, CMP_B):
        r = s.post("/api/orchestrate?" + urllib.parse.urlencode(p),
                   CMP_INPUT, "text/csv", headers=headers)
        ids.append(completed(r))
    return ids


@test
def params_compare_runs():
    """Wash window 60 s -> 90 s: W2's third trade (one microsecond past
    60 s) joins, and W5's window grows by its fourth trade, so its
    detected_timestamp moves from 12:01:00 to 12:01:30 (one removed, one
    added); P1, W, W3, W4 are unchanged."""
    s = server()
    a, b = cmp_runs(s)
    alerts = {}
    for rid in (a, b):
        r = s.get("/api/runs/%s/alerts.json" % rid)
        expect_status(r, 200)
        alerts[rid] = r.json()
    r = s.get("/api/runs/%s/compare/%s" % (a, b))
    expect_status(r, 200)
    j = r.json()
    eq(sorted(j), ["added", "removed", "unchanged"], "members")
    eq([ident(x) for x in j["added"]],
       [("E2", "W2", "WASH_TRADING", "2025-04-01T09:01:00.000001+00:00"),
        ("E2", "W5", "WASH_TRADING", "2025-04-01T12:01:30+00:00")], "added")
    eq([ident(x) for x in j["removed"]],
       [("E2", "W5", "WASH_TRADING", "2025-04-01T12:01:00+00:00")],
       "removed")
    eq(j["unchanged"], 4, "unchanged")
    # the alerts are the runs' alerts.json objects, whole
    eq(j["added"], [x for x in alerts[b] if ident(x) in
                    {ident(y) for y in j["added"]}], "added objects")
    eq(j["removed"], [x for x in alerts[a] if ident(x) in
                      {ident(y) for y in j["removed"]}], "removed objects")
    back = s.get("/api/runs/%s/compare/%s" % (b, a)).json()
    eq(back["added"], j["removed"], "b->a added")
    eq(back["removed"], j["added"], "b->a removed")
    eq(back["unchanged"], 4, "b->a unchanged")
    same = s.get("/api/runs/%s/compare/%s" % (a, a.upper())).json()
    eq(same, {"added": [], "removed": [], "unchanged": 5}, "a vs a")


@test
def params_compare_errors():
    s = server()
    a, b = cmp_runs(s)
    nobody = H.new_uuid()
    expect_error(s.get("/api/runs/%s/compare/%s" % (a, nobody)), 404,
                 "run not found")
    expect_error(s.get("/api/runs/%s/compare/%s" % (nobody, b)), 404,
                 "run not found")
    expect_error(s.get("/api/runs/%s/compare/x" % a), 400, "UUID")
    os.remove(os.path.join(s.run_dir(b), "alerts.json"))
    expect_error(s.get("/api/runs/%s/compare/%s" % (a, b)), 404,
                 "alerts.json")


@test
def params_compare_needs_key():
    with H.Server(API_KEY="cmp-key") as s:
        auth = {"X-API-Key": "cmp-key"}
        a, b = cmp_runs(s, headers=auth)
        path = "/api/runs/%s/compare/%s" % (a, b)
        expect_status(s.get(path), 401)
        r = s.get(path, headers=auth)
        expect_status(r, 200)
        eq(r.json()["unchanged"], 4, "with the key")
        expect_status(s.get("/api/params"), 401)
        expect_status(s.get("/api/params", headers=auth), 200)


@test
def params_two_detector_hosts():
    """Two detector hosts behind the front (lighttpd mod_proxy, scripts/
    lda-backend), 3 shards: the query string reaches every shard on either
    host, the reports are build/lda --param's, and the hosts' logs show
    the detections."""
    H.only_on("lighttpd")
    import test_scale as S
    with S.Backend("127.0.0.2") as a, S.Backend("127.0.0.3") as b:
        with S.front((a, b), LDA_SHARDS=3, **SERVER_ENV) as f:
            rid = completed(via_json(f, PARAMS))
            eq(f.download(rid), lda(PARAMS)[0], "two hosts vs build/lda")
        check(a.detections() > 0 and b.detections() > 0,
              "both hosts did work")
