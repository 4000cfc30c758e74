#!/bin/sh
# LDA_THREADS: every output of build/lda is byte-identical whatever the
# number of threads (docs/input.md "Reading in parallel").
#
# Runs LDA INPUT OUT with LDA_THREADS=1, 2, 3 and 8 on
#   - every golden case's input.csv (with its env file, if any), and
#   - generated inputs (scripts/gen-events, then edited by the python below):
#     realistic 20,000 events as written; the same with CRLF line ends,
#     quoted ids holding line breaks and "" on every ~9th row, rejected rows
#     (malformed quoting, wrong field count, bad fields) and blank lines
#     spread over the whole file, so chunk edges fall inside quoted fields
#     and between rejected rows; one dense group of 30,000 events (one huge
#     group); an input of one event (smaller than the thread count); one
#     that has more events than MAX_EVENTS (a refusal);
# and compares with the 1-thread run: the exit status, stderr, every file
# written (suspicious_accounts.csv, detections.csv, alerts.json) byte for
# byte, and run.json with only "started" and "finished" taken out.
#
# Usage (from the repository root): sh tests/golden/threads.sh PATH/TO/lda
# Prints "ok NAME" or "FAIL NAME: why" per input, then "N passed, M
# failed"; exits non-zero when an input failed.

set -u
if [ $# -ne 1 ] || [ ! -x "$1" ]; then
    echo "usage: sh tests/golden/threads.sh PATH/TO/lda" >&2
    exit 2
fi
LDA=$1
case $LDA in
    /*) ;;
    *) LDA=$(pwd)/$LDA ;;
esac
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/lda-threads.XXXXXX") || exit 2
[ -n "${THREADS_KEEP:-}" ] || trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' HUP INT PIPE TERM

. "$ROOT/scripts/lda-run-vars.sh"

# The generated inputs.
GEN=$TMP/gen
mkdir -p "$GEN"
python3 "$ROOT/scripts/gen-events" realistic --events 20000 --seed 3 \
    -o "$GEN/realistic.csv" || exit 2
python3 "$ROOT/scripts/gen-events" dense --events 30000 --seed 3 \
    -o "$GEN/dense.csv" || exit 2
python3 - "$GEN" <<'PY' || exit 2
import random, sys
d = sys.argv[1]
rows = open(d + "/realistic.csv", encoding="utf-8").read().split("\n")
head, body = rows[0], [r for r in rows[1:] if r]
rnd = random.Random(7)
bad = ['nope,A1,P1,BUY,1,1,TRADE_EXECUTED', 'x,y', 'a,b"c,d,e,f,g,h',
       '2024-01-01T10:00:00Z,"A1"x,P1,BUY,1,1,TRADE_EXECUTED',
       '2024-01-01T10:00:00Z,A1,P1,BUY,-1,1,TRADE_EXECUTED', '']
out = [head]
for i, r in enumerate(body):
    f = r.split(",")
    if i % 9 == 4:  # quoted id with a line break (rejected: a control)
        f[1] = '"%s\n""x"""' % f[1]
    if i % 9 == 7:  # quoted, escaped quotes, blanks (valid)
        f[1] = '"%s""x"""' % f[1]
        f[2] = '" %s "' % f[2]
    out.append(",".join(f))
    if rnd.random() < 0.02:
        out.append(rnd.choice(bad))
with open(d + "/edited.csv", "w", encoding="utf-8", newline="") as fh:
    fh.write("\r\n".join(out) + "\r\n")
with open(d + "/tiny.csv", "w") as fh:
    fh.write(head + "\n" + body[0] + "\n")
# one quoted field across most of the file: every cut falls inside it
with open(d + "/longquote.csv", "w", encoding="utf-8") as fh:
    fh.write(head + "\n" + body[0] + "\n")
    fh.write(body[1].split(",")[0] + ',"' + "\n".join(body[2:3000]) + '",P,BUY,1,1,ORDER_PLACED\n')
    fh.write("\n".join(body[3000:6000]) + "\n")
PY
printf 'MAX_EVENTS=5000\n' >"$GEN/toomany.env"
cp "$GEN/realistic.csv" "$GEN/toomany.csv"

# run NAME INPUT ENVFILE THREADS -> $TMP/NAME.THREADS/{out/,rc,stderr}
run() {
    d=$TMP/$1.$4
    mkdir -p "$d/out"
    (
        if [ -n "$3" ] && [ -f "$3" ]; then
            set -a
            . "$3"
            set +a
        fi
        LDA_THREADS=$4 "$LDA" "$2" "$d/out" >/dev/null 2>"$d/stderr"
        echo $? >"$d/rc"
    )
    # run.json is indented by two spaces, one top-level key a line
    # (docs/reports.md#run-record): the two times are lines of their own
    # (sed, not python: 176 interpreter starts cost a minute)
    if [ -f "$d/out/run.json" ]; then
        sed -i -e '/^  "started": /d' -e '/^  "finished": /d' "$d/out/run.json"
    fi
}

pass=0
fail=0
check() { # NAME INPUT ENVFILE
    run "$1" "$2" "$3" 1
    why=
    for t in 2 3 8; do
        run "$1" "$2" "$3" $t
        if ! diff -r "$TMP/$1.1" "$TMP/$1.$t" >"$TMP/$1.diff" 2>&1; then
            why="LDA_THREADS=$t differs from 1: $(head -c 300 "$TMP/$1.diff")"
            break
        fi
    done
    if [ -z "$why" ]; then
        echo "ok $1"
        pass=$((pass + 1))
    else
        echo "FAIL $1: $why"
        fail=$((fail + 1))
    fi
}

for case in "$HERE"/*/; do
    name=$(basename "$case")
    [ -f "$case/input.csv" ] || continue
    check "$name" "$case/input.csv" "$case/env"
done
for g in realistic edited dense tiny longquote toomany; do
    check "gen-$g" "$GEN/$g.csv" "$GEN/$g.env"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
