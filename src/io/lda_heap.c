/* lda_heap: the malloc policy and the give-back after a large request (see
 * the header). glibc only: mallopt, mallinfo2 and malloc_trim. */
#include "lda_heap.h"

#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <unistd.h>

/* One arena for every thread: the lda_pool helpers are new threads each
 * run, and a second arena can hold no block over 64 MiB (glibc's heap
 * size), so their big arrays (a parallel read's half of the events) would
 * be fresh mmaps, unmapped again when freed. */
void lda_heap_keep(void)
{
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_TOP_PAD, 64 << 20);
    mallopt(M_ARENA_MAX, 1);
}

/* A 1M-event run leaves the orchestrator at ~150 MB, which is kept whole
 * (trimming it made every such run fault its pages in afresh); KEEP_MAX
 * stays below the 400 MB that any program may keep. The test is the
 * resident size, not the heap's size: memory given back stays in the
 * heap's address range, and trimming after every request would give back
 * the holes each time. (glibc itself gives back the top of the heap when a
 * free leaves more than M_TRIM_THRESHOLD, 1 GiB, free there: the event
 * arrays reserved for a body of a few hundred MB do.) */
#define KEEP_MAX ((uint64_t)360 << 20)
#define TOP_KEEP ((size_t)320 << 20)

void lda_heap_give_back(void)
{
    if (lda_heap_rss(getpid()) <= KEEP_MAX)
        return;
    struct mallinfo2 mi = mallinfo2();
    size_t used = mi.uordblks + mi.hblkhd;
    malloc_trim(used < TOP_KEEP ? TOP_KEEP - used : 0);
}

uint64_t lda_heap_rss(pid_t pid)
{
    char path[64], text[128];
    snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    unsigned long long size, resident;
    if (n <= 0)
        return 0;
    text[n] = '\0';
    if (sscanf(text, "%llu %llu", &size, &resident) != 2)
        return 0;
    long page = sysconf(_SC_PAGESIZE);
    return page > 0 ? resident * (uint64_t)page : 0;
}
