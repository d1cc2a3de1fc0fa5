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
# (One awk program does the work: the table, the list of files that exist, and every
# file's #include lines in; a process per include made this take seconds.)
set -u
export LC_ALL=C
TABLE=$(make -s --no-print-directory rooms) || exit 2

files=$(git ls-files 'compiler/*.[ch]' 'runtime/*.[ch]' 'runtime/*.def' 'grammar/*.[ly]' 2>/dev/null ||
        find compiler runtime grammar -name '*.[chly]')
# The files an include could name: those of the repository, and those under the rooms'
# folders (the generated parser's among them).
exists=$({ git ls-files 2>/dev/null || find . -type f | sed 's|^\./||'
  for d in $(echo "$TABLE" | awk '{ print $2 }'); do [ -d "$d" ] && find "$d" -type f; done; } | sort -u)
{
  echo "$TABLE" | sed 's/^/T /'
  echo "$exists" | sed 's/^/E /'
  for f in $files; do
    echo "F $f"
    sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/I \1/p' "$f"
  done
} | awk '
function norm(p,   n, parts, out, i, k, o) {
  n = split(p, parts, "/"); k = 0
  for (i = 1; i <= n; i++) {
    if (parts[i] == "" || parts[i] == ".") continue
    if (parts[i] == ".." && k > 0 && out[k] != "..") { k--; continue }
    out[++k] = parts[i]
  }
  o = ""
  for (i = 1; i <= k; i++) o = o (i > 1 ? "/" : "") out[i]
  return o
}
function dirname(p,   i) { i = match(p, /\/[^\/]*$/); return i ? substr(p, 1, i - 1) : "." }
function basename(p) { sub(/.*\//, "", p); return p }
function room_of_dir(d) { return (d in dirroom) ? dirroom[d] : "" }
function room_of_header(h,   i) {
  for (i = 1; i <= nrooms; i++) if (norm(folder_at[i] "/" h) in ex) return room_of_dir(folder_at[i])
  if (h == "parser.h" || h == "lexer.h" || h == "lexer.c") return "gen" # lexer.c: inside parser_fast.c
  return ""
}
function finish() {
  if (cur == "") return
  if (noroom) return
  if (bad != "") { print "FAIL rooms/" cur ": room " room " may not include" bad; failed++ }
  else passed++
}
$1 == "T" {
  nrooms++; folder_at[nrooms] = $3
  if (!($3 in dirroom)) dirroom[$3] = $2
  if (!($2 in roomfolder)) { roomfolder[$2] = $3; sees[$2] = ""; for (i = 4; i <= NF; i++) sees[$2] = sees[$2] " " $i }
  next
}
$1 == "E" { ex[norm($2)] = 1; next }
$1 == "F" {
  finish()
  cur = $2; bad = ""; noroom = 0
  if (cur ~ /^grammar\//) room = "front"; else room = room_of_dir(dirname(cur))
  if (room == "") {
    print "FAIL rooms/" cur ": the folder " dirname(cur) " is no room of the Makefile'"'"'s table"
    failed++; noroom = 1
  }
  next
}
$1 == "I" {
  if (noroom) next
  h = substr($0, 3)
  if (norm(dirname(cur) "/" h) in ex) next
  hroom = room_of_header(h)
  ok = 0
  n = split(sees[room], allowed, " ")
  for (i = 1; i <= n; i++) {
    a = allowed[i]
    if (a == hroom || a == roomfolder[hroom] "/" h || (a ~ /\// && basename(a) == h)) { ok = 1; break }
  }
  if (hroom == "") bad = bad " \"" h "\" (no room holds it)"
  else if (!ok) bad = bad " \"" h "\" (room " hroom ")"
}
END { finish(); print passed + 0 " passed, " failed + 0 " failed"; exit failed > 0 }
'
