/* lda_codec_seq: the SuspiciousSequence JSON form
 * (docs/api.md#suspicious-sequence-json), text in both directions.
 *
 *   account_id, product_id          strings
 *   start_timestamp, end_timestamp  report text (lda_time_format)
 *   total_buy_qty, total_sell_qty   integers
 *   detection_type                  "LAYERING" | "WASH_TRADING"
 *   side                            "BUY"|"SELL" (LAYERING), null (WASH)
 *   num_cancelled_orders            integer (LAYERING), null (WASH)
 *   order_timestamps                array of report text (LAYERING), null
 *   alternation_percentage          number (WASH), null (LAYERING)
 *   price_change_percentage         number or null (WASH), null (LAYERING)
 *   records, observed               only on a sequence with evidence
 *                                   (lda_seq has_ev; docs/api.md): the
 *                                   ascending record numbers, and
 *                                   {"cancellations",
 *                                   "last_cancellation_timestamp"}
 *                                   (LAYERING) or {"buy_trades",
 *                                   "sell_trades"} (WASH)
 * Percentages are JSON reals written with %.17g, so decoding the text gives
 * back the exact double. Counts above INT64_MAX cannot be encoded. */
#ifndef LDA_CODEC_SEQ_H
#define LDA_CODEC_SEQ_H
#include <jansson.h>
#include <stdbool.h>
#include "lda_buf.h"
#include "lda_err.h"
#include "lda_seq.h"

/* The JSON text of q (a sequence of l), keys in the order above, appended
 * to out. 0; -1 on OOM or when a count is above INT64_MAX (a JSON reader
 * with int64 integers, jansson's, could not read it back). */
int lda_codec_seq_text(const lda_seqlist *l, const lda_seq *q, lda_buf *out);
/* The JSON array of every sequence of l, in list order. 0 or -1 as above. */
int lda_codec_seqlist_text(const lda_seqlist *l, lda_buf *out);
/* Strict decode of such an array, appended to l in array order. Every key
 * above must be present with the right type (nulls exactly where they
 * belong; unknown keys are ignored). False with e set: 400 and one line
 * naming the field under prefix, e.g. "results[3].end_timestamp: invalid
 * timestamp", or 500 out of memory; l may then hold part of the sequences.
 * Timestamps accept any input form (docs/input.md#timestamp); counts must
 * be JSON integers >= 0; alternation_percentage a number in [0, 100],
 * price_change_percentage a number >= 0 or null; end >= start. */
bool lda_codec_seqlist_from_json(const json_t *arr, const char *prefix,
                                 lda_seqlist *l, lda_err *e);
#endif
