#!/bin/bash
# Bounded coverage-guided run for CI: fuzz FUZZER for FUZZ_SECONDS (default 60) starting
# from the committed SEEDS, writing new inputs to a scratch corpus (never into the source
# tree) and any crash reproducer next to the build (crash-*, leak-*, timeout-*).
# Usage: run_fuzz.sh FUZZER SEEDS
set -euo pipefail
fuzzer=$1
seeds=$2
secs=${FUZZ_SECONDS:-60}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# -close_fd_mask=2 mutes the back-end's per-connection log; libFuzzer and sanitizer reports
# still come out (libFuzzer keeps its own copy of stderr), invariant failures on stdout.
"$fuzzer" -max_total_time="$secs" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
	-close_fd_mask=2 -artifact_prefix="$PWD/$(basename "$fuzzer")-" "$scratch" "$seeds"
