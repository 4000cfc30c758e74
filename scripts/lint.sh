#!/bin/sh
# lint.sh: static checks of the C sources, run from the repository root
# (`make lint` builds first, then runs this).
#
#   sh scripts/lint.sh
#
# Three checks; each prints its findings, then one summary line:
#   1. format: `clang-format --dry-run -Werror` (style: .clang-format) over
#      every .c/.h under src/, tests/unit/ and tests/fuzz/; lists the files
#      that would change (LINT_VERBOSE=1 shows every diagnostic).
#   2. cppcheck over src/ (warning, performance, portability; C11,
#      -D_GNU_SOURCE, the include paths of the Makefile). Inline
#      suppressions (// cppcheck-suppress id) are honoured; the few
#      suppressions of known false positives are listed below.
#   3. exports: every global symbol (nm types T, D, B, R) that an object of
#      the release build under $LINT_OBJ_DIR/src defines must be referenced
#      (nm -u) by some other object under $LINT_OBJ_DIR (src/, src/cli,
#      tests/unit); `main` excepted. An unreferenced one should be static
#      (or deleted). Each offender is printed as `file.o: symbol`. Needs
#      the objects: `make all` first.
#
# Environment: LINT_OBJ_DIR (default build/obj), LINT_VERBOSE (default 0).
# Exit status 1 when any check failed, 0 otherwise.
set -eu
cd "$(dirname "$0")/.."

OBJ=${LINT_OBJ_DIR:-build/obj}
VERBOSE=${LINT_VERBOSE:-0}
FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/lda-lint.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM

have() {
    if command -v "$1" >/dev/null 2>&1; then
        return 0
    fi
    echo "lint: $1 not found (see scripts/install-deps.sh)" >&2
    return 1
}

# 1. clang-format ----------------------------------------------------------
check_format() {
    if ! have clang-format; then
        echo "format: FAIL (clang-format missing)"
        return 1
    fi
    dirs=
    for d in src tests/unit tests/fuzz; do
        [ -d "$d" ] && dirs="$dirs $d"
    done
    # shellcheck disable=SC2086
    find $dirs -type f \( -name '*.c' -o -name '*.h' \) | LC_ALL=C sort \
        >"$TMP/files"
    nfiles=$(wc -l <"$TMP/files")
    rc=0
    # File names of this tree have no blanks.
    # shellcheck disable=SC2046
    clang-format --dry-run -Werror $(cat "$TMP/files") \
        >/dev/null 2>"$TMP/format" || rc=$?
    grep -E '^[^ ]+:[0-9]+:[0-9]+: (error|warning):' "$TMP/format" \
        >"$TMP/format.diag" || true
    ndiag=$(wc -l <"$TMP/format.diag")
    if [ "$VERBOSE" = 1 ]; then
        cat "$TMP/format"
    fi
    # One line per file that would change: "  file: N places".
    cut -d: -f1 "$TMP/format.diag" | uniq -c |
        awk '{ printf "  %s: %d place%s\n", $2, $1, $1 == 1 ? "" : "s" }' \
        >"$TMP/format.files"
    nbad=$(wc -l <"$TMP/format.files")
    cat "$TMP/format.files"
    if [ "$rc" -ne 0 ] || [ "$ndiag" -ne 0 ]; then
        if [ "$ndiag" -eq 0 ]; then
            # clang-format failed without a diagnostic we recognise.
            cat "$TMP/format" >&2
        fi
        echo "format: FAIL ($nbad of $nfiles files would change," \
            "$ndiag places; \`clang-format -i FILE\` fixes one)"
        return 1
    fi
    echo "format: ok ($nfiles files)"
}

# 2. cppcheck --------------------------------------------------------------
# No false positive is suppressed. src/services/detect.c is built once per
# detector with LDA_PROGRAM set (see the Makefile); cppcheck reads it as one.
CPPCHECK_SUPPRESS="--suppress=missingIncludeSystem"

check_cppcheck() {
    if ! have cppcheck; then
        echo "cppcheck: FAIL (cppcheck missing)"
        return 1
    fi
    rc=0
    # shellcheck disable=SC2086
    cppcheck --enable=warning,performance,portability --std=c11 \
        --error-exitcode=1 --inline-suppr --quiet -D_GNU_SOURCE \
        -Isrc/core -Isrc/io -Isrc/web -DLDA_PROGRAM='"detect-wash"' \
        $CPPCHECK_SUPPRESS \
        --template='{file}:{line}:{column}: {severity}: {message} [{id}]' \
        src >"$TMP/cppcheck" 2>&1 || rc=$?
    grep -E '^[^ ]+:[0-9]+:[0-9]+: ' "$TMP/cppcheck" >"$TMP/cppcheck.found" ||
        true
    n=$(wc -l <"$TMP/cppcheck.found")
    if [ "$rc" -ne 0 ] || [ "$n" -ne 0 ]; then
        sed 's/^/  /' "$TMP/cppcheck"
        echo "cppcheck: FAIL ($n findings in src/)"
        return 1
    fi
    echo "cppcheck: ok (src/)"
}

# 3. exported symbols ------------------------------------------------------
check_exports() {
    if ! have nm; then
        echo "exports: FAIL (nm missing: install binutils)"
        return 1
    fi
    if [ ! -d "$OBJ/src" ] ||
        [ -z "$(find "$OBJ/src" -name '*.o' | head -n 1)" ]; then
        echo "exports: FAIL (no objects under $OBJ/src: run \`make all\`)"
        return 1
    fi
    # Every symbol some object leaves undefined. An object never lists a
    # symbol it defines itself as undefined, so a name found here is a
    # reference from another object.
    find "$OBJ" -name '*.o' -exec nm -u {} + |
        awk '$1 == "U" { print $2 }' | LC_ALL=C sort -u >"$TMP/used"
    # "file.o symbol" for every global a src/ object defines.
    find "$OBJ/src" -name '*.o' -exec nm -A -g --defined-only {} + |
        awk 'NF == 3 && $2 ~ /^[TDBR]$/ && $3 != "main" {
                 f = $1; sub(/:[^:]*$/, "", f); print f, $3 }' |
        LC_ALL=C sort -k2,2 >"$TMP/defined"
    # Defined but used by no one else.
    LC_ALL=C join -1 2 -2 1 -v 1 -o 1.1,1.2 "$TMP/defined" "$TMP/used" |
        LC_ALL=C sort | awk '{ printf "  %s: %s\n", $1, $2 }' \
        >"$TMP/unused"
    n=$(wc -l <"$TMP/unused")
    ndef=$(wc -l <"$TMP/defined")
    cat "$TMP/unused"
    if [ "$n" -ne 0 ]; then
        echo "exports: FAIL ($n of $ndef exported symbols of $OBJ/src" \
            "are referenced by no other object; make them static)"
        return 1
    fi
    echo "exports: ok ($ndef exported symbols of $OBJ/src, all used)"
}

check_format || FAILED=1
check_cppcheck || FAILED=1
check_exports || FAILED=1
exit "$FAILED"
