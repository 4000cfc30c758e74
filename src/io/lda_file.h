/* lda_file: the few file operations the programs share: read a whole file,
 * write one atomically (temporary name in the same directory, fsync,
 * rename, fsync the directory), make a directory path. A failed write
 * leaves neither the target nor the temporary file behind. */
#ifndef LDA_FILE_H
#define LDA_FILE_H
#include <stdbool.h>
#include <stddef.h>

/* Read path into a malloc'd NUL-terminated buffer. Returns 0, or -1 with
 * errno set. A file larger than max (0 = no limit) fails with EFBIG. */
int lda_file_read(const char *path, size_t max, char **data, size_t *len);
/* The same from an open descriptor (left open), from its current offset. */
int lda_file_read_fd(int fd, size_t max, char **data, size_t *len);
/* The same from any descriptor (a pipe, a terminal), read to its end. */
int lda_file_read_stream(int fd, size_t max, char **data, size_t *len);

/* A private, writable view of a whole file (see lda_file_map). */
typedef struct lda_filemap {
    char *data; /* len bytes; not NUL-terminated when mapped */
    size_t len;
    size_t maplen; /* > 0: data is an mmap of maplen bytes */
} lda_filemap;

/* Map path for reading without copying it: a private mapping (writes to
 * data stay in this process and never reach the file), its pages read in
 * up front. Falls back to lda_file_read() for files that cannot be mapped
 * (empty, not mappable). Same errors as lda_file_read(); a file that is
 * truncated while mapped may fault (SIGBUS), so use it for inputs nobody
 * rewrites in place. Release with lda_file_unmap(). */
int lda_file_map(const char *path, size_t max, lda_filemap *m);
void lda_file_unmap(lda_filemap *m);

/* Atomically replace path with data[0..len). 0, or -1 with errno set. */
int lda_file_write_atomic(const char *path, const void *data, size_t len);

/* The same with a choice of durability: LDA_WRITE_FSYNC syncs the data
 * before the rename, LDA_WRITE_DIRSYNC the directory after it (one
 * directory sync after the last of several renames covers them all).
 * Without either the replace is still atomic for readers, but may be lost
 * in a crash: right for a cache. */
#define LDA_WRITE_FSYNC 1u
#define LDA_WRITE_DIRSYNC 2u
int lda_file_write(const char *path, const void *data, size_t len,
                   unsigned flags);

/* Several files of one directory written together, as lda_file_write
 * with both flags would write each, but with their syncs shared: every
 * temporary is written and its writeback started, then all are fsync'd
 * (the first journal commit usually carries them all), renamed in array
 * order, and the directory fsync'd once. 0; or -1 with errno set and
 * *failed the index of the part that failed. No temporary is left behind;
 * parts renamed before a failure stay (the caller decides). */
#define LDA_FILE_PARTS_MAX 4
typedef struct lda_file_part {
    const char *path;
    const void *data;
    size_t len;
} lda_file_part;
int lda_file_write_parts(const lda_file_part *parts, size_t n, size_t *failed);

/* mkdir -p with mode 0750. 0, or -1 with errno set. */
int lda_file_mkdirs(const char *path);

#endif
