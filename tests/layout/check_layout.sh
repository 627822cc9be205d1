#!/usr/bin/env bash
# Checks the source layout against the README's module table (## Architecture), which is the
# source of truth: modules lowest first, "a module uses only those above it".
#
#   check_layout.sh order ROOT            no #include "tandem/..." of a module not above the
#                                         file's own; third-party headers of the table's last
#                                         column (`<cblas.h>`, ...) only in their module
#   check_layout.sh deps ROOT DEPS_FILE   each module's CMake DEPS (DEPS_FILE, written by
#                                         CMakeLists.txt) equal the modules it includes directly
#   check_layout.sh lines ROOT MAX        no file in src/ longer than MAX lines
#
# A file's module: src/<module>/... by path; a header include/tandem/<dir>/<name>.hpp belongs
# to the module whose sources implement it (src/<dir>[/<sub>]/<name>.cpp), else to the module
# its path names (tandem/dist/comm.hpp: dist/comm; tandem/graph/op.hpp: graph).
set -euo pipefail
mode=${1:?usage: check_layout.sh order|deps|lines ROOT [DEPS_FILE|MAX]}
root=${2:?missing ROOT}
arg=${3:-}
[ -f "$arg" ] && arg=$(cd "$(dirname "$arg")" && pwd)/$(basename "$arg")  # before the cd
cd "$root"

if [ "$mode" = lines ]; then
  max=${arg:?missing MAX}
  bad=0
  while IFS= read -r f; do
    n=$(awk 'END { print NR }' "$f")
    if [ "$n" -gt "$max" ]; then
      echo "$f: $n lines (limit $max): split it by job"
      bad=1
    fi
  done < <(find src -type f | LC_ALL=C sort)
  [ $bad -eq 0 ] && echo "every file in src/ has at most $max lines"
  exit $bad
fi

deps_file=/dev/null
if [ "$mode" = deps ]; then
  deps_file=${arg:?missing DEPS_FILE}
  [ -f "$deps_file" ] || { echo "no $deps_file: configure the build first"; exit 1; }
elif [ "$mode" != order ]; then
  echo "unknown mode '$mode' (order, deps or lines)"
  exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The first table after "## Architecture" (its header row starts with "| module |"): module,
