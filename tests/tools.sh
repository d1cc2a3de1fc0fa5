#!/bin/sh
# tools.sh BUILD — bpc as a tool others install and drive (issue 17):
#   - make install into a temporary DESTDIR: every file in place, the shared library's
#     soname and version links, docs/embedding.md's host built with `pkg-config --cflags
#     --libs libbprt` against the installed copy only and run, the installed bpc and
#     bprun printing bp.h's version; make uninstall leaving nothing;
#   - the dynamic symbols of libbprt.so are exactly the functions bp.h declares;
#   - the man pages lint clean (mandoc -T lint);
#   - the editor files know every keyword (tests/tools/editor_words.py), the JSON and
#     SARIF diagnostics carry what the text does on tests/golden (diagnostics.py), every
#     message the front end can make has a code docs/diagnostics.md explains (diag_codes.py), and
#     `bpc lsp` answers a scripted session (lsp.py);
#   - the bash completion file parses and completes commands and process names.
# Run from the repository root (tests/run.sh calls it). Prints one line per failure and
# ends with `N passed, N failed`.
set -u

BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
REL_BUILD=${BUILD#"$(pwd)"/}
BPC=$BUILD/bpc
TIMEOUT=${TIMEOUT:-120}
export LC_ALL=C
. tests/lib.sh

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bpc-tools.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT

san=
case $BUILD in */asan) san="-fsanitize=address,undefined -fno-sanitize-recover=all" ;; esac
version=$(sed -n 's/^#define BP_VERSION "\(.*\)"/\1/p' runtime/bp.h)
major=$(sed -n 's/^#define BP_VERSION_MAJOR \([0-9]*\).*/\1/p' runtime/bp.h)

# ---- make install / uninstall ---------------------------------------------------------
echo "== make install into a DESTDIR"
DEST=$TMP/dest
if ! make -s --no-print-directory install BUILD="$REL_BUILD" DESTDIR="$DEST" PREFIX=/usr >"$TMP/install.out" 2>&1; then
  fail "install/make install" "$(tail -n 5 "$TMP/install.out")"
