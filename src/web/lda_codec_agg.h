/* lda_codec_agg: the aggregate request (docs/api.md#aggregate-request),
 * in its JSON form and in the binary form the orchestrator sends.
 *
 * Two kinds of fault, kept apart as the API says: a request that is not
 * well formed (not an object, a member missing or of the wrong type, an
 * unknown service name, sequences that do not decode) is refused, 400 with
 * one safe line; a well-formed request whose services are incomplete (a
 * service missing, listed twice, without a final status, answering for
 * another request) is decoded and its first such fault is recorded in
 * a->invalid, which the aggregator answers as "validation_failed". */
#ifndef LDA_CODEC_AGG_H
#define LDA_CODEC_AGG_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lda_buf.h"
#include "lda_err.h"
#include "lda_quality.h"
#include "lda_seq.h"
#include "lda_shard.h"
#include "lda_svc.h"

#define LDA_AGG_ERROR_MAX 256

typedef struct lda_agg_result {
    bool present;    /* appeared in "results" */
    char status[16]; /* "success", "failure", "timeout",
                                        "exhausted", ... (truncated) */
    bool success;    /* status == "success" */
    bool final_status;
    uint64_t retry_count;                   /* 0 when absent */
    unsigned shards;                        /* "shards", 1 when absent */
    uint64_t shard_retries[LDA_SHARDS_MAX]; /* "shard_retries"; when
                                               absent, [retry_count] */
    char error[LDA_AGG_ERROR_MAX];          /* "" when null/absent */
    bool has_error;
    lda_seqlist seqs; /* decoded "results" when success */
} lda_agg_result;

typedef struct lda_agg_req {
    char request_id[37];          /* lowercased */
    bool expected[LDA_SVC_COUNT]; /* named in expected_services */
    lda_agg_result res[LDA_SVC_COUNT];
    /* Optional run fields (docs/api.md#aggregate-request), used for run.json.
     */
    bool has_event_count, has_rejected_count, has_started;
    uint64_t event_count, rejected_count;
    int64_t started;      /* microseconds UTC */
    json_t *rejected;     /* array [{"row","reason"}], or NULL */
    char fingerprint[65]; /* "" when absent */
    bool has_quality;     /* "data_quality" present (not null) */
    lda_quality quality;  /* its figures (first/last_ts valid when n) */
    char input_name[256]; /* "" when absent or null */
    bool has_params;      /* "params" present (all nine, valid) ... */
    lda_params params;    /* ... the run's detection parameters */
    /* The first validation failure (see the top), "" when none. */
    char invalid[LDA_AGG_ERROR_MAX];
} lda_agg_req;

void lda_codec_agg_req_init(lda_agg_req *a);
void lda_codec_agg_req_free(lda_agg_req *a);
/* Decode a parsed request into a (initialised). True (check a->invalid);
 * false with e set: 400 for a malformed request, 500 out of memory. */
bool lda_codec_agg_req_from_json(const json_t *root, lda_agg_req *a,
                                 lda_err *e);

/* The binary form (Content-Type LDA_WIRE_AGG_CTYPE):
 *   body = "LDAAG1\n\0" varint(len) head seqlist*
 *   head = the request as JSON text, except that an entry of "results"
 *          whose status is "success" has no "results" member: its
 *          sequences are the next seqlist (lda_wire.h) after the head, one
 *          per such entry, in entry order; nothing may follow.
 * Same results as lda_codec_agg_req_from_json; a malformed frame or
 * seqlist is 400 ("sequences: sequence 3: invalid or truncated"). */
bool lda_codec_agg_req_from_bin(const char *body, size_t len, lda_agg_req *a,
                                lda_err *e);
/* Write that body: head (its successful entries without "results") and
 * lists[0..nlists), one per successful entry in entry order. 0 or -1
 * (OOM). */
int lda_codec_agg_req_to_bin(const json_t *head,
                             const lda_seqlist *const lists[], size_t nlists,
                             lda_buf *out);
#endif