# then each `<header>` of the last column.
awk '
  /^## / { in_arch = ($0 == "## Architecture") }
  in_arch && /^\| module \|/ { in_table = 1; next }
  in_table && !/^\|/ { in_table = 0; in_arch = 0 }
  in_table {
    n = split($0, cell, "|")
    name = cell[2]; gsub(/^[ \t]+|[ \t]+$/, "", name)
    if (name ~ /^-+$/) next
    line = name
    rest = cell[n - 1]
    while (match(rest, /`<[^`>]+>`/)) {
      line = line " " substr(rest, RSTART + 1, RLENGTH - 2)
      rest = substr(rest, RSTART + RLENGTH)
    }
    print line
  }' README.md > "$tmp/modules"
[ -s "$tmp/modules" ] || { echo "README.md: no module table under '## Architecture'"; exit 1; }
find src include/tandem -type f | LC_ALL=C sort > "$tmp/files"

# shellcheck disable=SC2046  # one argument per file (no spaces in the tree's paths)
awk -v mode="$mode" -v modfile="$tmp/modules" -v listfile="$tmp/files" -v depsfile="$deps_file" '
  function dirname(p) { sub(/\/[^\/]*$/, "", p); return p }
  function stem(p) { sub(/^.*\//, "", p); sub(/\.[^.]*$/, "", p); return p }
  # The longest module that is a prefix of directory d.
  function module_of_dir(d,   i, best) {
    best = ""
    for (i = 1; i <= nmod; ++i)
      if ((d == mod[i] || index(d, mod[i] "/") == 1) && length(mod[i]) > length(best)) best = mod[i]
    return best
  }
  # Owner of "tandem/<dir>/<name>.hpp".
  function owner(inc,   rel, d, key) {
    rel = substr(inc, length("tandem/") + 1)
    d = dirname(rel)
    key = d "/" stem(rel)
    if (key in impl) return impl[key]
    if (key in rank) return key
    if (d in rank) return d
    return ""
  }
  function order_list(   i, s) {
    for (i = 1; i <= nmod; ++i) s = s (i > 1 ? ", " : "") mod[i]
    return s
  }
  function fail(msg) { print msg; failed = 1 }

  FILENAME == modfile {
    mod[++nmod] = $1; rank[$1] = nmod
    for (i = 2; i <= NF; ++i) only[$i] = $1
    next
  }
  FILENAME == listfile {
    if ($0 ~ /^src\/.*\.cpp$/) {
      m = module_of_dir(dirname(substr($0, 5)))
      top = m; sub(/\/.*/, "", top)  # headers of dist/comm and dist/sync live in tandem/dist/
      key = top "/" stem($0)
      if (m == "") next
      owner_now = (key in impl && impl[key] != m) ? "(ambiguous)" : m
      impl[key] = owner_now
    }
    next
  }
  FILENAME == depsfile {
    name = $1; sub(/:$/, "", name)
    in_cmake[name] = 1
    for (i = 2; i <= NF; ++i) declared[name, $i] = 1
    next
  }
  FNR == 1 {
    if (FILENAME ~ /^src\//) cur = module_of_dir(dirname(substr(FILENAME, 5)))
    else cur = owner(substr(FILENAME, length("include/") + 1))
    if (cur == "" || cur == "(ambiguous)")
      fail(FILENAME ": belongs to no module of README.md'"'"'s table (" order_list() ")")
  }
  /^[ \t]*#[ \t]*include[ \t]*"tandem\// {
    inc = $0; sub(/^[^"]*"/, "", inc); sub(/".*$/, "", inc)
    b = owner(inc)
    where = FILENAME ":" FNR
    if (b == "" || b == "(ambiguous)") {
      fail(where ": " cur " includes " inc ", which belongs to no module of README.md'"'"'s table")
      next
    }
    if (cur == "" || b == cur) next
    if (!((cur, b) in uses)) { uses[cur, b] = where; used_by[cur] = used_by[cur] " " b }
    if (mode == "order" && rank[b] > rank[cur])
      fail(where ": " cur " includes " inc " of module " b ", which is not above " cur \
           " in README.md'"'"'s module table (lowest first: " order_list() ")")
    next
  }
  mode == "order" && /^[ \t]*#[ \t]*include[ \t]*</ {
    hdr = $0; sub(/^[^<]*/, "", hdr); sub(/>.*$/, ">", hdr)
    if ((hdr in only) && only[hdr] != cur)
      fail(FILENAME ":" FNR ": " cur " includes " hdr ", which only " only[hdr] \
           " may include (README.md'"'"'s module table)")
  }
  END {
    if (mode == "deps") {
      for (i = 1; i <= nmod; ++i) {
        a = mod[i]
        if (!(a in in_cmake)) {
          fail("module " a " (README.md) has no tandem_module() in CMakeLists.txt")
          continue
        }
        for (j = 1; j <= nmod; ++j) {
          b = mod[j]
          if (((a, b) in uses) && !((a, b) in declared))
            fail("module " a ": CMakeLists.txt DEPS lack " b ", which " uses[a, b] " includes")
          if (((a, b) in declared) && !((a, b) in uses))
            fail("module " a ": CMakeLists.txt DEPS list " b ", but no file of " a " includes it")
        }
      }
      for (k in declared) {
        split(k, pair, SUBSEP)
        if (!(pair[2] in rank))
          fail("module " pair[1] ": CMakeLists.txt DEPS list " pair[2] ", not a module of README.md")
      }
      for (a in in_cmake)
        if (!(a in rank)) fail("tandem_module(" a ") in CMakeLists.txt is not in README.md'"'"'s table")
    }
    if (!failed) {
      if (mode == "order") print "every include respects the module order: " order_list()
      else print "CMake DEPS equal the included modules for all " nmod " modules"
    }
    exit failed
  }
' "$tmp/modules" "$tmp/files" "$deps_file" $(cat "$tmp/files")
