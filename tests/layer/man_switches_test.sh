#!/usr/bin/env bash
# syncbridge-info's man page documents every variable in the layer's switch table
# (layer/util/switches.cpp): a switch added there without a line in the man page fails here.
# usage: man_switches_test.sh SWITCHES_CPP MAN_PAGE
set -u
table=$1 man=$2
names=$(grep -oE '"SYNCBRIDGE_[A-Z0-9_]+"' "$table" | tr -d '"' | sort -u)
# The control: the table is where this test thinks it is (an empty list would pass anything).
if [ "$(wc -w <<<"$names")" -lt 5 ]; then
  echo "FAIL: found only '$names' in $table"
  exit 1
fi
fail=0
for name in $names; do
  # An .TP entry of the ENVIRONMENT section: ".BR NAME = ..." or ".B NAME".
  if ! grep -qE "^\.BR? $name( |=|\$)" "$man"; then
    echo "FAIL: $name is not documented in $man"
    fail=1
  fi
done
[ "$fail" = 0 ] && echo "man page documents all $(wc -w <<<"$names") switches: ok"
exit "$fail"
