/* lda_report: docs/reports.md#suspicious-accounts-report and
 * docs/reports.md#detections-report. Each row is appended cell by cell with
 * lda_csv_put (quoting and formula guard), numbers with fixed formats, and
 * CRLF line ends. Pseudonyms are SHA-256 through OpenSSL's EVP interface. */
#include "lda_report.h"
#include "lda_csv.h"
#include "lda_sha256.h"
#include "lda_time.h"

#include <inttypes.h>

static const char *key_acc(const lda_ref *r, size_t *n)
{
    const lda_seqkey *k = &r->list->keys[r->seq->key];
    *n = k->acc_len;
    return r->list->text.data + k->acc_off;
}

static const char *key_prod(const lda_ref *r, size_t *n)
{
    const lda_seqkey *k = &r->list->keys[r->seq->key];
    *n = k->prod_len;
    return r->list->text.data + k->prod_off;
}

static void put_time(lda_buf *b, int64_t us)
{
    char t[LDA_TIME_MAX];
    lda_buf_add(b, t, lda_time_format(us, t));
}

int lda_report_suspicious(const lda_ref *refs, size_t n, lda_buf *out)
{
    lda_buf_adds(out, "account_id,product_id,total_buy_qty,total_sell_qty,"
                      "num_cancelled_orders,detected_timestamp,detection_type,"
                      "alternation_percentage,price_change_percentage\r\n");
    for (size_t i = 0; i < n; i++) {
        const lda_seq *q = refs[i].seq;
        size_t len;
        const char *s = key_acc(&refs[i], &len);
        lda_csv_put(out, s, len, true);
        lda_buf_addc(out, ',');
        s = key_prod(&refs[i], &len);
        lda_csv_put(out, s, len, true);
        lda_buf_printf(out, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",",
                       q->buy_qty, q->sell_qty,
                       q->dtype == LDA_LAYERING ? q->num_cancelled : 0);
        put_time(out, q->end);
        lda_buf_printf(out, ",%s,", lda_dtype_names[q->dtype]);
        if (q->has_alt)
            lda_buf_printf(out, "%.2f", q->alt_pct);
        lda_buf_addc(out, ',');
        if (q->has_pc)
            lda_buf_printf(out, "%.2f", q->pc_pct);
        lda_buf_adds(out, "\r\n");
    }
    return out->oom ? -1 : 0;
}

bool lda_pseudonym(const char *salt, size_t salt_len, const char *acc,
                   size_t acc_len, char hex[65])
{
    lda_sha256 h;
    if (!lda_sha256_init(&h))
        return false;
    lda_sha256_update(&h, salt, salt_len);
    lda_sha256_update(&h, ":", 1);
    lda_sha256_update(&h, acc, acc_len);
    return lda_sha256_hex(&h, hex);
}

static bool put_account(lda_buf *out, const lda_ref *r,
                        const lda_report_opts *o)
{
    size_t len;
    const char *s = key_acc(r, &len);
    if (o && o->pseudonymize) {
        char hex[65];
        if (!lda_pseudonym(o->salt, o->salt_len, s, len, hex))
            return false;
        lda_csv_put(out, hex, 64, true);
    } else
        lda_csv_put(out, s, len, true);
    return true;
}

int lda_report_detections(const lda_ref *refs, size_t n,
                          const lda_report_opts *o, lda_buf *out)
{
    lda_buf_adds(out, "account_id,product_id,order_timestamps,"
                      "duration_seconds,detection_type\r\n");
    for (size_t i = 0; i < n; i++) {
        const lda_seq *q = refs[i].seq;
        const int64_t *ts = q->norders ? refs[i].list->orders + q->orders_off
                                       : NULL;
        size_t len;
        if (!put_account(out, &refs[i], o))
            return -1;
        lda_buf_addc(out, ',');
        const char *s = key_prod(&refs[i], &len);
        lda_csv_put(out, s, len, true);
        lda_buf_addc(out, ',');
        for (uint32_t k = 0; q->dtype == LDA_LAYERING && k < q->norders; k++) {
            if (k)
                lda_buf_addc(out, ';');
            put_time(out, ts[k]);
        }
        lda_buf_printf(out, ",%.3f,%s\r\n", (double)(q->end - q->start) / 1e6,
                       lda_dtype_names[q->dtype]);
    }
    return out->oom ? -1 : 0;
}
