#!/usr/bin/env bash
# Runs inside the 6.12 test VM with the backports prefix: the foreign-transfer tests on lavapipe
# 25 itself (no gpusim), whose SYNC_FD export waits for the GPU. usage: lavapipe25_in_vm.sh TESTS
set -u
# shellcheck source=/dev/null
. "$(dirname "$0")/../../tools/backports/env-or-skip"
exec "$1" --gtest_filter='Lavapipe25/*'
