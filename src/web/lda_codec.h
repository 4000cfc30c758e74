/* lda_codec: the JSON forms the programs exchange (SPEC §5.2, §5.3).
 *
 * SuspiciousSequence JSON (SPEC §5.2, nulls as in §3):
 *   account_id, product_id          strings
 *   start_timestamp, end_timestamp  §4 text (lda_time_format)
 *   total_buy_qty, total_sell_qty   integers
 *   detection_type                  "LAYERING" | "WASH_TRADING"
 *   side                            "BUY"|"SELL" (LAYERING), null (WASH)
 *   num_cancelled_orders            integer (LAYERING), null (WASH)
 *   order_timestamps                array of §4 text (LAYERING), null (WASH)
 *   alternation_percentage          number (WASH), null (LAYERING)
 *   price_change_percentage         number or null (WASH), null (LAYERING)
 * Percentages are JSON reals written with %.17g, so decoding the text gives
 * back the exact double. Counts above INT64_MAX cannot be encoded.
 * Both decoders copy request ids lowercased (UUIDs are case-insensitive;
 * run directories and cache keys use one spelling). */
#ifndef LDA_CODEC_H
#define LDA_CODEC_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lda_buf.h"
#include "lda_csv.h"
#include "lda_event.h"
#include "lda_seq.h"

/* ---- SuspiciousSequence ---------------------------------------------- */

/* The JSON text of q (a sequence of l), keys in the order above, appended
 * to out. 0; -1 on OOM or when a count is above INT64_MAX (a JSON reader
 * with int64 integers, jansson's, could not read it back). */
int lda_codec_seq_text(const lda_seqlist *l, const lda_seq *q, lda_buf *out);
/* The JSON array of every sequence of l, in list order. 0 or -1 as above. */
int lda_codec_seqlist_text(const lda_seqlist *l, lda_buf *out);
/* Strict decode of such an array, appended to l in array order. Every key
 * above must be present with the right type (nulls exactly where §3 puts
 * them; unknown keys are ignored). 0, or -1 with a one-line message safe to
 * show in err, e.g. "results[3].end_timestamp: invalid timestamp"; on -1, l
 * may hold part of the sequences (out of memory is also -1, "out of
 * memory"). Timestamps accept any SPEC §2 form; counts must be JSON
 * integers >= 0; alternation_percentage a number in [0, 100],
 * price_change_percentage a number >= 0 or null; end >= start. */
int lda_codec_seqlist_from_json(const json_t *arr, lda_seqlist *l, char *err,
                                size_t errlen);

/* ---- SPEC §5.2 detector request (JSON form) --------------------------- */

typedef struct lda_detect_req {
    char request_id[37];
    char fingerprint[65];
} lda_detect_req;

/* Parse body[0..len): {"request_id","event_fingerprint","events":[...]}.
 * Each event: timestamp, account_id, product_id, side, event_type (strings),
 * price (a string holding the decimal text, kept as given; a JSON number is
 * also accepted: an integer as its decimal text, a real as the shortest %g
 * text that reads back as the same double, e.g. 12.50 -> "12.5" -- so a
 * client that fingerprints "12.50" must send the string), quantity (a JSON
 * integer, or a string of digits). Other members are ignored; a repeated
 * key is invalid JSON. Every event goes through lda_set_add and is
 * appended to set (not finished). The body is walked event by event
 * (jansson decodes one event at a time), so memory is the body plus the
 * decoded events, never a tree of the whole document; errors keep their
 * precedence (not JSON, not an object, request_id, event_fingerprint,
 * events, count, first bad event). Returns 0; -1 with a safe one-line
 * message in err (400), e.g. "events[12]: price: ..."; -2 when there are
 * more than max_events events (413; 0 = no limit; set then holds at most
 * max_events of them); -3 on OOM (500). On an error set holds part of the
 * events: the caller frees it. */
int lda_codec_detect_req_from_json(const char *body, size_t len,
                                   uint64_t max_events, lda_detect_req *out,
                                   lda_set *set, char *err, size_t errlen);

