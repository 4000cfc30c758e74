/* Unit tests of what operating the product relies on: the circuit
 * breaker's transitions (lda_breaker, driven by scripts of steps with the
 * clock passed in), and the host's shared file with its metrics (lda_shm,
 * lda_metrics): counts from several processes summed, a dead process's
 * counts kept and its slot reused, the exposition text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lda_breaker.h"
#include "lda_metrics.h"
#include "lda_shm.h"
#include "lda_test.h"

#define S 1000000 /* one second in microseconds */

/* One step of a script: at time t (seconds), a run enters (and is given
 * want), or the run that entered at `since` leaves with outcome o; then
 * the circuit shows `shown`. */
typedef struct step {
    char op; /* 'e' enter, 'l' leave */
    double t;
    int want;              /* enter: the pass expected */
    lda_breaker_pass pass; /* leave: the pass it had */
    double since;          /* leave: when it entered */
    lda_breaker_outcome o;
    lda_breaker_state shown;
} step;

#define E(t, want, shown) \
    { \
        'e', t, want, 0, 0, 0, shown \
    }
#define L(t, pass, since, o, shown) \
    { \
        'l', t, 0, pass, since, o, shown \
    }
#define CALL LDA_BREAKER_CALL
#define PROBE LDA_BREAKER_PROBE
#define REFUSED LDA_BREAKER_REFUSED
#define OK LDA_BREAKER_SUCCESS
#define FAIL LDA_BREAKER_FAILURE
#define OTHER LDA_BREAKER_OTHER
#define CLOSED LDA_BREAKER_CLOSED
#define OPEN LDA_BREAKER_OPEN
#define HALF LDA_BREAKER_HALF_OPEN

static void play(const char *name, const lda_breaker_policy *p, const step *st,
                 size_t n)
{
    lda_breaker b = {0};
    for (size_t i = 0; i < n; i++) {
        int64_t now = (int64_t)(st[i].t * S);
        if (st[i].op == 'e') {
            lda_breaker_pass got = lda_breaker_enter(&b, p, now);
            if ((int)got != st[i].want)
                fprintf(stderr, "\n%s step %zu: pass %d, want %d\n", name, i,
                        (int)got, st[i].want);
            CU_ASSERT_EQUAL(got, st[i].want);
        } else {
            lda_breaker_leave(&b, p, st[i].pass, (int64_t)(st[i].since * S),
                              st[i].o, now);
        }
        lda_breaker_state shown = lda_breaker_shown(&b, p, now);
        if (shown != st[i].shown)
            fprintf(stderr, "\n%s step %zu: shows %d, want %d\n", name, i,
                    (int)shown, (int)st[i].shown);
        CU_ASSERT_EQUAL(shown, st[i].shown);
    }
}

#define PLAY(name, p, steps) play(name, p, steps, sizeof steps / sizeof *steps)

static const lda_breaker_policy three = {3, 30 * (int64_t)S, 100 * (int64_t)S};

static void test_breaker_opens(void)
{
    /* failures in a row open it; a success in between resets the count;
       "other" outcomes count for nothing */
    static const step s[] = {
        E(1, CALL, CLOSED),
        L(2, CALL, 1, FAIL, CLOSED),
        E(3, CALL, CLOSED),
        L(4, CALL, 3, FAIL, CLOSED),
        E(5, CALL, CLOSED),
        L(6, CALL, 5, OK, CLOSED),
        E(7, CALL, CLOSED),
        L(8, CALL, 7, FAIL, CLOSED),
        E(9, CALL, CLOSED),
        L(10, CALL, 9, OTHER, CLOSED),
        E(11, CALL, CLOSED),
        L(12, CALL, 11, FAIL, CLOSED),
        E(13, CALL, CLOSED),
        L(14, CALL, 13, FAIL, OPEN),
        /* open for 30 s from 14: refused up to 43.9, half-open at 44 */
        E(15, REFUSED, OPEN),
        E(43.9, REFUSED, OPEN),
    };
    PLAY("opens", &three, s);
}

