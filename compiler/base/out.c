/* out.c — output files written whole or not at all (out.h). */
#include "out.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* A symbolic link is followed at most this many times (Linux's own limit). */
enum { MAX_LINK_HOPS = 40, MAX_LINK_TEXT = 4096 };

/* A name that stands for a file descriptor or a kernel object: never renamed over. */
static bool names_descriptor(const char *path) {
  return strcmp(path, "/dev/stdin") == 0 || strcmp(path, "/dev/stdout") == 0 ||
         strcmp(path, "/dev/stderr") == 0 || strncmp(path, "/dev/fd/", 8) == 0 ||
         strncmp(path, "/proc/", 6) == 0;
}

/* path with the symbolic links of its last component followed to the end: the
 * file a rename must replace for the link to keep pointing at the new content.
 * A relative link is read from the link's folder. NULL (errno ELOOP or
 * ENAMETOOLONG) when the chain does not end. */
static char *follow_links(const char *path) {
  char *cur = xstrdup(path);
  for (int hops = 0; hops <= MAX_LINK_HOPS; hops++) {
    struct stat st;
    if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode) || names_descriptor(cur)) return cur;
    char link[MAX_LINK_TEXT];
    ssize_t n = readlink(cur, link, sizeof link);
    if (n < 0) return cur; /* opening it will say why */
    if ((size_t)n >= sizeof link) {
      free(cur);
      errno = ENAMETOOLONG;
      return NULL;
    }
    link[n] = '\0';
    const char *slash = strrchr(cur, '/');
    StrBuf next;
    sb_init(&next);
    if (link[0] != '/' && slash) sb_putn(&next, cur, (size_t)(slash - cur) + 1);
    sb_puts(&next, link);
    free(cur);
    cur = sb_take(&next);
  }
  free(cur);
  errno = ELOOP;
  return NULL;
}

/* The temporary file being written, removed when the program ends before out_commit:
 * exit (out_of_memory exits with status 2) or a signal that ends it. A fixed buffer, as
 * a signal handler may read nothing else; one output file at a time, as bpc writes. */
static char pending[4096];
static volatile sig_atomic_t pending_armed;

static void remove_pending(void) {
  if (!pending_armed) return;
  pending_armed = 0;
  unlink(pending);
}

static void on_signal(int sig) {
  remove_pending();
  signal(sig, SIG_DFL);
  raise(sig);
}

/* Installs the clean-up once, leaving alone a signal the program handles itself. */
static void arm_pending(const char *tmp) {
  static bool installed;
  if (!installed) {
    installed = true;
    atexit(remove_pending);
    static const int signals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
    for (size_t i = 0; i < sizeof signals / sizeof *signals; i++) {
      struct sigaction old, sa;
      memset(&sa, 0, sizeof sa);
      sa.sa_handler = on_signal;
      sigemptyset(&sa.sa_mask);
      if (sigaction(signals[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL) sigaction(signals[i], &sa, NULL);
    }
  }
  size_t n = strlen(tmp);
  if (n >= sizeof pending) return; /* open would have failed first */
  pending_armed = 0;
  memcpy(pending, tmp, n + 1);
  pending_armed = 1;
}

static bool fail(OutFile *o) {
  int saved = errno;
  free(o->target);
  free(o->tmp);
  *o = (OutFile){0};
  errno = saved;
  return false;
}

/* TARGET.tmp.PID, created new (never through a link someone left there), with
 * the mode of the file it replaces. */
static bool open_temporary(OutFile *o, const struct stat *old) {
  StrBuf b;
  sb_init(&b);
  sb_printf(&b, "%s.tmp.%ld", o->target, (long)getpid());
  o->tmp = sb_take(&b);
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC;
  int fd = open(o->tmp, flags, 0666);
  if (fd < 0 && errno == EEXIST && unlink(o->tmp) == 0) fd = open(o->tmp, flags, 0666); /* a crashed run's */
  if (fd < 0) return false;
  arm_pending(o->tmp);
  if ((old && fchmod(fd, old->st_mode & 07777) != 0) || !(o->f = fdopen(fd, "wb"))) {
    int saved = errno;
    close(fd);
    unlink(o->tmp);
    pending_armed = 0;
    errno = saved;
    return false;
  }
  return true;
}

/* out_open; with temporary_only, a file written in place is not opened (false, errno 0). */
static bool open_output(OutFile *o, const char *path, bool temporary_only) {
  *o = (OutFile){0};
  if (!*path) {
    errno = ENOENT;
    return false;
  }
  if (!(o->target = names_descriptor(path) ? xstrdup(path) : follow_links(path))) return fail(o);
  struct stat st;
  bool exists = stat(o->target, &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) {
    errno = EISDIR;
    return fail(o);
  }
  if (names_descriptor(o->target) || (exists && !S_ISREG(st.st_mode))) {
    /* in place: a device, a FIFO (this waits for its reader), a descriptor */
    if (temporary_only) {
      errno = 0;
      return fail(o);
    }
    if (!(o->f = fopen(o->target, "wb"))) return fail(o);
    return true;
  }
  return open_temporary(o, exists ? &st : NULL) ? true : fail(o);
}

bool out_open(OutFile *o, const char *path) { return open_output(o, path, false); }

bool out_open_temporary(OutFile *o, const char *path) { return open_output(o, path, true); }

bool out_commit(OutFile *o) {
  errno = 0;
  bool ok = fflush(o->f) == 0 && !ferror(o->f);
  int err = ok ? 0 : errno ? errno : EIO;
  if (fclose(o->f) != 0 && ok) {
    ok = false;
    err = errno;
  }
  o->f = NULL;
  if (ok && o->tmp && rename(o->tmp, o->target) != 0) {
    ok = false;
    err = errno;
  }
  if (!ok && o->tmp) unlink(o->tmp);
  if (o->tmp) pending_armed = 0;
  free(o->target);
  free(o->tmp);
  *o = (OutFile){0};
  errno = err;
  return ok;
}

void out_abort(OutFile *o) {
  int saved = errno;
  if (o->f) fclose(o->f);
  if (o->tmp) {
    unlink(o->tmp);
    pending_armed = 0;
  }
  free(o->target);
  free(o->tmp);
  *o = (OutFile){0};
  errno = saved;
}

bool out_write_file(const char *path, const void *bytes, size_t len) {
  OutFile o;
  if (!out_open(&o, path)) return false;
  if (len && fwrite(bytes, 1, len, o.f) != len) {
    if (!errno) errno = EIO;
    out_abort(&o);
    return false;
  }
  return out_commit(&o);
}
