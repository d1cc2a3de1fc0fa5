/* failalloc.c — an LD_PRELOAD shim for tests/store/run.sh: the FAILALLOC_AT-th call
 * to malloc, calloc or realloc (counted from the first, in the whole process) returns
 * NULL, once; every other call goes to glibc. When the process ends before that call,
 * it creates the file FAILALLOC_DONE, so the sweep knows it has passed every
 * allocation; with FAILALLOC_AT=0 nothing fails and the count of calls is written to
 * FAILALLOC_DONE. Built by the test itself (glibc only, not under a sanitizer). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static long at = -1, count;

static int fails(void) {
  if (at < 0) {
    const char *s = getenv("FAILALLOC_AT");
    at = s ? atol(s) : 0;
  }
  return ++count == at;
}

void *malloc(size_t n) {
  if (fails()) {
    errno = ENOMEM;
    return NULL;
  }
  return __libc_malloc(n);
}

void *calloc(size_t n, size_t size) {
  if (fails()) {
    errno = ENOMEM;
    return NULL;
  }
  return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n) {
  if (n && fails()) {
    errno = ENOMEM;
    return NULL;
  }
  return __libc_realloc(p, n);
}

__attribute__((destructor)) static void done(void) {
  const char *f = getenv("FAILALLOC_DONE");
  if (f && at == 0) {
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%ld\n", count);
    int fd = open(f, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      if (write(fd, buf, (size_t)n) < 0) {
      }
      close(fd);
    }
  } else if (f && at > 0 && count < at) {
    int fd = open(f, O_WRONLY | O_CREAT, 0600);
    if (fd >= 0) close(fd);
  }
}
