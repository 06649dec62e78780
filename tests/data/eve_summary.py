#!/usr/bin/python3
"""Summarise an EVE alert file: alerts per tenant, per tenant and signature, and per tunnel/VLAN.

    eve_summary.py EVE.json [--manifest manifest.json] [--stats stats.json]

With --manifest (from gen_traffic.py) it also says whether the alert counts per signature are the ones
the generated traffic calls for. Used by tests/data/demo.sh; plain Python so `make demo` needs no jq.
"""

import argparse
import collections
import json
import sys


def load_alerts(path):
    alerts = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                ev = json.loads(line)
                if ev.get("event_type") == "alert":
                    alerts.append(ev)
    return alerts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("eve")
    ap.add_argument("--manifest")
    ap.add_argument("--stats")
    a = ap.parse_args(argv)
    alerts = load_alerts(a.eve)

    tenants = collections.Counter((e.get("tenant", "?"), e.get("tenant_id", -1)) for e in alerts)
    sigs = collections.Counter((e.get("tenant", "?"), e["alert"]["signature_id"], e["alert"]["signature"])
                               for e in alerts)
    print("Alerts per tenant (%d in total)" % len(alerts))
    for (name, tid), n in sorted(tenants.items(), key=lambda x: (-x[1], x[0])):
        print("  %-12s id %-5s %6d" % (name, tid, n))
    print()
    print("Alerts per tenant and signature")
    for (name, sid, msg), n in sorted(sigs.items()):
        print("  %-12s %8d  %4d  %s" % (name, sid, n, msg))
    where = collections.Counter()
    for e in alerts:
        if "tunnel" in e:
            where["%s vni %s" % (e["tunnel"]["type"], e["tunnel"]["vni"])] += 1
        elif e.get("vlan"):
            where["vlan %s" % "/".join(str(v) for v in e["vlan"])] += 1
        else:
            where["plain"] += 1
    print()
    print("Alerts by encapsulation")
    for k, n in sorted(where.items()):
        print("  %-16s %6d" % (k, n))

    if a.stats:
        with open(a.stats) as f:
            s = json.load(f)
        print()
        print("Sensor: %d packets, %d decode errors %s, %d flows, %d rules loaded (%d failed), %.2f s" % (
            s["capture"]["packets"], s["decoder"]["invalid"],
            json.dumps({k: v for k, v in s["decoder"].get("errors", {}).items() if v}, sort_keys=True),
            s["flow"]["created"], s["detect"]["rules_loaded"], s["detect"]["rules_failed"], s["elapsed_seconds"]))

    if a.manifest:
        with open(a.manifest) as f:
            m = json.load(f)
        want = collections.Counter()
        for entry in m["pcaps"].values():
            for x in entry["alerts"]:
                want[x["sid"]] += x["count"]
        have = collections.Counter(e["alert"]["signature_id"] for e in alerts)
        print()
        if have == want:
            print("Matches the generated traffic: %d alerts over %d signatures, as expected." % (
                sum(have.values()), len(have)))
            return 0
        print("Differs from what the generated traffic calls for (sid: expected/found):")
        for sid in sorted(set(want) | set(have)):
            if want[sid] != have[sid]:
                print("  %d: %d/%d" % (sid, want[sid], have[sid]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
