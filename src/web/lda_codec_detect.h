/* lda_codec_detect: the JSON form of a detector request
 * (docs/api.md#detector-request):
 * {"request_id","event_fingerprint","events":[...]}. */
#ifndef LDA_CODEC_DETECT_H
#define LDA_CODEC_DETECT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lda_err.h"
#include "lda_event.h"

typedef struct lda_detect_req {
    char request_id[37]; /* lowercased */
    char fingerprint[65];
} lda_detect_req;

/* Parse body[0..len). Each event: timestamp, account_id, product_id, side,
 * event_type (strings), price (a string holding the decimal text, kept as
 * given; a JSON number is also accepted: an integer as its decimal text, a
 * real as the shortest %g text that reads back as the same double, e.g.
 * 12.50 -> "12.5" -- so a client that fingerprints "12.50" must send the
 * string), quantity (a JSON integer, or a string of digits). Other members
 * are ignored; a repeated key is invalid JSON. Every event goes through
 * lda_set_add and is appended to set (not finished). The body is walked
 * event by event (jansson decodes one event at a time), so memory is the
 * body plus the decoded events, never a tree of the whole document; errors
 * keep their precedence (not JSON, not an object, request_id,
 * event_fingerprint, events, count, first bad event). False with e set:
 * 400 with one safe line ("events[12]: price: ..."), 413 when there are
 * more than max_events events (0 = no limit; set then holds at most
 * max_events of them), 500 out of memory. On an error set holds part of
 * the events: the caller frees it. */
bool lda_codec_detect_req_from_json(const char *body, size_t len,
                                    uint64_t max_events, lda_detect_req *out,
                                    lda_set *set, lda_err *e);
#endif
