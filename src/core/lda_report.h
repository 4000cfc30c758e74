/* lda_report: the two report files of
 * docs/reports.md#suspicious-accounts-report and
 * docs/reports.md#detections-report, written to memory byte for byte (CRLF,
 * quoting, formula guard, timestamps, %.2f / %.3f). */
#ifndef LDA_REPORT_H
#define LDA_REPORT_H
#include <stdbool.h>
#include <stddef.h>
#include "lda_buf.h"
#include "lda_merge.h"

typedef struct lda_report_opts {
    bool pseudonymize; /* PSEUDONYMIZE_LOGS=1: detections.csv only */
    const char *salt;  /* PSEUDONYMIZATION_SALT */
    size_t salt_len;
} lda_report_opts;

/* 0 on success, -1 on OOM or hashing failure. */
int lda_report_suspicious(const lda_ref *refs, size_t n, lda_buf *out);
int lda_report_detections(const lda_ref *refs, size_t n,
                          const lda_report_opts *o, lda_buf *out);

/* Lowercase hex SHA-256 of salt ":" account. hex gets 65 bytes. */
bool lda_pseudonym(const char *salt, size_t salt_len, const char *acc,
                   size_t acc_len, char hex[65]);

#endif
