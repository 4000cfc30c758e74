/* lda_failpoint: the test-only failure switch (see lda_failpoint.h).
 *
 * At start-up the entries of LDA_FAILPOINTS for this program are kept in a
 * small table. Firing an action with a count opens its counter file
 * ($LDA_VAR_DIR/failpoints/<prog>.<action>), takes an exclusive flock,
 * reads how often it fired, and fires (writing the new count) only while
 * that is below the count, so "fail twice" means twice across all the
 * program's processes and restarts. */
#include "lda_failpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "lda_file.h"
#include "lda_log.h"

#define FP_MAX 16
#define FP_NAME 32

typedef struct fp_entry {
    char action[FP_NAME];
    unsigned long count; /* 0 = always */
    char fp[65];         /* fingerprint prefix, "" = every request */
} fp_entry;

static fp_entry fp_table[FP_MAX];
static size_t fp_n;
static char fp_prog[FP_NAME];
static char fp_dir[4096];

/* One option after the action: a count, or fp=HEX. */
static bool parse_option(char *o, unsigned long *count, char fp[65])
{
    if (strncmp(o, "fp=", 3) == 0) {
        size_t n = strlen(o + 3);
        if (n == 0 || n > 64 || strspn(o + 3, "0123456789abcdef") != n)
            return false;
        memcpy(fp, o + 3, n + 1);
        return true;
    }
    char *end;
    errno = 0;
    *count = strtoul(o, &end, 10);
    return !errno && end != o && !*end && *o >= '0' && *o <= '9';
}

static bool parse_entry(char *e)
{
    char *prog = e, *action = strchr(e, ':');
    if (!action)
        return false;
    *action++ = '\0';
    char *opt = strchr(action, ':');
    unsigned long c = 1;
    char fp[65] = "";
    if (opt)
        *opt++ = '\0';
    for (int k = 0; opt && k < 2; k++) {
        char *next = strchr(opt, ':');
        if (next)
            *next++ = '\0';
        if (!parse_option(opt, &c, fp))
            return false;
        opt = next;
    }
    if (opt)
        return false;
    if (!*prog || !*action || strlen(action) >= FP_NAME ||
        strspn(action, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
            strlen(action))
        return false;
    if (strcmp(prog, fp_prog) != 0)
        return true;
    if (fp_n == FP_MAX)
        return false;
    memcpy(fp_table[fp_n].action, action, strlen(action) + 1);
    memcpy(fp_table[fp_n].fp, fp, sizeof fp);
    fp_table[fp_n++].count = c;
    return true;
}

int lda_failpoint_init(const char *prog, const char *var_dir)
{
    fp_n = 0;
    const char *spec = getenv("LDA_FAILPOINTS");
    if (!spec || !*spec)
        return 0;
    if (strlen(prog) >= FP_NAME ||
        snprintf(fp_dir, sizeof fp_dir, "%s/failpoints", var_dir) >=
            (int)sizeof fp_dir)
        return -1;
    memcpy(fp_prog, prog, strlen(prog) + 1);
    char *copy = strdup(spec);
    if (!copy)
        return -1;
    bool ok = true;
    for (char *save = NULL, *e = strtok_r(copy, ",", &save); e && ok;
         e = strtok_r(NULL, ",", &save))
        ok = parse_entry(e);
    free(copy);
    if (ok && fp_n && lda_file_mkdirs(fp_dir) < 0)
        ok = false;
    return ok ? 0 : -1;
}

/* Consume one firing of a counted failpoint; true when it fires. */
static bool take_count(const fp_entry *f)
{
    char path[4200];
    if (snprintf(path, sizeof path, "%s/%s.%s%s%s", fp_dir, fp_prog, f->action,
                 f->fp[0] ? "." : "", f->fp) >= (int)sizeof path)
        return false;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return false;
    bool fire = false;
    if (flock(fd, LOCK_EX) == 0) {
        char buf[32] = {0};
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        unsigned long fired = n > 0 ? strtoul(buf, NULL, 10) : 0;
        if (fired < f->count) {
            int len = snprintf(buf, sizeof buf, "%lu\n", fired + 1);
            fire = pwrite(fd, buf, (size_t)len, 0) == len;
        }
    }
    close(fd);
    return fire;
}

bool lda_failpoint(const char *action, const char *request_id)
{
    return lda_failpoint_for(action, request_id, NULL);
}

bool lda_failpoint_for(const char *action, const char *request_id,
                       const char *fingerprint)
{
    for (size_t i = 0; i < fp_n; i++) {
        const fp_entry *f = &fp_table[i];
        if (strcmp(f->action, action) != 0 ||
            (f->fp[0] && (!fingerprint ||
                          strncmp(fingerprint, f->fp, strlen(f->fp)) != 0)))
            continue;
        if (f->count != 0 && !take_count(f))
            return false;
        lda_log(LDA_WARN, request_id, "failpoint fired",
                json_pack("{s:s}", "action", action));
        return true;
    }
    return false;
}
