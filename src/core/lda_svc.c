/* lda_svc: the list of programs (see lda_svc.h). */
#include "lda_svc.h"

#include <string.h>

#include "lda_fingerprint.h"

/* clang-format off */
const lda_svc lda_svcs[LDA_SVC_ALL] = {
    /* name         program            route                 receives  detect */
    {"layering",     "detect-layering", "/api/detect/layering", LDA_FP_ALL,       lda_detect_layering},
    {"wash_trading", "detect-wash",     "/api/detect/wash",     1u << LDA_TRADE,  lda_detect_wash},
    {"aggregate",    "aggregate",       "/api/aggregate",       0,                NULL},
    {"orchestrate",  "orchestrate",     "/api/orchestrate",     0,                NULL},
};
/* clang-format on */

int lda_svc_detector(const char *name, size_t n)
{
    for (int i = 0; i < LDA_SVC_COUNT; i++)
        if (strlen(lda_svcs[i].name) == n &&
            memcmp(lda_svcs[i].name, name, n) == 0)
            return i;
    return -1;
}

const lda_svc *lda_svc_program(const char *program)
{
    for (int i = 0; i < LDA_SVC_ALL; i++)
        if (strcmp(lda_svcs[i].program, program) == 0)
            return &lda_svcs[i];
    return NULL;
}