/* ---- binary detector answer ------------------------------------------
 * What a detector sends when the request's Accept names LDA_WIRE_RES_CTYPE
 * (the orchestrator does; README, "The HTTP API"):
 *   body     = "LDARS1\n\0" varint(len) envelope seqlist?
 *   envelope = the §5.2 answer as JSON text without "results"
 *   seqlist  = the results (lda_wire.h), present iff status is "success"
 * A detector's cache entry is the same frame without "cached". */
#define LDA_WIRE_RES_CTYPE "application/x-lda-results"
/* Append the frame head: magic, varint(env_len), envelope. */
void lda_codec_res_frame(lda_buf *out, const char *env, size_t env_len);
/* Split a binary answer into its envelope and the offset of what follows.
 * false when body is not such a frame. */
bool lda_codec_res_split(const char *body, size_t len, const char **env,
                         size_t *env_len, size_t *rest);

/* ---- SPEC §5.3 aggregate request -------------------------------------- */

enum { LDA_SVC_LAYERING = 0, LDA_SVC_WASH = 1, LDA_SVC_COUNT = 2 };
extern const char *const lda_svc_names[LDA_SVC_COUNT]; /* "layering",
                                                          "wash_trading" */

#define LDA_AGG_ERROR_MAX 256

typedef struct lda_agg_result {
    bool present;                    /* appeared in "results" */
    char status[16];                 /* "success", "failure", "timeout",
                                        "exhausted", ... (truncated) */
    bool success;                    /* status == "success" */
    bool final_status;
    uint64_t retry_count;            /* 0 when absent */
    char error[LDA_AGG_ERROR_MAX];   /* "" when null/absent */
    bool has_error;
    lda_seqlist seqs;                /* decoded "results" when success */
} lda_agg_result;

typedef struct lda_agg_req {
    char request_id[37];
    bool expected[LDA_SVC_COUNT];    /* named in expected_services */
    lda_agg_result res[LDA_SVC_COUNT];
    /* Optional run fields (README, aggregator), used for run.json. */
    bool has_event_count, has_rejected_count, has_started;
    uint64_t event_count, rejected_count;
    int64_t started;                 /* microseconds UTC */
    json_t *rejected;                /* array [{"row","reason"}], or NULL */
    char fingerprint[65];            /* "" when absent */
    /* The first §5.3 validation failure (duplicate or unknown service,
       final_status false, results not decodable...), "" when none. The
       aggregator answers it as validation_failed; structural errors
       (not an object, bad request_id) make the decoder return -1. */
    char invalid[LDA_AGG_ERROR_MAX];
} lda_agg_req;

void lda_agg_req_init(lda_agg_req *a);
void lda_agg_req_free(lda_agg_req *a);
/* Decode a parsed §5.3 request into a (initialised). 0 (check a->invalid
 * for a §5.3 validation failure); -1 with a safe message in err when the
 * request is malformed (400: not an object, request_id missing or not a
 * UUID, expected_services or results not arrays); -3 on OOM. */
int lda_codec_agg_req_from_json(const json_t *root, lda_agg_req *a,
                                char *err, size_t errlen);

/* The binary form of the same request (Content-Type LDA_WIRE_AGG_CTYPE,
 * what the orchestrator sends; README, "The HTTP API"):
 *   body = "LDAAG1\n\0" varint(len) head seqlist*
 *   head = the §5.3 request as JSON text, except that an entry of
 *          "results" whose status is "success" has no "results" member:
 *          its sequences are the next seqlist (lda_wire.h) after the head,
 *          one per such entry, in entry order; nothing may follow.
 * Same returns and checks as lda_codec_agg_req_from_json; a malformed
 * frame or seqlist is -1 ("sequences: sequence 3: invalid or truncated"). */
int lda_codec_agg_req_from_bin(const char *body, size_t len, lda_agg_req *a,
                               char *err, size_t errlen);
/* Write that body: head (its successful entries without "results") and
 * lists[0..nlists), one per successful entry in entry order. 0 or -1
 * (OOM). */
int lda_codec_agg_req_to_bin(const json_t *head,
                             const lda_seqlist *const lists[],
                             size_t nlists, lda_buf *out);

#endif
