#!/bin/sh
# bench-services.sh: benchmark table of the whole server (lighttpd + the four
# FastCGI programs), the second table of `make bench` (scripts/bench.sh runs
# it when it is executable; it can also be run alone from anywhere).
#
# It starts two private servers with scripts/lda-server, each on a free port
# with its own temporary LDA_VAR_DIR: one on disk (under $TMPDIR or /tmp) and
# one on tmpfs (/dev/shm), both stopped and removed on exit (trap). The
# measuring is done by scripts/bench-services.py (python3 stdlib + curl):
#   1. the realistic 1M-event file of bench.sh ($BENCH_DIR/realistic-N.csv,
#      made with scripts/gen-events when missing) uploaded with curl to
#      /api/orchestrate, then both reports downloaded; best wall time of
#      BENCH_RUNS, each with a fresh X-Request-ID (no cache hits), against
#      build/lda's best wall time on the same file in the same run; the
#      downloaded reports must be byte-identical to build/lda's;
#   2. peak RSS (VmHWM) of every program's processes and of lighttpd after
#      those runs, and their minor page faults per run after the first (what
#      a warm run still faults in afresh);
#   3. growth: the 1M file and a 3.5M-event one (BENCH_SVC_BIG_EVENTS, made
#      like the 1M one; 0 skips this) uploaded alternately to the tmpfs
#      server: best wall of each, their ratio (target: the events' ratio
#      x 1.15), and the peak RSS of the orchestrator beyond the input bytes
#      and of the layering detector, per event, at each size;
#   4. a 20-event input with one layering sequence over keep-alive
#      (http.client): p50/p99 latency of sequential runs and runs/s with
#      concurrent clients, once with the var dir on disk (each run fsyncs its
#      run files, docs/reports.md) and once on tmpfs.
# Then scripts/bench-servers.py (the same on Apache) and
# scripts/bench-gzip.py (the 1M file uploaded plain and gzip-compressed:
# bytes sent, end-to-end time, inflate time).
#
# Exit status: 0 whatever the figures (benchmarks report); 1 when a server
# cannot start or a tool is missing; 2 when the 1M run failed or its reports
# differ from build/lda's.
#
# Environment: BENCH_LDA (build/lda), BENCH_DIR (build/bench), BENCH_RUNS
# (5), BENCH_SVC_EVENTS (1000000; smaller for a quick try), BENCH_SVC_LAT_RUNS
# (300 sequential 20-event runs), BENCH_SVC_BIG_EVENTS (3500000; 0 skips
# the growth rows), BENCH_SVC_SECONDS (10 s per throughput
# case), BENCH_SVC_CLIENTS (4). LDA_CGI_DIR (default <repo>/cgi-bin) and
# LDA_PROCS_* pass to the servers; the settings that change results or
# access (API_KEY, WASH_*, LAYERING_*, rate limit, failpoints ...) are unset.

set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$ROOT" || exit 1
BENCH_LDA=${BENCH_LDA:-build/lda}
BENCH_DIR=${BENCH_DIR:-build/bench}
BENCH_RUNS=${BENCH_RUNS:-5}
BENCH_SVC_EVENTS=${BENCH_SVC_EVENTS:-1000000}
BENCH_SVC_BIG_EVENTS=${BENCH_SVC_BIG_EVENTS:-3500000}
export BENCH_RUNS BENCH_SVC_EVENTS BENCH_SVC_BIG_EVENTS

for v in MAX_EVENTS MAX_UPLOAD_BYTES PSEUDONYMIZE_LOGS PSEUDONYMIZATION_SALT \
    LAYERING_ORDERS_WINDOW_SECONDS LAYERING_CANCEL_WINDOW_SECONDS \
    LAYERING_TRADE_WINDOW_SECONDS WASH_WINDOW_SECONDS WASH_MIN_BUY_TRADES \
    WASH_MIN_SELL_TRADES WASH_MIN_ALTERNATION_PCT WASH_MIN_VOLUME \
    WASH_PRICE_CHANGE_PCT API_KEY INTERNAL_API_KEY RATE_LIMIT_PER_MINUTE \
    ALLOW_PARTIAL_RESULTS CACHE_TTL_SECONDS MAX_RETRIES \
    RETRY_BACKOFF_BASE_SECONDS ALGORITHM_TIMEOUT_SECONDS LDA_FAILPOINTS \
    LDA_INTERNAL_URL LDA_URL LDA_VAR_DIR LDA_INPUT_DIR LDA_PORT LDA_BIND; do
    unset "$v"
done
LDA_CGI_DIR=${LDA_CGI_DIR:-$ROOT/cgi-bin}
LDA_START_TIMEOUT=${LDA_START_TIMEOUT:-60}     # the machine may be loaded
export LDA_CGI_DIR LDA_START_TIMEOUT