static void test_breaker_half_open(void)
{
    static const step s[] = {
        E(0, CALL, CLOSED),
        L(1, CALL, 0, FAIL, CLOSED),
        E(1, CALL, CLOSED),
        L(2, CALL, 1, FAIL, CLOSED),
        E(2, CALL, CLOSED),
        L(3, CALL, 2, FAIL, OPEN),
        E(32.9, REFUSED, OPEN),
        /* the time is over: shown half-open, exactly one run probes */
        E(33, PROBE, HALF),
        E(34, REFUSED, HALF),
        E(35, REFUSED, HALF),
        /* the probe fails: open again for 30 s from then */
        L(40, PROBE, 33, FAIL, OPEN),
        E(41, REFUSED, OPEN),
        E(70, PROBE, HALF),
        E(71, REFUSED, HALF),
        /* it succeeds: closed, every run calls */
        L(72, PROBE, 70, OK, CLOSED),
        E(73, CALL, CLOSED),
        E(73, CALL, CLOSED),
    };
    PLAY("half-open", &three, s);
}

static void test_breaker_probe_lost(void)
{
    static const step s[] = {
        E(0, CALL, CLOSED),
        L(0, CALL, 0, FAIL, CLOSED),
        E(0, CALL, CLOSED),
        L(0, CALL, 0, FAIL, CLOSED),
        E(0, CALL, CLOSED),
        L(0, CALL, 0, FAIL, OPEN),
        E(30, PROBE, HALF),
        /* its process died: after the 100 s lease another run probes */
        E(129.9, REFUSED, HALF),
        E(130, PROBE, HALF),
        /* the first probe reports late: not counted */
        L(131, PROBE, 30, OK, HALF),
        E(132, REFUSED, HALF),
        /* a probe that ends neither way lets the next run probe */
        L(133, PROBE, 130, OTHER, HALF),
        E(134, PROBE, HALF),
        L(135, PROBE, 134, OK, CLOSED),
    };
    PLAY("probe lost", &three, s);
}

static void test_breaker_late_call(void)
{
    /* two runs call at once; one fails the circuit open, the other then
       succeeds: a plain call does not close an open circuit */
    static const step s[] = {
        E(0, CALL, CLOSED),        L(0, CALL, 0, FAIL, CLOSED),
        E(1, CALL, CLOSED),        L(1, CALL, 1, FAIL, CLOSED),
        E(2, CALL, CLOSED),        E(2, CALL, CLOSED),
        L(3, CALL, 2, FAIL, OPEN), L(4, CALL, 2, OK, OPEN),
        E(5, REFUSED, OPEN),
    };
    PLAY("late call", &three, s);
}

static void test_breaker_disabled(void)
{
    static const lda_breaker_policy off = {0, 30 * (int64_t)S, 0};
    step s[20];
    for (int i = 0; i < 10; i++) {
        s[2 * i] = (step)E(i, CALL, CLOSED);
        s[2 * i + 1] = (step)L(i, CALL, i, FAIL, CLOSED);
    }
    PLAY("disabled", &off, s);
}

/* ------------------------------------------------------------- metrics */

static char ops_tmp[64];

static int ops_init(void)
{
    strcpy(ops_tmp, "/tmp/lda-unit-ops-XXXXXX");
    if (!mkdtemp(ops_tmp))
        return -1;
    return lda_shm_open(ops_tmp, LDA_SVC_ORCHESTRATE) ? 0 : -1;
}

static int ops_cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", ops_tmp);
    return system(cmd) == 0 ? 0 : -1;
}

/* The value of the exposition line starting with `series ` (-1: none). */
static long long value_of(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
        if (strncmp(p, series, n) == 0 && p[n] == ' ')
            return atoll(p + n + 1);
    return -1;
}

static char *exposition(void)
{
    lda_breaker_state st[LDA_SVC_COUNT] = {CLOSED, OPEN};
    lda_buf b;
    lda_buf_init(&b);
    CU_ASSERT_TRUE(lda_metrics_write(st, &b));
    return b.data;
}

/* In a child: a process of program prog that answers n requests of
 * status code, then exits (its slot stays, unlocked). */
