/* outfile.c — output files written whole or not at all (outfile.h). */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { MAX_LINK_HOPS = 40 };

static bool names_descriptor(const char *path) {
  return strcmp(path, "/dev/stdin") == 0 || strcmp(path, "/dev/stdout") == 0 ||
         strcmp(path, "/dev/stderr") == 0 || strncmp(path, "/dev/fd/", 8) == 0 ||
         strncmp(path, "/proc/", 6) == 0;
}

/* o->target: path with the links of its last component followed to the end (a
 * relative link read from the link's folder). */
static bool follow_links(OutFile *o, const char *path) {
  if (strlen(path) >= sizeof o->target) return errno = ENAMETOOLONG, false;
  strcpy(o->target, path);
  for (int hops = 0; hops <= MAX_LINK_HOPS; hops++) {
    struct stat st;
    if (names_descriptor(o->target) || lstat(o->target, &st) != 0 || !S_ISLNK(st.st_mode)) return true;
    char link[OUTFILE_PATH_MAX];
    ssize_t n = readlink(o->target, link, sizeof link);
    if (n < 0) return true; /* opening it will say why */
    if ((size_t)n >= sizeof link) return errno = ENAMETOOLONG, false;
    link[n] = '\0';
    char *slash = strrchr(o->target, '/');
    size_t dir = link[0] != '/' && slash ? (size_t)(slash - o->target) + 1 : 0;
    if (dir + (size_t)n >= sizeof o->target) return errno = ENAMETOOLONG, false;
    memcpy(o->target + dir, link, (size_t)n + 1);
  }
  return errno = ELOOP, false;
}

bool outfile_open(OutFile *o, const char *path) {
  memset(o, 0, sizeof *o);
  if (!*path) return errno = ENOENT, false;
  if (!follow_links(o, path)) return false;
  struct stat st;
  bool exists = stat(o->target, &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) return errno = EISDIR, false;
  if (names_descriptor(o->target) || (exists && !S_ISREG(st.st_mode))) return (o->f = fopen(o->target, "wb")) != NULL;
  if ((size_t)snprintf(o->tmp, sizeof o->tmp, "%s.tmp.%ld", o->target, (long)getpid()) >= sizeof o->tmp)
    return errno = ENAMETOOLONG, false;
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC;
  int fd = open(o->tmp, flags, 0666);
  if (fd < 0 && errno == EEXIST && unlink(o->tmp) == 0) fd = open(o->tmp, flags, 0666);
  if (fd >= 0 && (!exists || fchmod(fd, st.st_mode & 07777) == 0) && (o->f = fdopen(fd, "wb"))) return true;
  int saved = errno;
  if (fd >= 0) {
    close(fd);
    unlink(o->tmp);
  }
  o->tmp[0] = '\0';
  errno = saved;
  return false;
}

bool outfile_commit(OutFile *o) {
  errno = 0;
  bool ok = fflush(o->f) == 0 && !ferror(o->f);
  int err = ok ? 0 : errno ? errno : EIO;
  if (fclose(o->f) != 0 && ok) ok = false, err = errno;
  o->f = NULL;
  if (ok && o->tmp[0] && rename(o->tmp, o->target) != 0) ok = false, err = errno;
  if (!ok && o->tmp[0]) unlink(o->tmp);
  o->tmp[0] = '\0';
  errno = err;
  return ok;
}

void outfile_abort(OutFile *o) {
  int saved = errno;
  if (o->f) fclose(o->f);
  o->f = NULL;
  if (o->tmp[0]) unlink(o->tmp);
  o->tmp[0] = '\0';
  errno = saved;
}
