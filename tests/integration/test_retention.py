"""test_retention: RUN_RETENTION_DAYS and CACHE_TTL_SECONDS enforced by the
programs' periodic sweep (README, "Retention"), against the real server."""

import os
import time

import harness as H
from harness import check, eq, expect_status, test

EXAMPLE = os.path.join(H.DATA, "transactions.csv")
GOLDEN = os.path.join(H.REPO, "tests", "golden", "01-example", "input.csv")
OLD = time.time() - 2 * 86400
HALF_DAY = time.time() - 12 * 3600
FILES = H.REPORTS + ("run.json",)


def example():
    with open(EXAMPLE, "rb") as f:
        return f.read()


def completed_runs(s, data, n):
    """The request ids of n completed runs of data."""
    rids = []
    for _ in range(n):
        r = s.orchestrate_csv(data)
        expect_status(r, 200)
        eq(r.json()["status"], "completed", "run status")
        rids.append(r.json()["request_id"])
    return rids


def age(path, when=None):
    when = OLD if when is None else when
    os.utime(path, (when, when), follow_symlinks=False)


def age_tree(path, when=None):
    """Age a directory's files, then the directory itself (creating or
    ageing a file changes the directory's own mtime)."""
    for n in os.listdir(path):
        age(os.path.join(path, n), when)
    age(path, when)


def golden():
    with open(GOLDEN, "rb") as f:
        return f.read()


def swept(s, what, service=None):
    """The removed counts of the "retention sweep" lines for what."""
    return [x["removed"] for x in s.logs(msg="retention sweep", service=service)
            if x.get("what") == what]


def poke(s):
    """One request to each program (no key needed): each sweeps after it
    when its interval has passed."""
    for route in ("/api/aggregate", "/api/detect/layering",
                  "/api/detect/wash"):
        expect_status(s.get(route + "/health"), 200)


@test
def retention_sweeps_old_runs_and_cache():
    """Runs whose run.json is 2 days old go with RUN_RETENTION_DAYS=1, the
    recent ones stay; a directory without run.json older than a day goes,
    a non-UUID directory stays; expired cache entries go; each sweep that
    removed something is logged with the count."""
    with H.Server(RUN_RETENTION_DAYS=1, LDA_SWEEP_SECONDS=0,
                  CACHE_TTL_SECONDS=3600) as s:
        rids = completed_runs(s, example(), 3)
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