static void child_counts(int prog, int n, int code)
{
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        /* a fresh open: the parent's lock is not this process's */
        if (!lda_shm_open(ops_tmp, prog))
            _exit(2);
        for (int i = 0; i < n; i++)
            lda_metrics_request(code, 1500);
        _exit(0);
    }
    int status;
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_metrics_sums(void)
{
    unsigned retries[LDA_SVC_COUNT] = {2, 0};
    for (int i = 0; i < 5; i++)
        lda_metrics_request(200, 500); /* 0.5 ms */
    lda_metrics_request(502, 61 * (int64_t)S);
    lda_metrics_run(LDA_RUN_COMPLETED, 18, 2, retries);
    lda_metrics_run(LDA_RUN_FAILED, 5, 0, retries);
    child_counts(LDA_SVC_ORCHESTRATE, 3, 200);
    child_counts(LDA_SVC_WASH, 4, 200);
    child_counts(LDA_SVC_WASH, 1, 400); /* reuses the dead slot */
    char *t = exposition();
    CU_ASSERT_EQUAL(value_of(t, "lda_http_requests_total{program=\"orchestrate"
                                "\",code=\"200\"}"),
                    8);
    CU_ASSERT_EQUAL(value_of(t, "lda_http_requests_total{program=\"orchestrate"
                                "\",code=\"502\"}"),
                    1);
    CU_ASSERT_EQUAL(value_of(t, "lda_http_requests_total{program=\"detect-wash"
                                "\",code=\"200\"}"),
                    4);
    CU_ASSERT_EQUAL(value_of(t, "lda_http_requests_total{program=\"detect-wash"
                                "\",code=\"400\"}"),
                    1);
    /* buckets are cumulative: 5 at 0.5 ms, 3 at 1.5 ms, 1 past 60 s */
    CU_ASSERT_EQUAL(value_of(t, "lda_http_request_duration_seconds_bucket{"
                                "program=\"orchestrate\",le=\"0.001\"}"),
                    5);
    CU_ASSERT_EQUAL(value_of(t, "lda_http_request_duration_seconds_bucket{"
                                "program=\"orchestrate\",le=\"0.0025\"}"),
                    8);
    CU_ASSERT_EQUAL(value_of(t, "lda_http_request_duration_seconds_bucket{"
                                "program=\"orchestrate\",le=\"60\"}"),
                    8);
    CU_ASSERT_EQUAL(value_of(t, "lda_http_request_duration_seconds_bucket{"
                                "program=\"orchestrate\",le=\"+Inf\"}"),
                    9);
    CU_ASSERT_EQUAL(value_of(t, "lda_http_request_duration_seconds_count{"
                                "program=\"orchestrate\"}"),
                    9);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "lda_http_request_duration_seconds_sum{"
                                     "program=\"orchestrate\"} 61.007000\n"));
    CU_ASSERT_EQUAL(value_of(t, "lda_runs_total{status=\"completed\"}"), 1);
    CU_ASSERT_EQUAL(value_of(t, "lda_runs_total{status=\"partial\"}"), 0);
    CU_ASSERT_EQUAL(value_of(t, "lda_runs_total{status=\"failed\"}"), 1);
    CU_ASSERT_EQUAL(value_of(t, "lda_events_total"), 23);
    CU_ASSERT_EQUAL(value_of(t, "lda_rejected_records_total"), 2);
    CU_ASSERT_EQUAL(value_of(t, "lda_sibling_retries_total{service=\"layering"
                                "\"}"),
                    4);
    CU_ASSERT_EQUAL(value_of(t, "lda_circuit_state{service=\"layering\"}"), 0);
    CU_ASSERT_EQUAL(value_of(t, "lda_circuit_state{service=\"wash_trading\"}"),
                    1);
    /* only this process is alive: memory is shown for its program only */
    CU_ASSERT_TRUE(value_of(t, "process_resident_memory_bytes{program="
                               "\"orchestrate\"}") > 0);
    CU_ASSERT_EQUAL(value_of(t, "process_resident_memory_bytes{program="
                                "\"detect-wash\"}"),
                    -1);
    /* the two wash processes came one after the other: one slot */
    int wash = 0;
    for (int i = 0; i < LDA_SHM_SLOTS; i++)
        wash += lda_shm_get()->slot[i].program == LDA_SVC_WASH + 1;
    CU_ASSERT_EQUAL(wash, 1);
    free(t);
}

void lda_test_ops(void)
{
    static const lda_test_case cases[] = {
        {"breaker opens after the threshold", test_breaker_opens},
        {"breaker half-open admits one run", test_breaker_half_open},
        {"breaker probe lost or late", test_breaker_probe_lost},
        {"breaker ignores a late plain call", test_breaker_late_call},
        {"breaker disabled", test_breaker_disabled},
        {"metrics summed over processes", test_metrics_sums},
        {NULL, NULL},
    };
    lda_test_suite("ops", cases, ops_init, ops_cleanup, NULL, NULL);
}