else
  pass
  missing=
  for f in bin/bpc bin/bprun lib/libbprt.so.$version lib/libbprt.so.$major lib/libbprt.so lib/libbprt.a \
           include/bp.h lib/pkgconfig/libbprt.pc share/man/man1/bpc.1 share/man/man1/bprun.1 \
           share/man/man3/libbprt.3 share/man/man7/bp-language.7 share/vim/vimfiles/syntax/bp.vim \
           share/vim/vimfiles/syntax/scn.vim share/vim/vimfiles/ftdetect/bp.vim \
           share/bpc/textmate/bp.tmLanguage.json share/bpc/textmate/scn.tmLanguage.json \
           share/bash-completion/completions/bpc share/bash-completion/completions/bprun; do
    [ -e "$DEST/usr/$f" ] || missing="$missing $f"
  done
  if [ -n "$missing" ]; then fail "install/files" "not installed:$missing"; else pass; fi
  # libbprt.so -> libbprt.so.MAJOR -> libbprt.so.MAJOR.MINOR.PATCH, whose soname is libbprt.so.MAJOR
  l1=$(readlink "$DEST/usr/lib/libbprt.so"); l2=$(readlink "$DEST/usr/lib/libbprt.so.$major")
  soname=$(objdump -p "$DEST/usr/lib/libbprt.so.$version" 2>/dev/null | awk '$1 == "SONAME" { print $2 }')
  if [ "$l1" != "libbprt.so.$major" ] || [ "$l2" != "libbprt.so.$version" ] || [ "$soname" != "libbprt.so.$major" ]; then
    fail "install/soname" "links $l1, $l2; soname '$soname' (want libbprt.so.$major -> libbprt.so.$version, soname libbprt.so.$major)"
  else pass
  fi
  # pkg-config, reading only the installed .pc (the sysroot is the DESTDIR)
  export PKG_CONFIG_LIBDIR="$DEST/usr/lib/pkgconfig" PKG_CONFIG_PATH= PKG_CONFIG_SYSROOT_DIR="$DEST"
  flags=$(pkg-config --cflags --libs libbprt 2>"$TMP/err")
  pcver=$(pkg-config --modversion libbprt 2>/dev/null)
  unset PKG_CONFIG_LIBDIR PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
  case $flags in
    *"-I$DEST/usr/include"*"-L$DEST/usr/lib"*"-lbprt"*|*"-L$DEST/usr/lib"*"-lbprt"*"-I$DEST/usr/include"*)
      if [ "$pcver" = "$version" ]; then pass; else fail "install/pkg-config" "version '$pcver', bp.h says $version"; fi ;;
    *) fail "install/pkg-config" "flags '$flags' $(cat "$TMP/err")" ;;
  esac
  # docs/embedding.md's host, from a directory of its own, against the installed copy only
  mkdir -p "$TMP/host"
  awk '/^```c$/ { f = 1; next } /^```$/ { f = 0 } f' docs/embedding.md >"$TMP/host/host.c"
  awk '/^```text$/ { f = 1; next } /^```$/ { f = 0 } f' docs/embedding.md >"$TMP/host/expected"
  if ! (cd "$TMP/host" && ${CC:-cc} -std=c11 -Wall -Wextra -Werror $san -o host host.c $flags) >"$TMP/err" 2>&1; then
    fail "install/host build" "$(head -n 5 "$TMP/err")"
  elif ! "$DEST/usr/bin/bpc" compile samples/simple_vote.bp -o "$TMP/host/vote.bpt" 2>"$TMP/err"; then
    fail "install/installed bpc compile" "$(head -n 3 "$TMP/err")"
  else
    lib=$(LD_LIBRARY_PATH="$DEST/usr/lib" ldd "$TMP/host/host" | awk '$1 ~ /^libbprt/ { print $3 }')
    case $lib in
      "$DEST/usr/lib/libbprt.so.$major") pass ;;
      *) fail "install/host links the installed library" "ldd: libbprt -> '$lib'" ;;
    esac
    LD_LIBRARY_PATH="$DEST/usr/lib" run "$TMP/host/out" "$TMP/err" "$TMP/host/host" "$TMP/host/vote.bpt"
    why=$(unsound "$TMP/err")
    if [ -n "$why" ]; then fail "install/host run" "$why"
    elif [ "$rc" -ne 0 ]; then fail "install/host run" "exit status $rc: $(head -n 3 "$TMP/err")"
    elif ! cmp -s "$TMP/host/out" "$TMP/host/expected"; then fail "install/host output" "differs from docs/embedding.md"
    else pass
    fi
  fi
  v1=$("$DEST/usr/bin/bpc" --version 2>&1); v2=$("$DEST/usr/bin/bprun" --version 2>&1)
  if [ "$v1" = "bpc $version" ] && [ "$v2" = "bprun $version (libbprt $version)" ]; then pass
  else fail "install/--version" "'$v1', '$v2' (bp.h: $version)"
  fi
  if ! make -s --no-print-directory uninstall BUILD="$REL_BUILD" DESTDIR="$DEST" PREFIX=/usr >"$TMP/install.out" 2>&1; then
    fail "install/make uninstall" "$(tail -n 5 "$TMP/install.out")"
  else
    left=$(find "$DEST" ! -type d | sed "s|^$DEST||")
    if [ -n "$left" ]; then fail "install/uninstall leaves nothing" "left:$(echo "$left" | head -n 5 | tr '\n' ' ')"
    else pass
    fi
  fi
fi

# ---- the exported symbols are bp.h's functions -----------------------------------------
echo "== libbprt.so exports exactly bp.h"
if [ -f "$BUILD/libbprt.so" ] && command -v nm >/dev/null 2>&1; then
  ${CC:-cc} -E -P runtime/bp.h | grep -oE '\bbp_[a-z0-9_]+[[:space:]]*\(' | tr -d ' (' | sort -u >"$TMP/declared"
  # (sanitizer builds add their own __asan/__ubsan and _init/_fini symbols)
  nm -D --defined-only "$BUILD/libbprt.so" | awk '{ print $3 }' | grep -v -E '^(_init|_fini|__)' | sort -u >"$TMP/exported"
  if [ "$(wc -l <"$TMP/declared")" -lt 20 ]; then
    fail "abi/declared" "only $(wc -l <"$TMP/declared") functions read from bp.h"
  elif ! cmp -s "$TMP/declared" "$TMP/exported"; then
    fail "abi/exports = bp.h" "$(diff "$TMP/declared" "$TMP/exported" | grep '^[<>]' | sed 's/^</declared, not exported:/; s/^>/exported, not declared:/' | head -n 5 | tr '\n' ' ')"
  else pass
  fi
