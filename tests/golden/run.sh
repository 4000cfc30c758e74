#!/bin/sh
# Golden end-to-end tests for the in-process runner `lda INPUT.csv OUTDIR`.
#
# Every directory tests/golden/<NN-name>/ is one case whose expected output was
# derived by hand from SPEC.md (the derivation is in the case's NOTES file):
#   input.csv                         the input given to lda
#   expected-suspicious_accounts.csv  byte-exact expected reports (CRLF), or
#   expected-detections.csv
#   expect-fail                       instead of the reports: lda must exit
#                                     non-zero and leave no report file
#   env                               optional VAR=value lines exported first
#                                     (every SPEC §6 variable is unset before)
#   params                            optional name=value lines, each given to
#                                     lda as `--param name=value`
#   expected-stderr                   optional with expect-fail: a whole line
#                                     lda must print on standard error
#   expected-status                   optional with expect-fail: the exit status
#   expected-rejected                 optional: record numbers of the rejected
#                                     records, one a line, in order
#   expected-counts                   optional: key=N lines checked against
#                                     run.json (event_count, rejected_count)
#   expected-data_quality.json        optional: run.json's data_quality,
#                                     derived independently of lda
#   expected-alerts.json              optional: alerts.json, byte-exact (its
#                                     records and evidence derived by hand)
# For success cases run.json's merged_count must equal the number of data rows
# of expected-suspicious_accounts.csv.
#
# Usage (from the repository root): sh tests/golden/run.sh PATH/TO/lda
# With GOLDEN_STDIN=1 every input is given on standard input (`lda - OUT`).
# Prints "ok NAME" or "FAIL NAME: why" per case, then "N passed, M failed";
# exits non-zero when a case failed.

set -u

