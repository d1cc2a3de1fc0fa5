#!/bin/sh
# cluster.sh start|stop|url DIR — a throwaway PostgreSQL cluster for the tests.
#
#   start DIR  makes DIR (empty or missing) a new cluster (initdb) and starts its server
#              (pg_ctl), listening only on a Unix socket in DIR: no TCP port, no system
#              service. Its superuser is `bpc` (trust over the socket) and it has a
#              database `bpc`. Prints nothing on success.
#   url DIR    prints the libpq URL of its database: postgresql:///bpc?host=DIR&user=bpc
#   stop DIR   stops the server (fast shutdown) and removes DIR.
#
# PostgreSQL refuses to run as root: as root the server runs as the user `postgres` when
# there is one (Debian's package makes it), else `nobody`, owning DIR. The binaries are
# found on PATH or under /usr/lib/postgresql/*/bin (the newest).
#
# Settings: fsync and synchronous_commit stay on (a commit is on disk, as on a real
# server: the kill -9 tests and the benchmark mean what they say); initdb skips its own
# syncs (-N: a new cluster's files need not survive a crash); small shared memory and
# few connections, as several test runs may share a machine; the log is DIR/server.log.
set -u

die() { echo "cluster.sh: $*" >&2; exit 2; }

[ $# -eq 2 ] || die "usage: cluster.sh start|stop|url DIR"
cmd=$1
DIR=$2
case $DIR in /*) ;; *) DIR=$(pwd)/$DIR ;; esac

# The folder of initdb, pg_ctl and createdb.
pg_bindir() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return 0
  fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  return 1
}

# Runs a command as the server's user.
as_server() {
  if [ "$(id -u)" != 0 ]; then
    "$@"
  elif command -v runuser >/dev/null 2>&1; then
    runuser -u "$SERVER_USER" -- "$@"
  else
    su -s /bin/sh "$SERVER_USER" -c '"$0" "$@"' -- "$@"
  fi
}

SERVER_USER=$(id -un)
if [ "$(id -u)" = 0 ]; then
  if id postgres >/dev/null 2>&1; then SERVER_USER=postgres; else SERVER_USER=nobody; fi
fi

case $cmd in
url)
  echo "postgresql:///bpc?host=$DIR&user=bpc"
  ;;
start)
  BIN=$(pg_bindir) || die "PostgreSQL is not installed (no initdb/pg_ctl on PATH or under /usr/lib/postgresql)"
  mkdir -p "$DIR" || die "cannot make $DIR"
  [ -z "$(ls -A "$DIR")" ] || die "$DIR is not empty"
  [ ${#DIR} -le 90 ] || die "$DIR is too long for a Unix socket's path"
  if [ "$(id -u)" = 0 ]; then chown "$SERVER_USER" "$DIR" || die "cannot give $DIR to $SERVER_USER"; fi
  chmod 755 "$DIR"
  as_server test -w "$DIR" || die "the server's user $SERVER_USER cannot reach $DIR (a folder above it is closed to others)"
  as_server "$BIN/initdb" -N -D "$DIR/data" -U bpc -A trust -E UTF8 --locale=C >"$DIR/initdb.log" 2>&1 ||
    die "initdb failed: $(tail -n 3 "$DIR/initdb.log" | tr '\n' ' ')"
  cat >>"$DIR/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$DIR'
max_connections = 40
shared_buffers = 16MB
fsync = on
synchronous_commit = on
max_wal_senders = 0
wal_level = minimal
max_parallel_workers_per_gather = 0
dynamic_shared_memory_type = mmap
log_min_messages = warning
CONF
  as_server "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 -s start >/dev/null 2>&1 ||
    die "the server did not start: $(tail -n 3 "$DIR/server.log" 2>/dev/null | tr '\n' ' ')"
  as_server "$BIN/createdb" -h "$DIR" -U bpc bpc >"$DIR/createdb.log" 2>&1 ||
    die "cannot create the database bpc: $(tr "\n" " " <"$DIR/createdb.log")"
  ;;
stop)
  [ -d "$DIR" ] || exit 0
  if [ -f "$DIR/data/postmaster.pid" ]; then
    BIN=$(pg_bindir) || die "PostgreSQL is not installed"
    as_server "$BIN/pg_ctl" -D "$DIR/data" -m fast -w -t 60 -s stop >/dev/null 2>&1 ||
      die "the server in $DIR did not stop"
  fi
  rm -rf "$DIR"
  ;;
*)
  die "usage: cluster.sh start|stop|url DIR"
  ;;
esac
