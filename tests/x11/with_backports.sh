#!/usr/bin/env bash
# Runs the command with lavapipe 25 from the backports prefix (tools/backports/env), as
# SYNCBRIDGE_TEST_X_DRIVER=lavapipe25; skips (77) without the prefix. Inside xorg_in_vm.sh, so
# that Xorg keeps Debian 12's own Mesa and only the app gets the backports' libraries.
# usage: with_backports.sh COMMAND [ARGS...]
here=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck source=/dev/null
. "$here/../../tools/backports/env-or-skip"
export SYNCBRIDGE_TEST_X_DRIVER=lavapipe25
exec "$@"
