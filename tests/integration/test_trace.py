"""test_trace: W3C trace context (docs/api.md#trace-context) through a run:
a valid `traceparent` is continued, a missing or invalid one starts a new
trace (never an error); every answer carries the hop's traceparent; every
log line of the run, in all four programs, names the trace; each sibling
call is a new span."""
import os
import re

import harness as H
from harness import check, eq, expect_status, test

EXAMPLE = os.path.join(H.DATA, "transactions.csv")
TP_RE = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
PROGRAMS = ("orchestrate", "detect-layering", "detect-wash", "aggregate")


def example():
    with open(EXAMPLE, "rb") as f:
        return f.read()


def run(s, traceparent=None):
    """One run; (answer's trace id, answer's span id, the run's log lines)."""
    rid = H.new_uuid()
    hdrs = {"X-Request-ID": rid}
    if traceparent is not None:
        hdrs["traceparent"] = traceparent
    r = s.post("/api/orchestrate", example(), "text/csv", headers=hdrs)
    expect_status(r, 200)
    m = TP_RE.match(r.header("traceparent") or "")
    check(m, "answer's traceparent %r" % r.header("traceparent"))
    return m.group(1), m.group(2), s.logs(request_id=rid)


def check_logs(lines, trace_id, own_span):
    """Every line names the trace; each program logged the run; the
    siblings' spans are new ones (not the orchestrator's, all different)."""
    progs = set(x.get("service") for x in lines)
    eq(sorted(progs), sorted(PROGRAMS), "programs that logged the run")
    for x in lines:
        eq(x.get("trace_id"), trace_id, "trace_id of %r" % x.get("msg"))
        check(re.match(r"^[0-9a-f]{16}$", x.get("span_id") or ""),
              "span_id of %r" % x)
    spans = {}
    for x in lines:
        spans.setdefault(x["service"], set()).add(x["span_id"])
    eq(spans["orchestrate"], {own_span}, "the orchestrator's span")
    sibling = [sp for p in PROGRAMS[1:] for sp in spans[p]]
    eq(len(set(sibling)), len(sibling), "one new span per sibling call")
    check(own_span not in sibling, "a sibling reused the orchestrator's span")


@test
def trace_continued():
    """A valid traceparent: the run joins that trace in every program."""
    s = H.shared_server()
    tid, parent = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    got_tid, span, lines = run(s, "00-%s-%s-01" % (tid, parent))
    eq(got_tid, tid, "trace id continued")
    check(span != parent, "the answer's span is this hop's, not the parent")
    check_logs(lines, tid, span)


@test
def trace_started_when_absent_or_invalid():
    """No traceparent, or an invalid one: a new trace, and the run is
    answered as always."""
    s = H.shared_server()
    seen = set()
    for tp in (None, "garbage", "00-" + "0" * 32 + "-00f067aa0ba902b7-01",
               "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
               "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x"):
        tid, span, lines = run(s, tp)
        check(tid not in seen, "a new trace each time")
        check(tp is None or tid not in tp.lower(), "invalid %r continued" % tp)
        seen.add(tid)
        check_logs(lines, tid, span)
