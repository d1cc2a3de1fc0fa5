#!/bin/sh
# rooms.sh — every #include "..." of the compiler, the runtime and the grammar
# names a header of a room that the including file's room may see.
#
# The table is the Makefile's (`make -s rooms`: NAME FOLDER SEES...); the
# same table gives each room its -I flags, so this check and the build agree.
# A header is found by its name in the rooms' folders (names are unique
# across rooms); a file's room is the deepest room folder that holds it; the
# grammar belongs to the front end. Prints one line per offending include
# and `N passed, N failed`; exits 1 on any offence.
set -u
export LC_ALL=C
TABLE=$(make -s --no-print-directory rooms) || exit 2

# The room of a header name or of a file (by its folder).
room_of_dir() {
  echo "$TABLE" | awk -v d="$1" '$2 == d { print $1; exit }'
}
room_of_header() {
  for dir in $(echo "$TABLE" | awk '{ print $2 }'); do
    if [ -f "$dir/$1" ]; then room_of_dir "$dir"; return; fi
  done
  case $1 in parser.h|lexer.h) echo gen ;; esac
}
sees() { # ROOM: the rooms (and single headers) it may include
  echo "$TABLE" | awk -v r="$1" '$1 == r { for (i = 3; i <= NF; i++) print $i }'
}

passed=0 failed=0
files=$(git ls-files 'compiler/*.[ch]' 'runtime/*.[ch]' 'runtime/*.def' 'grammar/*.[ly]' 2>/dev/null ||
        find compiler runtime grammar -name '*.[chly]')
for f in $files; do
  case $f in grammar/*) room=front ;; *) room=$(room_of_dir "$(dirname "$f")") ;; esac
  if [ -z "$room" ]; then
    echo "FAIL rooms/$f: the folder $(dirname "$f") is no room of the Makefile's table"
    failed=$((failed + 1)); continue
  fi
  allowed=$(sees "$room")
  bad=
  for h in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
    [ -f "$(dirname "$f")/$h" ] && continue           # its own room
    hroom=$(room_of_header "$h")
    ok=
    for a in $allowed; do
      if [ "$a" = "$hroom" ] || [ "$a" = "$(echo "$TABLE" | awk -v r="$hroom" '$1 == r { print $2 }')/$h" ] ||
         { case $a in */*) [ "$(basename "$a")" = "$h" ] ;; *) false ;; esac; }; then ok=1; break; fi
    done
    if [ -z "$hroom" ]; then bad="$bad \"$h\" (no room holds it)"
    elif [ -z "$ok" ]; then bad="$bad \"$h\" (room $hroom)"
    fi
  done
  if [ -n "$bad" ]; then
    echo "FAIL rooms/$f: room $room may not include$bad"
    failed=$((failed + 1))
  else
    passed=$((passed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
