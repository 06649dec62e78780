#!/usr/bin/env python3
"""Summarise a conformance run (run.py --json-report) and hold the tier-1 floor.

The floor is the figure we have reached, so a change that breaks behaviour the
corpus checks turns `make test` red; raise it as the sensor improves.
"""
import json
import sys

TIER1_FLOOR = float(__import__("os").environ.get("YS_CONFORMANCE_TIER1_FLOOR", "0.0"))


def main(path):
    with open(path) as f:
        results = json.load(f)
    by_tier = {}
    for r in results:
        by_tier.setdefault(r["tier"], []).append(r)
    for tier in sorted(by_tier, key=str):
        rs = by_tier[tier]
        passed = sum(r["status"] == "PASS" for r in rs)
        print("conformance tier%s: %d/%d passed (%.1f%%)" % (tier, passed, len(rs),
                                                          100.0 * passed / len(rs)))
    t1 = by_tier.get(1, [])
    if t1:
        ratio = sum(r["status"] == "PASS" for r in t1) / len(t1)
        if ratio < TIER1_FLOOR:
            print("conformance: tier1 %.1f%% is under the floor %.1f%%" % (100 * ratio,
                                                                        100 * TIER1_FLOOR))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