@test
def retention_only_uuid_dirs_never_links():
    """Only a direct subdirectory of runs/ named by a UUID is ever removed,
    never through a link: an old run (every file aged) and an old crashed
    write (a temporary, no run.json) go; a UUID link to an old run outside,
    a UUID-named file, a crashed write younger than a day and a run younger
    than RUN_RETENTION_DAYS stay, and the recent runs are byte-identical.
    The wash detector's expired cache entry goes too; counts are logged."""
    with H.Server(RUN_RETENTION_DAYS=1, LDA_SWEEP_SECONDS=0,
                  CACHE_TTL_SECONDS=60) as s:
        rids = completed_runs(s, golden(), 3)
        before = {rid: s.download(rid, FILES) for rid in rids[1:]}
        runs = os.path.join(s.var_dir, "runs")
        age_tree(s.run_dir(rids[0]))                    # old: goes
        age_tree(s.run_dir(rids[1]), HALF_DAY)          # < 1 day: stays
        crashed = s.run_dir(H.new_uuid())               # old, no run.json
        os.makedirs(crashed)
        with open(os.path.join(crashed, "detections.csv.tmp.Ab12Cd"),
                  "wb") as f:
            f.write(b"account_id")
        s.own(crashed)
        age_tree(crashed)
        writing = s.run_dir(H.new_uuid())               # < 1 day, no run.json
        os.makedirs(writing)
        age_tree(writing, HALF_DAY)
        # a link named by a UUID to an old run outside runs/
        outside = os.path.join(s.var_dir, "elsewhere", H.new_uuid())
        os.makedirs(outside)
        for n in FILES:
            with open(os.path.join(outside, n), "wb") as f:
                f.write(b"{}")
        age_tree(outside)
        link = os.path.join(runs, H.new_uuid())
        os.symlink(outside, link)
        age(link)
        plain = os.path.join(runs, H.new_uuid())        # a file, not a dir
        with open(plain, "wb") as f:
            f.write(b"x")
        age(plain)
        wdir = os.path.join(s.var_dir, "cache", "wash_trading")
        entries = sorted(os.listdir(wdir))
        eq(len(entries), 3, "wash cache entries")
        age(os.path.join(wdir, entries[1]))

        poke(s)

        for n in FILES:
            eq(s.get("/api/runs/%s/%s" % (rids[0], n)).status, 404,
               "old run's " + n)
        check(not os.path.exists(s.run_dir(rids[0])), "old run dir left")
        check(not os.path.exists(crashed), "crashed write left")
        check(os.path.isdir(writing), "a write younger than a day removed")
        check(os.path.islink(link), "the link was removed")
        eq(sorted(os.listdir(outside)), sorted(FILES), "the link's target")
        check(os.path.isfile(plain), "a UUID-named file was removed")
        for rid in rids[1:]:
            eq(s.download(rid, FILES), before[rid], "recent run " + rid)
        eq(sorted(os.listdir(wdir)), [entries[0], entries[2]],
           "wash cache after the sweep")
        eq(sum(swept(s, "runs")), 2, "runs removed (logged)")
        eq(sum(swept(s, "cache", "detect-wash")), 1,
           "wash entries removed (logged)")
        eq(sum(swept(s, "cache", "detect-layering")), 0,
           "layering entries removed (logged)")
        eq([x for x in s.logs() if str(x.get("msg", "")).startswith(
            "retention:")], [], "removal failures logged")


@test
def retention_sweep_interval_honoured():
    """LDA_SWEEP_SECONDS: a program sweeps at most once per interval; the
    mtime of run/sweep-<program> is when the last sweep started. An old run
    survives requests within the interval and goes with the first request
    after it."""
    H.not_under_asan("timing of the sweep; the sweep code runs in the other retention tests")
    iv = 3
    with H.Server(RUN_RETENTION_DAYS=1, LDA_SWEEP_SECONDS=iv,
                  LDA_PROCS_AGGREGATE=1) as s:
        r = s.orchestrate_csv(golden())
        expect_status(r, 200)
        rid = r.json()["request_id"]
        stamp = os.path.join(s.var_dir, "run", "sweep-aggregate")
        last = os.stat(stamp).st_mtime                  # the start's sweep
        if time.time() - last > 1:
            # too late for a clean window: wait for the next sweep (there
            # is nothing old yet) and measure from it
            time.sleep(max(0, last + iv + 1.1 - time.time()))
            expect_status(s.get("/api/aggregate/health"), 200)
            now_stamp = os.stat(stamp).st_mtime
            check(now_stamp > last, "no sweep after the interval")
            last = now_stamp
        age(os.path.join(s.run_dir(rid), "run.json"))
        expect_status(s.get("/api/aggregate/health"), 200)
        expect_status(s.get("/api/runs/%s/run.json" % rid), 200)
        check(time.time() - last < iv - 1, "too slow to test the interval")
        eq(os.stat(stamp).st_mtime, last, "stamp within the interval")
        eq(swept(s, "runs"), [], "sweep lines within the interval")
        time.sleep(max(0, last + iv + 1.1 - time.time()))
        expect_status(s.get("/api/aggregate/health"), 200)  # sweeps after
        eq(s.get("/api/runs/%s/run.json" % rid).status, 404, "old run")
        check(os.stat(stamp).st_mtime > last, "stamp not renewed")
        eq(swept(s, "runs"), [1], "runs removed (logged)")
