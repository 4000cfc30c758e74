/* lda_metrics: counting into this process's slot, and the exposition of
 * the host's sums (see lda_metrics.h). */
#include "lda_metrics.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lda_heap.h"
#include "lda_version.h"

static const int64_t bounds_us[] = LDA_METRICS_BOUNDS_US;
_Static_assert(sizeof bounds_us / sizeof *bounds_us + 1 == LDA_SHM_BUCKETS,
               "one counter per bound, and +Inf");

static void add(lda_counter *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t get(const lda_counter *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

void lda_metrics_request(int status, int64_t duration_us)
{
    lda_shm_slot *s = lda_shm_mine();
    if (!s)
        return;
    if (status >= LDA_SHM_CODE_MIN &&
        status < LDA_SHM_CODE_MIN + LDA_SHM_CODES)
        add(&s->requests[status - LDA_SHM_CODE_MIN], 1);
    if (duration_us < 0)
        duration_us = 0;
    int b = 0;
    while (b < LDA_SHM_BUCKETS - 1 && duration_us > bounds_us[b])
        b++;
    add(&s->buckets[b], 1);
    add(&s->duration_us, (uint64_t)duration_us);
}

void lda_metrics_run(lda_run_status st, uint64_t events, uint64_t rejected,
                     const unsigned retries[LDA_SVC_COUNT])
{
    lda_shm_slot *s = lda_shm_mine();
    if (!s)
        return;
    add(&s->runs[st], 1);
    add(&s->events, events);
    add(&s->rejected, rejected);
    for (int i = 0; i < LDA_SVC_COUNT; i++)
        add(&s->retries[i], retries[i]);
}

/* ------------------------------------------------------------ exposition */

/* The sums over every slot, by program where the family has it. */
typedef struct totals {
    uint64_t requests[LDA_SVC_ALL][LDA_SHM_CODES];
    uint64_t buckets[LDA_SVC_ALL][LDA_SHM_BUCKETS];
    uint64_t duration_us[LDA_SVC_ALL];
    uint64_t runs[LDA_RUN_STATUSES];
    uint64_t events, rejected;
    uint64_t retries[LDA_SVC_COUNT];
    uint64_t rss[LDA_SVC_ALL]; /* of the live processes */
    bool seen[LDA_SVC_ALL];    /* the program has a slot (ran here) */
    bool live[LDA_SVC_ALL];    /* ... and a live process */
} totals;

static void sum_slot(totals *t, int i, const lda_shm_slot *s, int p)
{
    t->seen[p] = true;
    for (int c = 0; c < LDA_SHM_CODES; c++)
        t->requests[p][c] += get(&s->requests[c]);
    for (int b = 0; b < LDA_SHM_BUCKETS; b++)
        t->buckets[p][b] += get(&s->buckets[b]);
    t->duration_us[p] += get(&s->duration_us);
    for (int r = 0; r < LDA_RUN_STATUSES; r++)
        t->runs[r] += get(&s->runs[r]);
    t->events += get(&s->events);
    t->rejected += get(&s->rejected);
    for (int d = 0; d < LDA_SVC_COUNT; d++)
        t->retries[d] += get(&s->retries[d]);
    pid_t pid;
    if (lda_shm_live(i, &pid)) {
        t->live[p] = true;
        t->rss[p] += lda_heap_rss(pid);
    }
}

static void sum_all(const lda_shm *shm, totals *t)
{
    memset(t, 0, sizeof *t);
    for (int i = 0; i < LDA_SHM_SLOTS; i++) {
        uint32_t p = atomic_load(&shm->slot[i].program);
        if (p >= 1 && p <= LDA_SVC_ALL)
            sum_slot(t, i, &shm->slot[i], (int)p - 1);
    }
}

static void family(lda_buf *b, const char *name, const char *type,
                   const char *help)
{
    lda_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void write_http(const totals *t, lda_buf *b)
{
    family(b, "lda_http_requests_total", "counter",
           "Answers given, by program and HTTP status code.");
    for (int p = 0; p < LDA_SVC_ALL; p++)
        for (int c = 0; c < LDA_SHM_CODES; c++)
            if (t->requests[p][c])
                lda_buf_printf(b,
                               "lda_http_requests_total{program=\"%s\","
                               "code=\"%d\"} %llu\n",
                               lda_svcs[p].program, c + LDA_SHM_CODE_MIN,
                               (unsigned long long)t->requests[p][c]);
    family(b, "lda_http_request_duration_seconds", "histogram",
           "Time from accepting a request to its answer being sent.");
    for (int p = 0; p < LDA_SVC_ALL; p++) {
        const char *prog = lda_svcs[p].program;
        uint64_t cum = 0;
        if (!t->seen[p])
            continue; /* never ran on this host */
        for (int k = 0; k < LDA_SHM_BUCKETS; k++) {
            cum += t->buckets[p][k];
            char le[32];
            if (k < LDA_SHM_BUCKETS - 1)
                snprintf(le, sizeof le, "%g", (double)bounds_us[k] / 1e6);
            else
                snprintf(le, sizeof le, "+Inf");
            lda_buf_printf(b,
                           "lda_http_request_duration_seconds_bucket{"
                           "program=\"%s\",le=\"%s\"} %llu\n",
                           prog, le, (unsigned long long)cum);
        }
        lda_buf_printf(
            b,
            "lda_http_request_duration_seconds_sum{program=\"%s\"}"
            " %llu.%06llu\n"
            "lda_http_request_duration_seconds_count{program=\"%s\"}"
            " %llu\n",
            prog, (unsigned long long)(t->duration_us[p] / 1000000),
            (unsigned long long)(t->duration_us[p] % 1000000), prog,
            (unsigned long long)cum);
    }
}

static void write_runs(const totals *t, lda_buf *b)
{
    static const char *const names[LDA_RUN_STATUSES] = {
        [LDA_RUN_COMPLETED] = "completed",
        [LDA_RUN_PARTIAL] = "partial",
        [LDA_RUN_FAILED] = "failed",
    };
    family(b, "lda_runs_total", "counter",
           "Runs that went through the detectors, by outcome.");
    for (int r = 0; r < LDA_RUN_STATUSES; r++)
        lda_buf_printf(b, "lda_runs_total{status=\"%s\"} %llu\n", names[r],
                       (unsigned long long)t->runs[r]);
    family(b, "lda_events_total", "counter", "Valid events of those runs.");
    lda_buf_printf(b, "lda_events_total %llu\n",
                   (unsigned long long)t->events);
    family(b, "lda_rejected_records_total", "counter",
           "Rejected input records of those runs.");
    lda_buf_printf(b, "lda_rejected_records_total %llu\n",
                   (unsigned long long)t->rejected);
    family(b, "lda_sibling_retries_total", "counter",
           "Detector calls sent again by the orchestrator, by service.");
    for (int d = 0; d < LDA_SVC_COUNT; d++)
        lda_buf_printf(b, "lda_sibling_retries_total{service=\"%s\"} %llu\n",
                       lda_svcs[d].name, (unsigned long long)t->retries[d]);
}

static void write_state(const totals *t,
                        const lda_breaker_state circuit[LDA_SVC_COUNT],
                        lda_buf *b)
{
    family(b, "lda_circuit_state", "gauge",
           "Circuit breaker of each detector service: 0 closed, 1 open, 2 "
           "half-open.");
    for (int d = 0; d < LDA_SVC_COUNT; d++)
        lda_buf_printf(b, "lda_circuit_state{service=\"%s\"} %d\n",
                       lda_svcs[d].name, (int)circuit[d]);
    family(b, "lda_build_info", "gauge", "The version of the programs.");
    lda_buf_printf(b, "lda_build_info{version=\"%s\"} 1\n", LDA_VERSION);
    family(b, "process_resident_memory_bytes", "gauge",
           "Resident memory of the live processes of each program, summed.");
    for (int p = 0; p < LDA_SVC_ALL; p++)
        if (t->live[p])
            lda_buf_printf(b,
                           "process_resident_memory_bytes{program=\"%s\"} "
                           "%llu\n",
                           lda_svcs[p].program, (unsigned long long)t->rss[p]);
}

bool lda_metrics_write(const lda_breaker_state circuit[LDA_SVC_COUNT],
                       lda_buf *out)
{
    static totals t; /* 20 KB: off the stack */
    const lda_shm *shm = lda_shm_get();
    if (!shm)
        return false;
    sum_all(shm, &t);
    write_http(&t, out);
    write_runs(&t, out);
    write_state(&t, circuit, out);
    return !out->oom;
}
