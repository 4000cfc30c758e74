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

/* Atomically replace path with data[0..len). 0, or -1 with errno set. */
int lda_file_write_atomic(const char *path, const void *data, size_t len);

/* mkdir -p with mode 0750. 0, or -1 with errno set. */
int lda_file_mkdirs(const char *path);

#endif