fi

# ---- man pages ---------------------------------------------------------------------
echo "== man pages (mandoc -T lint)"
if command -v mandoc >/dev/null 2>&1; then
  # (from man/, so that the pages find each other for their cross-references)
  out=$(cd man && mandoc -T lint bpc.1 bprun.1 libbprt.3 bp-language.7 2>&1)
  if [ -n "$out" ]; then fail "man/lint" "$(echo "$out" | head -n 5)"; else pass; fi
  # every option the help of bpc and of each of its commands names is in bpc(1), every
  # option of bprun's help in bprun(1)
  mandoc -T markdown man/bpc.1 >"$TMP/bpc.md"
  mandoc -T markdown man/bprun.1 >"$TMP/bprun.md"
  cmds=$("$BPC" --help | sed -n 's/^  \([a-z][a-z]*\)\( .*\)\{0,1\}$/\1/p' | sort -u)
  if [ "$(echo "$cmds" | wc -w)" -lt 8 ]; then fail "man/bpc commands" "read only '$cmds' from bpc --help"; fi
  opts=$({ "$BPC" --help; for c in $cmds; do "$BPC" "$c" --help 2>&1; done; } | grep -oE -- '--[a-z][a-z-]*' | sort -u)
  for opt in $opts; do
    if grep -q -- "$opt" "$TMP/bpc.md"; then pass; else fail "man/bpc.1" "does not mention $opt"; fi
  done
  for opt in $("$BUILD/bprun" --help 2>&1 | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
    if grep -q -- "$opt" "$TMP/bprun.md"; then pass; else fail "man/bprun.1" "does not mention $opt"; fi
  done
else
  echo "skipped: mandoc not installed (man page lint)"
fi

# ---- editors, diagnostics as data, the language server -------------------------------
if command -v python3 >/dev/null 2>&1; then
  for t in editor_words.py diag_codes.py "diagnostics.py $BPC tests/golden/*.bp" \
      "import_diagnostics.py $BPC tests/tools/broken.bpmn ../shared/corpus/bpmn/miwg-reference/A.2.1.bpmn ../shared/corpus/bpmn/miwg-reference/B.2.0.bpmn ../shared/corpus/bpmn/miwg-reference/C.6.0.bpmn ../shared/corpus/bitrix/mesilov_bp-82.bpt" \
      "lsp.py $BPC"; do
    name=${t%% *}
    echo "== tests/tools/$name"
    # shellcheck disable=SC2086
    timeout -k 5 "$TIMEOUT" python3 tests/tools/$t >"$TMP/py.out" 2>&1
    grep '^FAIL' "$TMP/py.out" | head -n 20
    summary=$(tail -n 1 "$TMP/py.out")
    p=$(echo "$summary" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
    f=$(echo "$summary" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
    if [ -z "$p" ]; then fail "tools/$name" "no summary: $(tail -n 5 "$TMP/py.out")"
    else passed=$((passed + p)); failed=$((failed + f))
    fi
  done
else
  echo "skipped: python3 not installed (editor keywords, JSON/SARIF diagnostics, bpc lsp)"
fi

# ---- bash completion -----------------------------------------------------------------
echo "== bash completion"
if command -v bash >/dev/null 2>&1; then
  "$BPC" compile samples/simple_vote.bp -o "$TMP/sv.bpt" 2>/dev/null
  got=$(PATH="$BUILD:$PATH" bash -c '
    . editors/bash-completion/bpc
    COMP_WORDS=(bpc ch); COMP_CWORD=1; _bpc; echo "${COMPREPLY[*]}"
    COMP_WORDS=(bpc check --diag); COMP_CWORD=2; _bpc; echo "${COMPREPLY[*]}"
    COMP_WORDS=(bprun run "$1" s); COMP_CWORD=3; _bprun; echo "${COMPREPLY[*]}"
    COMP_WORDS=(bpc compile samples/simple_vote.bp -p ""); COMP_CWORD=4; _bpc; echo "${COMPREPLY[*]}"' _ "$TMP/sv.bpt" 2>&1)
  want=$(printf 'check\n--diagnostics-format=\nsimple_vote\nsimple_vote')
  if [ "$got" = "$want" ]; then pass; else fail "completion" "got: $(echo "$got" | tr '\n' '|'), want: $(echo "$want" | tr '\n' '|')"; fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
