#!/usr/bin/env bash
# README's first command: install, build, and run the main job on its embedded default.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh
[ -f build-rel/build.ninja ] || meson setup build-rel --buildtype=release >/dev/null
ninja -C build-rel -j2 >/dev/null
exec build-rel/vring/tests/vring_bench
