#!/bin/sh
# fuzz.sh: build and run every libFuzzer target of tests/fuzz/.
#
#   sh scripts/fuzz.sh [SECONDS|--smoke]    (default 120 s per target;
#                                            --smoke = 5 s per target)
#
# For each target T (tests/fuzz/fuzz_T.c, built by `make fuzz-build` into
# build/fuzz/fuzz_T):
#   1. every file in tests/fuzz/crashes/T/ is run once as a regression
#      (a reproducer of a fixed bug: it must not crash any more);
#   2. the working corpus build/fuzz/corpus/T (kept between runs) gets the
#      committed seeds tests/fuzz/corpus/T merged in, and the fuzzer runs
#      SECONDS on it with a per-target -max_len (and tests/fuzz/T.dict when
#      present); new inputs go to the working corpus only, never to the
#      committed seeds; afterwards the working corpus is minimised
#      (-merge=1; skipped with --smoke);
#   3. a crash, leak, timeout (> 10 s for one input) or OOM is saved as
#      build/fuzz/crash-T-<kind>-<sha1> and reported.
# Prints a table: target, execs/s, corpus (files in the working corpus),
# coverage (cov = edges, ft = features, from libFuzzer's final stats line),
# result. Logs: build/fuzz/log/T.log (and T.merge.log). Exit status 1 when
# any target crashed or a regression failed, 2 when the build failed.
set -u
cd "$(dirname "$0")/.." || exit 2

SMOKE=0
case "${1:-120}" in
--smoke) SECS=5 SMOKE=1 ;;
*[!0-9]* | "" | 0)
    echo "usage: sh scripts/fuzz.sh [SECONDS|--smoke]" >&2
    exit 2
    ;;
*) SECS=$1 ;;
esac

FZ=build/fuzz
if ! make -s -j"$(nproc 2>/dev/null || echo 2)" fuzz-build; then
    echo "fuzz: build failed" >&2
    exit 2
fi
mkdir -p "$FZ/log" "$FZ/corpus"

# Longest input libFuzzer may generate, per target.
max_len() {
    case "$1" in
    csv | multipart | detect_json | aggregate_json) echo 8192 ;;
    time | config) echo 64 ;;
    validate) echo 128 ;;
    numbers) echo 512 ;;
    *) echo 4096 ;;
    esac
}

# Field of libFuzzer's last stats line, e.g. stat cov.
last_stat() {
    grep -E "^#[0-9]+.* $2: " "$1" | tail -n 1 |
        sed -E "s/.* $2: ([0-9]+).*/\\1/"
}

TABLE=$(mktemp)
trap 'rm -f "$TABLE"' EXIT INT TERM
failed=0
for src in tests/fuzz/fuzz_*.c; do
    t=$(basename "$src" .c)
    t=${t#fuzz_}
    bin=$FZ/fuzz_$t
    log=$FZ/log/$t.log
    : >"$log"

    # 1. regressions
    set --
    for f in tests/fuzz/crashes/"$t"/*; do
        [ -f "$f" ] && set -- "$@" "$f"
    done
    if [ $# -gt 0 ] && ! "$bin" "$@" >>"$log" 2>&1; then
        echo "fuzz: $t: a reproducer in tests/fuzz/crashes/$t/ crashes" \
            "again (see $log)" >&2
        printf '%s\t-\t-\t-\t-\tREGRESSION\n' "$t" >>"$TABLE"
        failed=1
        continue
    fi

    # 2. fuzz on the working corpus
    work=$FZ/corpus/$t
    mkdir -p "$work"
    if [ -d "tests/fuzz/corpus/$t" ]; then
        for f in tests/fuzz/corpus/"$t"/*; do
            # named by content, as libFuzzer names its own finds
            [ -f "$f" ] && cp "$f" "$work/$(sha1sum <"$f" | cut -c1-40)"
        done
    fi
    dict=
    [ -f "tests/fuzz/$t.dict" ] && dict=-dict=tests/fuzz/$t.dict
    ml=$(max_len "$t")
    mark=$FZ/log/$t.start
    : >"$mark"
    # shellcheck disable=SC2086
    "$bin" -max_len="$ml" -max_total_time="$SECS" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 $dict \
        -artifact_prefix="$FZ/crash-$t-" "$work" >>"$log" 2>&1
    rc=$?
    eps=$(grep -E '^stat::average_exec_per_sec:' "$log" | tail -n 1 |
        sed -E 's/.*: *//')
    cov=$(last_stat "$log" cov)
    ft=$(last_stat "$log" ft)

    # 3. minimise the working corpus (after a clean run; not in smoke mode)
    result=ok
    if [ "$rc" -ne 0 ]; then
        art=$(find "$FZ" -maxdepth 1 -name "crash-$t-*" -newer "$mark" |
            head -n 1)
        echo "fuzz: $t: CRASH (exit $rc), input saved as ${art:-?};" \
            "log $log" >&2
        grep -E 'ERROR: |runtime error|invariant|SUMMARY' "$log" | head -n 5 >&2
        result="CRASH ${art:-?}"
        failed=1
    elif [ "$SMOKE" = 0 ]; then
        tmp=$FZ/corpus/.merge-$t
        rm -rf "$tmp"
        mkdir -p "$tmp"
        if "$bin" -merge=1 -max_len="$ml" -timeout=10 "$tmp" "$work" \
            >"$FZ/log/$t.merge.log" 2>&1; then
            rm -rf "$work"
            mv "$tmp" "$work"
        else
            rm -rf "$tmp"
        fi
    fi
    n=$(find "$work" -type f | wc -l)
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "${eps:--}" "$n" "${cov:--}" \
        "${ft:--}" "$result" >>"$TABLE"
done

echo
echo "libFuzzer, $SECS s per target"
awk -F '\t' '
    BEGIN { f = "%-16s %10s %8s %8s %8s  %s\n"
            printf f, "target", "execs/s", "corpus", "cov", "ft", "result" }
    { printf f, $1, $2, $3, $4, $5, $6 }' "$TABLE"
exit "$failed"
