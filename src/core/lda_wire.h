/* lda_wire: the binary internal form of an event set, the body the
 * orchestrator sends to a detector (Content-Type application/x-lda-events,
 * with X-Request-ID and X-Event-Fingerprint headers; README, "The HTTP
 * API").
 *
 * The set is written in group order, each group's ids once, every number
 * as a varint, so a million events take ~15 MB instead of ~90 MB of CSV
 * and decoding is a few loads per event with no text to scan:
 *
 *   body    = magic nevents ngroups group{ngroups}
 *   magic   = the 8 bytes "LDAEV2\n\0"
 *   group   = varint(len) account  varint(len) product  varint(count >= 1)
 *             event{count}
 *   event   = tag time record varint(quantity) varint(len) price
 *   tag     = one byte: event type (0 ORDER_PLACED, 1 ORDER_CANCELLED,
 *             2 TRADE_EXECUTED) | side << 2 (0 BUY, 1 SELL); others 0
 *   time    = first event of a group: zigzag varint of the microseconds
 *             since 1970 UTC; then varint of the microseconds since the
 *             previous event of the group (>= 0: time order is built in)
 *   record  = the event's input record number (2 .. 2^32 - 1; header = 1):
 *             first event of a group: varint of it; then zigzag varint of
 *             the step from the previous event's
 *   varint  = unsigned LEB128, at most 10 bytes, no overflow
 * nevents counts every event of the body. Ids and price are the texts the
 * CSV reader kept (trimmed, as given). Nothing may follow the last group.
 *
 * Decoding validates every field with the same validators as the CSV
 * reader (lda_set_group, lda_set_add_values), so a body is only as
 * trusted as a CSV upload. Events are appended in body order; a body the
 * encoder wrote is already in group order, so lda_set_finish() leaves it in
 * place. */
#ifndef LDA_WIRE_H
#define LDA_WIRE_H
#include <stddef.h>
#include <stdint.h>
#include "lda_buf.h"
#include "lda_err.h"
#include "lda_event.h"
#include "lda_seq.h"
#include "lda_shard.h"

#define LDA_WIRE_CTYPE "application/x-lda-events"

/* Append the events of the FINISHED set s that sel selects (type mask,
 * and the groups of one shard when sel->group_shard; lda_shard.h), in group
 * order; groups with no such event are left out. *nevents (when not NULL)
 * is set to the number of events written. 0, or -1 on OOM. */
int lda_wire_encode_sel(const lda_set *s, const lda_select *sel, lda_buf *out,
                        size_t *nevents);
/* The same for every group: the events whose type bit (1u << type) is in
 * mask. */
int lda_wire_encode(const lda_set *s, unsigned mask, lda_buf *out);

/* Decode p[0..n) into set (initialised, empty; not finished). max_events 0
 * means no limit. False with e set: 400 with one safe line, e.g. "event 12:
 * price: must be a finite decimal number > 0" or "byte 4096: truncated
 * header"; 413 "more than N events"; 500 out of memory. */
bool lda_wire_decode(const char *p, size_t n, uint64_t max_events,
                     lda_set *set, lda_err *e);

/* ---- sequences: the detectors' results inside the binary aggregate
 * request (application/x-lda-aggregate, see lda_codec.h) -------------
 *
 *   seqlist = varint(count) seq{count}
 *   seq     = key type varint-zigzag(start) varint(end - start)
 *             varint(total_buy_qty) varint(total_sell_qty) fields
 *   key     = varint(len) account varint(len) product, or the single
 *             byte 0: the same ids as the previous sequence
 *   type    = one byte: 0 LAYERING, 1 WASH_TRADING
 *   fields  = LAYERING: byte side (0 BUY, 1 SELL) varint(num_cancelled)
 *             varint(n) n x zigzag(order time - previous; the first from
 *             start)
 *             WASH_TRADING: alternation (8 bytes, IEEE 754 binary64,
 *             little-endian) byte (1 = a price change follows, 0 = null)
 *             [price change, 8 bytes]
 *             then evidence: byte 0 (none), or byte 1 varint(n) and n
 *             record numbers, ascending, each as varint(step from the
 *             previous; the first from 0), then LAYERING varint(step-3
 *             cancellations) zigzag(latest of them - start), WASH_TRADING
 *             varint(BUY trades) varint(SELL trades)
 * Times are microseconds UTC; counts at most INT64_MAX. Decoding checks
 * what lda_codec_seqlist_from_json checks: valid ids (and UTF-8), times
 * in range, end >= start, percentages finite, alternation in [0, 100],
 * price change >= 0. */

#define LDA_WIRE_AGG_CTYPE "application/x-lda-aggregate"

/* Append l (in list order). 0, or -1 on OOM. */
int lda_wire_seqs_encode(const lda_seqlist *l, lda_buf *out);
/* Decode one seqlist at p[*pos..n), appended to l; *pos moves past it on
 * success. False with e set: 400 with a one-line reason ("sequence 3:
 * invalid or truncated"), 500 out of memory. */
bool lda_wire_seqs_decode(const char *p, size_t n, size_t *pos, lda_seqlist *l,
                          lda_err *e);

/* The varint of the format, for framing (lda_codec's aggregate body). */
void lda_wire_add_varint(lda_buf *b, uint64_t v);
bool lda_wire_get_varint(const char *p, size_t n, size_t *pos, uint64_t *v);

#endif
