#!/usr/bin/env python3
"""Sum meson test logs into one closing line: 'N passed, N failed, N skipped'.

Exits 1 when anything failed, or when anything was skipped under CI=true:
a skipped test is never counted as a passing one.
"""
import json
import os
import sys

PASS = {"OK", "EXPECTEDFAIL"}
SKIP = {"SKIP"}


def main(paths):
    passed = failed = skipped = 0
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                for line in f:
                    res = json.loads(line).get("result")
                    if res in PASS:
                        passed += 1
                    elif res in SKIP:
                        skipped += 1
                        print(f"skipped: {json.loads(line).get('name')}")
                    else:
                        failed += 1
        except FileNotFoundError:
            print(f"summary: no test log at {path}", file=sys.stderr)
            failed += 1
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    if failed or (skipped and os.environ.get("CI") == "true"):
        return 1
    if passed == 0:
        print("summary: no test ran", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
