"""test_alerts: GET /api/runs/<id>/alerts.json (docs/reports.md#alerts)
through the real server: the hand-derived golden alerts (records shifted
by a quoted line break, a rejected row and a blank line; merged wash
windows; both alert types) byte for byte from every upload form; the
detectors' records and observations identical from the JSON, CSV and
binary request forms and from their cache; a JSON event's own "record"
number; 404 and Content-Type."""

import json
import os

import harness as H
from harness import check, eq, expect_error, expect_status, test

GOLDEN = os.path.join(H.REPO, "tests", "golden")
CASES = ("01-example", "13-wash-window-merge", "33-alerts-layering-records",
         "34-alerts-wash-records")
DETECTORS = (("/api/detect/layering", "layering"),
             ("/api/detect/wash", "wash_trading"))


def golden(case, name):
    with open(os.path.join(GOLDEN, case, name), "rb") as f:
        return f.read()


def alerts_of(s, resp):
    expect_status(resp, 200)
    j = resp.json()
    eq(j["status"], "completed", "run status (error %r)" % j.get("error"))
    r = s.get("/api/runs/%s/alerts.json" % j["request_id"])
    expect_status(r, 200)
    ct = (r.header("content-type") or "").split(";")[0].strip()
    eq(ct, "application/json", "alerts.json Content-Type")
    return r.body


@test
def alerts_golden_every_form():
    """The golden alerts.json, byte for byte, from a text/csv body, a
    multipart upload and an input_file; equal to build/lda's."""
    s = H.shared_server()
    for case in CASES:
        data, want = golden(case, "input.csv"), golden(case,
                                                       "expected-alerts.json")
        eq(H.run_lda(data).files["alerts.json"], want, case + " build/lda")
        eq(alerts_of(s, s.orchestrate_csv(data)), want, case + " text/csv")
        eq(alerts_of(s, s.orchestrate_multipart(data)), want,
           case + " multipart")
        name = "alerts-%s.csv" % case
        s.put_input(name, data)
        eq(alerts_of(s, s.orchestrate_file(name)), want, case + " input_file")
        rows = golden(case, "expected-suspicious_accounts.csv").count(b"\r\n")
        eq(len(json.loads(want)), rows - 1, case + ": one alert per row")


@test
def alerts_404():
    s = H.shared_server()
    expect_error(s.get("/api/runs/%s/alerts.json" % H.new_uuid()), 404)
    # a refused input leaves no alerts.json either
    r = s.orchestrate_csv(b"timestamp,account_id\n1,2\n")
    expect_status(r, 400)
    rid = r.json().get("request_id")
    if rid:
        expect_error(s.get("/api/runs/%s/alerts.json" % rid), 404)


def det_form(s, path, evs, rid, form):
    fp = {"X-Request-ID": rid, "X-Event-Fingerprint": H.fingerprint(evs)}
    if form == "json":
        return s.post_json(path, H.events_json(evs, rid))
    if form == "csv":
        return s.post(path, H.events_csv(evs), "text/csv", headers=fp)
    return s.post(path, H.events_wire(evs), "application/x-lda-events",
                  headers=fp)


def evidenced(results):
    return [x for x in results if "records" in x]


@test
def alerts_detector_forms_and_cache():
    """Records and observations of every sequence the merge keeps: the
    same from the JSON, CSV and binary forms, and from the cache; every
    record number names an event of the group that is in the window."""
    s = H.shared_server()
    g = H.gen_input(14, layering=5, wash=4)
    events = g.events
    for path, svc in DETECTORS:
        evs = events if svc == "layering" else [
            e for e in events if e.event_type.strip().upper() ==
            "TRADE_EXECUTED"]
        got = {}
        for form in ("json", "csv", "wire"):
            rid = H.new_uuid()
            r = det_form(s, path, evs, rid, form)
            expect_status(r, 200)
            eq(r.json()["cached"], False, svc + " " + form + " fresh")
            got[form] = r.json()["results"]
            again = det_form(s, path, evs, rid, form)
            eq(again.json()["cached"], True, svc + " " + form + " repeat")
            eq(again.json()["results"], got[form], svc + " " + form +
               " cached results")
        eq(got["csv"], got["json"], svc + ": CSV vs JSON form")
        eq(got["wire"], got["json"], svc + ": binary vs JSON form")
        ev = evidenced(got["json"])
        check(len(ev) > 0, svc + ": no sequence with records")
        for x in ev:
            recs = x["records"]
            eq(recs, sorted(recs), "records ascending")
            for n in recs:
                e = evs[n - 2]               # event i is record i + 2
                check(e.account == x["account_id"] and
                      e.product == x["product_id"],
                      "record %d is of another group" % n)
                us = H.parse_ts_us(e.ts)
                check(H.parse_ts_us(x["start_timestamp"]) <= us <=
                      H.parse_ts_us(x["end_timestamp"]),
                      "record %d outside the window" % n)
            obs = x["observed"]
            if svc == "layering":
                check(len(recs) >= x["num_cancelled_orders"] + 3 + 1,
                      "orders, cancellations and a trade")
                check(obs["cancellations"] >= 3, "step 3 counted >= 3")
            else:
                eq(len(recs), obs["buy_trades"] + obs["sell_trades"],
                   "one record per trade of the window")


@test
def alerts_json_record_member():
    """A JSON event's own "record" is its record number; a bad one is a
    400 naming it."""
    s = H.shared_server()
    data = golden("01-example", "input.csv")
    evs = H.parse_events(data)
    body = H.events_json(evs, H.new_uuid())
    for i, e in enumerate(body["events"]):
        e["record"] = 100 + 3 * i
    r = s.post_json("/api/detect/layering", body)
    expect_status(r, 200)
    recs = [x["records"] for x in evidenced(r.json()["results"])]
    eq(recs, [[100 + 3 * i for i in range(7)],
              [100 + 3 * i for i in range(7, 14)]], "records from the member")
    for bad in (1, 0, -5, 2 ** 32, "7", 2.5):
        body["request_id"] = H.new_uuid()
        body["events"][3]["record"] = bad
        r = s.post_json("/api/detect/layering", body)
        expect_error(r, 400)
        check("events[3]: record" in r.json()["error"],
              "error %r" % r.json()["error"])
