/* lda_health: the programs' health, asked concurrently (see lda_health.h). */
#include "lda_health.h"

#include <stdio.h>
#include <string.h>

#include "lda_clock.h"
#include "lda_svc.h"

#define HEALTH_TIMEOUT_S 2.0
#define HEALTH_MAX_RESPONSE 4096

static json_t *entry(const char *status, json_int_t ms)
{
    return json_pack("{s:s,s:I}", "status", status, "latency_ms", ms);
}

/* The answer of one finished call: healthy when it is a 200 saying so. */
static bool answered_healthy(const lda_call *c)
{
    if (c->state != LDA_CALL_SUCCESS || c->http_status != 200)
        return false;
    json_t *j = json_loadb(c->response.data, c->response.len, 0, NULL);
    const char *st = json_string_value(json_object_get(j, "status"));
    bool ok = st && strcmp(st, "healthy") == 0;
    json_decref(j);
    return ok;
}

json_t *lda_health_check(lda_client *c, const char *self,
                         const char *request_id, const lda_trace *trace,
                         bool *all)
{
    int64_t t0 = lda_mono_us();
    lda_call calls[LDA_SVC_ALL], *run[LDA_SVC_ALL];
    char paths[LDA_SVC_ALL][128];
    size_t n = 0;
    for (int i = 0; i < LDA_SVC_ALL; i++) {
        if (strcmp(lda_svcs[i].program, self) == 0)
            continue;
        lda_call_init(&calls[n]);
        snprintf(paths[n], sizeof paths[n], "%s/health", lda_svcs[i].route);
        calls[n].service = lda_svcs[i].program;
        calls[n].path = paths[n];
        calls[n].get = true;
        calls[n].request_id = request_id;
        calls[n].trace = trace;
        calls[n].max_response = HEALTH_MAX_RESPONSE;
        run[n] = &calls[n];
        n++;
    }
    json_t *services = json_object();
    json_object_set_new(services, self,
                        entry("healthy", (lda_mono_us() - t0 + 500) / 1000));
    lda_client_policy p = {HEALTH_TIMEOUT_S, 0, 1};
    lda_client_run(c, run, n, &p);
    *all = true;
    for (size_t i = 0; i < n; i++) {
        bool ok = answered_healthy(&calls[i]);
        json_t *e = entry(ok ? "healthy" : "unhealthy",
                          (json_int_t)(calls[i].elapsed_ms + 0.5));
        if (!ok) {
            *all = false;
            json_object_set_new(e, "error",
                                json_string(calls[i].error[0]
                                                ? calls[i].error
                                                : "invalid answer"));
        }
        json_object_set_new(services, calls[i].service, e);
        lda_call_free(&calls[i]);
    }
    return services;
}
