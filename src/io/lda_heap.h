/* lda_heap: how a process keeps its heap, shared by build/lda and the
 * programs.
 *
 * Freshly touched memory is the most expensive thing a load does on a
 * virtual machine (a page fault and a zeroed page for every 4 KiB, far
 * slower than reusing a page the process already has). So big blocks come
 * from the heap rather than from their own mmaps, every thread allocates
 * from one arena, and freed memory stays in the heap: a block freed by one
 * step (a parallel read's per-chunk event arrays) is reused by the next
 * (reports, fingerprint pieces), and a program's next request reuses the
 * last one's. A program gives memory back only after a request that left it
 * unusually large (lda_heap_give_back). */
#ifndef LDA_HEAP_H
#define LDA_HEAP_H
#include <stdint.h>
#include <sys/types.h>

/* Set the process's malloc policy (mallopt): no mmap for big blocks, one
 * arena, no automatic trimming below 1 GiB free at the top. Call once,
 * first thing in main, before any thread starts. */
void lda_heap_keep(void);

/* After a request: when this process is above 360 MiB resident, give free
 * heap back to the system until at most 320 MiB of heap (in use and free)
 * is left, so that no request leaves a program above 400 MB
 * (docs/api.md#bounded-bodies) and a next large request faults in only
 * what it needs beyond that. Otherwise nothing. */
void lda_heap_give_back(void);

/* Resident bytes of process pid (/proc/<pid>/statm; 0 when it cannot be
 * read). */
uint64_t lda_heap_rss(pid_t pid);
#endif