if [ $# -ne 1 ]; then
    echo "usage: sh tests/golden/run.sh PATH/TO/lda" >&2
    exit 2
fi
LDA=$1
case $LDA in
    /*) ;;
    *) LDA=$(pwd)/$LDA ;;
esac
if [ ! -x "$LDA" ]; then
    echo "run.sh: not an executable: $1" >&2
    exit 2
fi
# The interpreter itself, not a version manager's shim in front of it (a
# pyenv shim costs a third of a second per start, once per case here).
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
if [ -z "$PY" ]; then
    echo "run.sh: python3 is required" >&2
    exit 2
fi

HERE=$(cd "$(dirname "$0")" && pwd)
TMPROOT=$(mktemp -d "${TMPDIR:-/tmp}/lda-golden.XXXXXX") || exit 2
trap 'rm -rf "$TMPROOT"' EXIT
trap 'exit 130' HUP INT PIPE TERM

# Every SPEC §6 variable: unset before each case so the caller's environment
# cannot change the expected results.
SPEC_VARS="LDA_PORT LDA_BIND LDA_VAR_DIR LDA_INPUT_DIR API_KEY INTERNAL_API_KEY
MAX_UPLOAD_BYTES MAX_EVENTS RATE_LIMIT_PER_MINUTE MAX_RETRIES
RETRY_BACKOFF_BASE_SECONDS ALGORITHM_TIMEOUT_SECONDS ALLOW_PARTIAL_RESULTS
CACHE_TTL_SECONDS PSEUDONYMIZE_LOGS PSEUDONYMIZATION_SALT
LAYERING_ORDERS_WINDOW_SECONDS LAYERING_CANCEL_WINDOW_SECONDS
LAYERING_TRADE_WINDOW_SECONDS WASH_WINDOW_SECONDS WASH_MIN_BUY_TRADES
WASH_MIN_SELL_TRADES WASH_MIN_ALTERNATION_PCT WASH_MIN_VOLUME
WASH_PRICE_CHANGE_PCT"

TIMEOUT=
if command -v timeout >/dev/null 2>&1; then
    TIMEOUT="timeout 60"
fi

# Checks run.json against the case's expectations. argv: run.json case_dir.
# Prints one line per problem; exit status 1 when there is any.
CHECK_RUN_JSON='
import json, os, sys
path, case = sys.argv[1], sys.argv[2]
errs = []
try:
    with open(path, encoding="utf-8") as f:
        run = json.load(f)
except Exception as e:
    print("run.json unreadable: %s" % e); sys.exit(1)
if not isinstance(run, dict):
    print("run.json is not an object"); sys.exit(1)
def get(key):
    if key not in run:
        errs.append("run.json has no %r" % key); return None
    return run[key]
p = os.path.join(case, "expected-counts")
if os.path.exists(p):
    for line in open(p):
        line = line.strip()
        if not line or line.startswith("#"): continue
        k, v = line.split("=", 1)
        got = get(k)
        if got is not None and got != int(v):
            errs.append("run.json %s = %r, expected %s" % (k, got, v))
p = os.path.join(case, "expected-rejected")
if os.path.exists(p):
    want = [int(x) for x in open(p).read().split()]
    rej = get("rejected")
    if rej is not None:
        try:
            rows = [r["row"] for r in rej]
            reasons = [r["reason"] for r in rej]
        except Exception:
            errs.append("run.json rejected: entries need row and reason")
        else:
            if len(rows) < min(100, len(want)):
                errs.append("run.json rejected lists %d records, expected at least %d"
                            % (len(rows), min(100, len(want))))
            if rows != want[:len(rows)]:
                errs.append("run.json rejected rows %s, expected %s"
                            % (rows[:20], want[:20]))
            for r in reasons:
                if not isinstance(r, str) or not r.strip() or "\n" in r:
                    errs.append("run.json rejected reason not one non-empty line: %r" % (r,))
                    break
p = os.path.join(case, "expected-suspicious_accounts.csv")
if os.path.exists(p):
    n = open(p, "rb").read().count(b"\r\n") - 1
    got = get("merged_count")
    if got is not None and got != n:
        errs.append("run.json merged_count = %r, expected %d" % (got, n))
p = os.path.join(case, "expected-data_quality.json")
if os.path.exists(p):
    want = json.load(open(p, encoding="utf-8"))
    got = get("data_quality")
    if got is not None and got != want:
        errs.append("run.json data_quality = %r, expected %r" % (got, want))
for e in errs: print(e)
sys.exit(1 if errs else 0)
'

# Makes CR visible so a diff shows line-end problems.
visible() {
    sed 's/\r/\\r/g' "$1"
}

# run_lda CASE_DIR WORK_DIR: runs lda with the case's environment.
run_lda() {
    (
        for v in $SPEC_VARS; do unset "$v"; done
        if [ -f "$1/env" ]; then
            while IFS= read -r line || [ -n "$line" ]; do
                case $line in ''|'#'*) continue ;; esac
                export "${line%%=*}=${line#*=}"
            done < "$1/env"
        fi
        set -- "$1" "$2"
        if [ -f "$1/params" ]; then
            while IFS= read -r line || [ -n "$line" ]; do
                case $line in ''|'#'*) continue ;; esac
                set -- "$@" --param "$line"
            done < "$1/params"
        fi
        c=$1 w=$2
        shift 2
        if [ "${GOLDEN_STDIN:-0}" = 1 ]; then
            exec $TIMEOUT "$LDA" "$@" - "$w/out" < "$c/input.csv"
        fi
        exec $TIMEOUT "$LDA" "$@" "$c/input.csv" "$w/out"
    ) >"$2/stdout" 2>"$2/stderr"
}

# check_fail CASE_DIR WORK_DIR RC: sets WHY when the refusal is wrong.
check_fail() {
    if [ "$3" -eq 0 ]; then
        WHY="exit status 0, expected non-zero"
        return
    fi
    if [ "$3" -ge 124 ] && [ "$3" -le 254 ]; then
        WHY="exit status $3 (timeout, crash or signal), expected a clean refusal"
        return
    fi
    if grep -q -e 'Sanitizer' -e 'runtime error:' "$2/stderr"; then
        WHY="sanitizer report on stderr: $(grep -e 'Sanitizer' -e 'runtime error:' "$2/stderr" | head -n 1)"
        return
    fi
    left=$(find "$2/out" -name '*.csv' 2>/dev/null | head -n 1)
    if [ -n "$left" ]; then
        WHY="report file left behind: $(basename "$left")"
        return
    fi
    if [ ! -s "$2/stderr" ]; then
        WHY="no reason on stderr"
        return
    fi
    if [ -f "$1/expected-stderr" ] &&
        ! grep -qxF -f "$1/expected-stderr" "$2/stderr"; then
        WHY="stderr is not $(cat "$1/expected-stderr"): $(head -n 1 "$2/stderr")"
        return
    fi
    if [ -f "$1/expected-status" ] && [ "$3" -ne "$(cat "$1/expected-status")" ]; then
        WHY="exit status $3, expected $(cat "$1/expected-status")"
    fi
}

# check_ok CASE_DIR WORK_DIR RC: sets WHY (and writes $2/detail) on failure.
check_ok() {
    if [ "$3" -ne 0 ]; then
        WHY="exit status $3: $(head -n 1 "$2/stderr")"
        return
    fi
    if grep -q -e 'Sanitizer' -e 'runtime error:' "$2/stderr"; then
        WHY="sanitizer report on stderr: $(grep -e 'Sanitizer' -e 'runtime error:' "$2/stderr" | head -n 1)"
        return
    fi
    for f in suspicious_accounts.csv detections.csv alerts.json; do
        [ -f "$1/expected-$f" ] || continue
        if [ ! -f "$2/out/$f" ]; then
            WHY="$f not written"
            return
        fi
        if ! cmp -s "$1/expected-$f" "$2/out/$f"; then
            WHY="$f differs from expected-$f"
            visible "$1/expected-$f" >"$2/exp.vis"
            visible "$2/out/$f" >"$2/got.vis"
            diff -u "$2/exp.vis" "$2/got.vis" | head -n 40 >"$2/detail"
            return
        fi
    done
    if [ ! -f "$2/out/run.json" ]; then
        WHY="run.json not written"
        return
    fi
    if ! "$PY" -c "$CHECK_RUN_JSON" "$2/out/run.json" "$1" >"$2/detail" 2>&1; then
        WHY="run.json: $(head -n 1 "$2/detail")"
        return
    fi
}

pass=0
fail=0
for dir in "$HERE"/*/; do
    dir=${dir%/}
    name=$(basename "$dir")
    [ -f "$dir/input.csv" ] || continue
    work=$TMPROOT/$name
    mkdir -p "$work/out"
    : >"$work/detail"
    WHY=
    run_lda "$dir" "$work"
    rc=$?
    if [ -f "$dir/expect-fail" ]; then
        check_fail "$dir" "$work" "$rc"
    else
        check_ok "$dir" "$work" "$rc"
    fi
    if [ -z "$WHY" ]; then
        echo "ok $name"
        pass=$((pass + 1))
    else
        echo "FAIL $name: $WHY"
        if [ -s "$work/detail" ]; then
            sed 's/^/    /' "$work/detail"
        fi
        fail=$((fail + 1))
    fi
    rm -rf "$work"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
