#!/usr/bin/env bash
# Runs one libFuzzer target for a fixed number of iterations over its seed corpus, with a fixed
# seed (the same inputs on every run). What it finds beyond the seeds goes to a scratch folder,
# never into the tree. Usage: run_fuzzer.sh TARGET CORPUS_DIR RUNS MAX_LEN
set -euo pipefail
target=$1 corpus=$2 runs=$3 max_len=$4
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# A crashing input goes to the scratch folder too: libFuzzer's report prints its bytes, which is
# what a failing CI log keeps.
"$target" -runs="$runs" -seed=1 -max_len="$max_len" -print_final_stats=1 \
  -artifact_prefix="$scratch/" "$scratch" "$corpus"
