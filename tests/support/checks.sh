# shellcheck shell=bash
# What the small shell tests share. Source it: . tests/support/checks.sh
#   check DESCRIPTION COMMAND...   runs COMMAND; on failure says "FAIL: DESCRIPTION" and sets fail=1
#   unset_syncbridge_env           drops the caller's own SYNCBRIDGE_* variables: the test sets its own
fail=0
check() { # DESCRIPTION COMMAND...
  local what=$1
  shift
  if ! "$@"; then
    echo "FAIL: $what"
    fail=1
  fi
}
unset_syncbridge_env() {
  local name
  for name in $(compgen -e); do
    [[ $name == SYNCBRIDGE_* ]] && unset "$name"
  done
}
