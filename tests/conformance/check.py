#!/usr/bin/env python3
"""Summarise a conformance run (run.py --json-report) and hold the floors.

The floors are what the issues ask of the sensor (tier 1: 90%, tier 2: 80%), so a
change that breaks behaviour the corpus checks turns `make test` red.
"""
import json
import os
import sys

FLOORS = {1: float(os.environ.get("YS_CONFORMANCE_TIER1_FLOOR", "0.90")),
          2: float(os.environ.get("YS_CONFORMANCE_TIER2_FLOOR", "0.80"))}


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
    rc = 0
    for tier, floor in FLOORS.items():
        rs = by_tier.get(tier, [])
        if not rs:
            continue
        ratio = sum(r["status"] == "PASS" for r in rs) / len(rs)
        if ratio < floor:
            print("conformance: tier%d %.1f%% is under the floor %.1f%%" % (tier, 100 * ratio,
                                                                         100 * floor))
            rc = 1
        for r in rs:
            if r["status"] != "PASS":
                print("conformance: tier%d %s: %s" % (tier, r["status"], r["name"]))
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
