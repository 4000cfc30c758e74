"""test_retention: RUN_RETENTION_DAYS and CACHE_TTL_SECONDS enforced by the
programs' periodic sweep (README, "Retention"), against the real server."""

import os
import time

import harness as H
from harness import check, eq, expect_status, test

EXAMPLE = os.path.join(H.DATA, "transactions.csv")
OLD = time.time() - 2 * 86400


def example():
    with open(EXAMPLE, "rb") as f:
        return f.read()


def age(path):
    os.utime(path, (OLD, OLD))


@test
def retention_sweeps_old_runs_and_cache():
    """Runs whose run.json is 2 days old go with RUN_RETENTION_DAYS=1, the
    recent ones stay; a directory without run.json older than a day goes,
    a non-UUID directory stays; expired cache entries go; each sweep that
    removed something is logged with the count."""
    with H.Server(RUN_RETENTION_DAYS=1, LDA_SWEEP_SECONDS=0,
                  CACHE_TTL_SECONDS=3600) as s:
        rids = []
        for _ in range(3):
            r = s.orchestrate_csv(example())
            expect_status(r, 200)
            rids.append(r.json()["request_id"])
        for rid in rids[:2]:
            age(os.path.join(s.run_dir(rid), "run.json"))
        abandoned = s.run_dir(H.new_uuid())
        os.makedirs(abandoned)
        age(abandoned)
        other = os.path.join(s.var_dir, "runs", "keep-me")
        os.makedirs(other)
        age(other)
        cdir = os.path.join(s.var_dir, "cache", "layering")
        entries = sorted(os.listdir(cdir))
        eq(len(entries), 3, "layering cache entries")
        age(os.path.join(cdir, entries[0]))
        # the next request to each program sweeps (interval 0)
        expect_status(s.get("/api/runs/%s/run.json" % rids[2]), 200)
        r = s.orchestrate_csv(example())
        expect_status(r, 200)
        for rid in rids[:2]:
            eq(s.get("/api/runs/%s/run.json" % rid).status, 404, "old run")
            check(not os.path.exists(s.run_dir(rid)), "old run dir left")
        check(not os.path.exists(abandoned), "abandoned dir left")
        check(os.path.isdir(other), "a non-UUID directory was removed")
        eq(s.download(rids[2]).keys() and True, True, "recent run")
        check(entries[0] not in os.listdir(cdir), "expired cache entry left")
        eq(len(os.listdir(cdir)), 3, "cache entries after the sweep")
        lines = s.logs(msg="retention sweep")
        runs = [x["removed"] for x in lines if x.get("what") == "runs"]
        cache = [x["removed"] for x in lines if x.get("what") == "cache"
                 and x.get("service") == "detect-layering"]
        eq(sum(runs), 3, "runs removed (logged)")
        eq(sum(cache), 1, "cache entries removed (logged)")


@test
def retention_zero_keeps_runs():
    """RUN_RETENTION_DAYS=0 (the default) never removes a run."""
    with H.Server(LDA_SWEEP_SECONDS=0) as s:
        r = s.orchestrate_csv(example())
        rid = r.json()["request_id"]
        age(os.path.join(s.run_dir(rid), "run.json"))
        expect_status(s.orchestrate_csv(example()), 200)
        expect_status(s.get("/api/runs/%s/run.json" % rid), 200)
        eq([x for x in s.logs(msg="retention sweep")
            if x.get("what") == "runs"], [], "runs sweep lines")
