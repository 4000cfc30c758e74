"""test_threads: LDA_THREADS (docs/configuration.md) through the real
server: the same uploads (quoted multi-line fields, CRLF, rejected rows,
a BOM; large enough that the orchestrator reads them in chunks) to a
server with LDA_THREADS=1 and one with LDA_THREADS=3 give byte-identical
reports and alerts.json, the same answer figures (counts, rejected rows
with their numbers and reasons, data_quality, fingerprint), equal to
build/lda's at 1 and 8 threads."""

import harness as H
from harness import check, eq, expect_status, test

KEYS = ("status", "event_count", "rejected_count", "rejected",
        "data_quality", "fingerprint", "merged_count", "layering_count",
        "wash_count")


def answer(s, data):
    r = s.orchestrate_csv(data)
    expect_status(r, 200)
    j = r.json()
    eq(j["status"], "completed", "run status (error %r)" % j.get("error"))
    return {k: j.get(k) for k in KEYS}, s.download(j["request_id"])


@test
def threads_same_outputs():
    """LDA_THREADS=1 and 3 servers, build/lda at 1 and 8: identical."""
    one = H.shared_server(LDA_THREADS=1)
    three = H.shared_server(LDA_THREADS=3)
    for seed in (1, 2, 3):
        g = H.gen_input(seed, noise=4000)
        check(g.rejected, "seed %d has rejected rows" % seed)
        a1, f1 = answer(one, g.data)
        a3, f3 = answer(three, g.data)
        eq(a3, a1, "seed %d: answer at 3 threads" % seed)
        for n in H.OUTPUTS:
            eq(f3[n], f1[n], "seed %d: %s at 3 threads" % (seed, n))
        check(f1["suspicious_accounts.csv"].count(b"\r\n") > 1,
              "seed %d detects something" % seed)
        for t in (1, 8):
            ref = H.run_lda(g.data, LDA_THREADS=t)
            eq(ref.rc, 0, "build/lda exit at %d threads" % t)
            for n in H.OUTPUTS:
                eq(ref.files.get(n), f1[n],
                   "seed %d: build/lda %s at %d threads" % (seed, n, t))