me=bench-services
fail() { echo "$me: $*" >&2; exit 1; }

command -v python3 >/dev/null 2>&1 || fail "python3 is required"
command -v curl >/dev/null 2>&1 || fail "curl is required"
command -v lighttpd >/dev/null 2>&1 || fail "lighttpd is required (make deps)"
[ -x "$BENCH_LDA" ] || fail "$BENCH_LDA is not built (run make all)"
for p in orchestrate detect-layering detect-wash aggregate; do
    [ -x "$LDA_CGI_DIR/$p.fcgi" ] || fail "missing $LDA_CGI_DIR/$p.fcgi (run make all)"
done

# The inputs of bench.sh (same names, generator and seed).
mkdir -p "$BENCH_DIR/out" || fail "cannot create $BENCH_DIR/out"
realistic() {   # EVENTS -> the file's path, made when missing
    f=$BENCH_DIR/realistic-$1.csv
    if [ ! -s "$f" ]; then
        echo "$me: generating $f" >&2
        python3 scripts/gen-events realistic --events "$1" --seed 1 \
            -o "$f" >&2 || fail "gen-events failed"
    fi
    echo "$f"
}
INPUT=$(realistic "$BENCH_SVC_EVENTS") || exit 1
BIG_INPUT=""
[ "$BENCH_SVC_BIG_EVENTS" = 0 ] ||
    BIG_INPUT=$(realistic "$BENCH_SVC_BIG_EVENTS") || exit 1

# ------------------------------------------------------------ the servers

DISK_VAR="" SHM_VAR=""
DISK_URL="" SHM_URL=""
PY=""
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {                     # both servers at once
    if [ -n "$PY" ]; then
        kill -TERM "$PY" 2>/dev/null
        wait "$PY" 2>/dev/null
    fi
    for d in "$DISK_VAR" "$SHM_VAR"; do
        [ -n "$d" ] || continue
        (LDA_VAR_DIR=$d/var sh scripts/lda-server stop >/dev/null 2>&1
         rm -rf "$d") &
    done
    wait
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server DIR -> prints the URL; a few ports are tried (another program
# may take the free port between the check and lighttpd's bind).
start_server() {
    n=0
    while [ "$n" -lt 3 ]; do
        port=$(free_port) || return 1
        if LDA_VAR_DIR=$1/var LDA_INPUT_DIR=$1/input LDA_PORT=$port \
            LDA_BIND=127.0.0.1 sh scripts/lda-server start >"$1/start.out" 2>&1
        then
            tail -n 1 "$1/start.out" | sed 's,/$,,'
            return 0
        fi
        n=$((n + 1))
    done
    sed 's/^/  /' "$1/start.out" >&2
    return 1
}

DISK_VAR=$(mktemp -d "${TMPDIR:-/tmp}/lda-bench.XXXXXX") ||
    fail "cannot create a temporary directory"
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    SHM_VAR=$(mktemp -d /dev/shm/lda-bench.XXXXXX) || SHM_VAR=""
fi
mkdir -p "$DISK_VAR/input" || fail "cannot create $DISK_VAR/input"
DISK_URL=$(start_server "$DISK_VAR") ||
    fail "the server (var dir $DISK_VAR) did not start"
if [ -n "$SHM_VAR" ]; then
    mkdir -p "$SHM_VAR/input" || fail "cannot create $SHM_VAR/input"
    SHM_URL=$(start_server "$SHM_VAR") ||
        fail "the server (var dir $SHM_VAR on tmpfs) did not start"
fi

set -- --lda "$BENCH_LDA" --input "$INPUT" --out "$BENCH_DIR/out/services" \
    --cgi-dir "$LDA_CGI_DIR" --big-input "$BIG_INPUT" \
    --server "disk" "$DISK_URL" "$DISK_VAR/var"
[ -z "$SHM_URL" ] || set -- "$@" --server "tmpfs" "$SHM_URL" "$SHM_VAR/var"
# In the background, so that a signal runs the trap at once (cleanup then
# ends the measurement and its curl/lda child before stopping the servers).
python3 scripts/bench-services.py "$@" &
PY=$!
wait "$PY"
rc=$?
PY=""
[ "$rc" = 0 ] || exit $rc
# The third table: the same figures on each web server lda-server runs.
if command -v apache2 >/dev/null 2>&1; then
    python3 scripts/bench-servers.py "$INPUT" "$BENCH_RUNS" || exit 1
fi
# The fourth table: the same input uploaded plain and gzip-compressed.
python3 scripts/bench-gzip.py "$INPUT" "$BENCH_RUNS" || exit 1
exit 0
