#!/usr/bin/env bash
# Installs, builds and runs every vhostd test: unit tests and integration tests in
# the normal build, and the unit tests again under ASan+UBSan. Ends with one line
# "N passed, N failed, N skipped" over both builds; exits non-zero on any failure,
# and on any skip when CI=true (a skipped test is not a passing one).
set -uo pipefail
cd "$(dirname "$0")/.."

bash tests/setup.sh || exit 1

build() { # dir, meson options...
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 ||
			{ cat "$dir.setup.log"; return 1; }
	fi
	ninja -C "$dir" -j2 >"$dir.ninja.log" 2>&1 || { tail -60 "$dir.ninja.log"; return 1; }
}

run_suite() { # dir, extra meson test args...
	local dir=$1
	shift
	meson test -C "$dir" --print-errorlogs --num-processes 1 "$@"
}

rc=0
build build || exit 1
run_suite build || rc=1
build build-san -Db_sanitize=address,undefined -Db_lundef=false || exit 1
# Under the sanitizers: everything but the QEMU guests (TCG guests against a
# sanitized daemon take long and add nothing the testpmd suites do not cover).
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	run_suite build-san --no-suite guest || rc=1

python3 tests/summary.py build/meson-logs/testlog.json build-san/meson-logs/testlog.json || rc=1
exit $rc
