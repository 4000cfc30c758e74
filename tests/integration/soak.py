#!/usr/bin/env python3
"""soak: the 16-request mixed workload of test_faults (10 valid runs in the
three input forms, checked byte for byte against build/lda, and 6 invalid
requests with their exact 4xx) sent again and again for SECONDS (default
600) against one server (scripts/lda-server on a free port, temporary
LDA_VAR_DIR; programs from LDA_TEST_CGI_DIR, default cgi-bin/).

    python3 tests/integration/soak.py [SECONDS]      (make soak SOAK_SECONDS=N)

Prints the rounds, runs (answers) and errors (an unexpected status, a wrong
report, a transport failure, a crashed/respawned program process, a
sanitizer report), and for each program the RSS (VmRSS summed over its
processes, from /proc/<pid>/status) after the warm-up rounds and at the
end, with the growth in %. Exit 1 if a program grew by more than 10 % or
there was any error. The valid inputs rotate through a fixed pool
(test_faults.MIX_POOL) that the warm-up covers completely, so the later
rounds repeat work the processes have already seen: memory that still
grows then is a leak, not a first-time allocation."""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness as H  # noqa: E402
import test_faults as F  # noqa: E402

MAX_GROWTH_PCT = 10.0
N_VALID = 10
# Rounds before the first RSS figure: the whole input pool once.
WARMUP_ROUNDS = -(-F.MIX_POOL // N_VALID)


def rss_by_program(s):
    pids = F.program_pids(s)
    return ({p: sum(F.rss_kb(x) for x in v) for p, v in pids.items()},
            pids)


def main(argv):
    seconds = float(argv[1]) if len(argv) > 1 else 600.0
    s = H.Server()
    errors = []
    rounds = answers = 0
    t_start = time.monotonic()
    try:
        s.start()
        print("soak: %s, programs from %s, %g s" % (s.url, H.CGI_DIR,
                                                   seconds), flush=True)
        for _ in range(WARMUP_ROUNDS):
            n, errs = F.mixed_round(s, rounds, N_VALID)
            rounds += 1
            answers += n
            errors.extend("round %d: %s" % (rounds, e) for e in errs)
        time.sleep(0.5)
        rss0, pids0 = rss_by_program(s)
        print("soak: started and warmed up (%d rounds) in %.0f s"
              % (rounds, time.monotonic() - t_start), flush=True)
        t_end = time.monotonic() + max(0.0, seconds)
        t0 = time.monotonic()
        while time.monotonic() < t_end:
            n, errs = F.mixed_round(s, rounds, N_VALID)
            rounds += 1
            answers += n
            errors.extend("round %d: %s" % (rounds, e) for e in errs)
            rep = s.sanitizer_report()
            if rep:
                errors.append("sanitizer report:\n" + rep)
                break
        measured = time.monotonic() - t0
        time.sleep(0.5)
        rss1, pids1 = rss_by_program(s)
        for p in F.PROGRAMS:
            if pids1[p] != pids0[p]:
                errors.append("%s processes changed during the soak (crash "
                              "or respawn): %r -> %r" % (p, pids0[p],
                                                         pids1[p]))
    except KeyboardInterrupt:
        print("soak: interrupted", flush=True)
        return 1
    finally:
        t_stop = time.monotonic()
        s.cleanup()
        print("soak: server stopped and removed in %.0f s"
              % (time.monotonic() - t_stop), flush=True)
    print("rounds %d (%d after warm-up, %.0f s), runs %d (answers), "
          "errors %d" % (rounds, rounds - WARMUP_ROUNDS, measured, answers,
                         len(errors)))
    grown = []
    print("%-16s %6s %12s %12s %8s" % ("program", "procs", "rss_start_kb",
                                        "rss_end_kb", "growth"))
    for p in F.PROGRAMS:
        a, b = rss0[p], rss1[p]
        g = (b - a) * 100.0 / a if a else float("inf")
        print("%-16s %6d %12d %12d %7.1f%%" % (p, len(pids1[p]), a, b, g))
        if g > MAX_GROWTH_PCT:
            grown.append(p)
    for e in errors[:50]:
        print("error: " + e.replace("\n", "\n    "))
    if len(errors) > 50:
        print("... %d more errors" % (len(errors) - 50))
    if grown:
        print("FAIL: RSS grew by more than %g %%: %s"
              % (MAX_GROWTH_PCT, ", ".join(grown)))
    ok = not grown and not errors
    print("soak: %s" % ("ok" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
