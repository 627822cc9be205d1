#!/usr/bin/env bash
# The README's keyword tables are generated from the registries: every block between
#   <!-- tandem list KIND -->   and   <!-- end tandem list -->
# must equal `tandem list KIND --markdown`. With --update, rewrites the blocks instead.
# usage: readme_tables.sh TANDEM README [--update]
set -euo pipefail
tandem=$1 readme=$2 mode=${3:-check}
kinds=$(sed -n 's/^<!-- tandem list \([a-z]*\) -->$/\1/p' "$readme")
[ -n "$kinds" ] || { echo "FAIL: no '<!-- tandem list KIND -->' blocks in $readme"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
for kind in $kinds; do
  "$tandem" list "$kind" --markdown > "$tmp/$kind.md"
  # The block's body: the lines strictly between its markers.
  awk -v k="$kind" '$0 == "<!-- tandem list " k " -->" { on = 1; next } on && $0 == "<!-- end tandem list -->" { exit } on' \
    "$readme" > "$tmp/$kind.readme"
  if [ "$mode" = --update ]; then
    continue
  elif diff -u "$tmp/$kind.readme" "$tmp/$kind.md" > "$tmp/$kind.diff"; then
    echo "ok: README table of $kind equals 'tandem list $kind --markdown'"
  else
    failed=1
    echo "FAIL: README table of $kind differs from the registry ('-' README, '+' registry):"
    cat "$tmp/$kind.diff"
  fi
done
if [ "$mode" = --update ]; then
  awk -v dir="$tmp" '
    /^<!-- tandem list [a-z]* -->$/ { print; kind = $4; while ((getline line < (dir "/" kind ".md")) > 0) print line; skip = 1; next }
    skip && $0 == "<!-- end tandem list -->" { skip = 0 }
    !skip' "$readme" > "$tmp/README.new"
  cp "$tmp/README.new" "$readme"
  echo "rewrote the tables of: $kinds"
  exit 0
fi
[ "$failed" -eq 0 ] || echo "run tests/docs/readme_tables.sh build/tandem README.md --update after changing a registry"
exit "$failed"
