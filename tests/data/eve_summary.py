#!/usr/bin/python3
"""Summarise an EVE alert file: alerts per tenant, per tenant and signature, and per tunnel/VLAN.

    eve_summary.py EVE.json [--manifest manifest.json] [--stats stats.json]
    eve_summary.py EVE.json --api URL --token TOKEN --wait SECONDS
    eve_summary.py EVE.json --api URL --token TOKEN --ingest

With --manifest (from gen_traffic.py) it also says whether the alert counts per signature are the ones
the generated traffic calls for. With --api, it looks at what yunshao-ingest made of the same alerts:
--wait polls the API until ingest has stored exactly the alerts of EVE.json (every event_id, nothing
else) and correlation has caught up, and fails with the reason after SECONDS; --ingest prints the
incidents and each tenant's warning level as the API returns them. Used by tests/data/demo.sh (whose
test, tests/integration/test_demo.py, parses these tables); plain Python so `make demo` needs no jq.
"""

import argparse
import collections
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

LEVELS = ("blue", "yellow", "orange", "red")


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


# ---- what ingest made of the alerts (HTTP API v1, docs/api.md) ----

class Api:
    def __init__(self, base, token):
        self.base = base.rstrip("/")
        self.token = token

    def get(self, path, auth=True, raw=False):
        req = urllib.request.Request(self.base + path)
        if auth:
            req.add_header("Authorization", "Bearer " + self.token)
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return body.decode() if raw else json.loads(body)

    def all(self, path, key):
        """Every item of a paged list endpoint (limit 1000, opaque cursor)."""
        items, cursor = [], None
        sep = "&" if "?" in path else "?"
        while True:
            page = self.get(path + sep + "limit=1000" +
                            ("&cursor=" + urllib.parse.quote(cursor) if cursor else ""))
            items += page[key]
            cursor = page.get("next_cursor")
            if not cursor:
                return items

    def metrics(self):
        """Prometheus text as {name or name{labels}: value}."""
        out = {}
        for line in self.get("/metrics", auth=False, raw=True).splitlines():
            m = re.match(r"^([a-z_]+(?:\{[^}]*\})?) (\S+)$", line)
            if m:
                out[m.group(1)] = float(m.group(2))
        return out


def correlation_pending(m):
    """Why correlation has not caught up yet according to ingest's /metrics, or None when it has:
    every alert re-keyed into the by-source topic has been read back (the cross-tenant rule runs
    there) and no partition has a consumer lag."""
    need = ("yunshao_ingest_by_source_produced_total", "yunshao_ingest_by_source_consumed_total")
    if any(k not in m for k in need):
        return "ingest's /metrics lacks %s" % " or ".join(need)
    if m[need[1]] < m[need[0]]:
        return "by-source stream: %d of %d alerts correlated" % (m[need[1]], m[need[0]])
    lag = {k: v for k, v in m.items() if k.startswith("yunshao_ingest_consumer_lag") and v > 0}
    if lag:
        return "consumer lag %s" % lag
    return None


def incident_key(i):
    return (i["id"], i["alert_count"], i["level"], i["status"])


def wait_ingest(api, alerts, seconds):
    """0 once ingest holds exactly the alerts of the EVE file and has correlated them, else 1."""
    want = set(e["event_id"] for e in alerts)
    deadline = time.time() + seconds
    why, last_report, stable = "nothing asked yet", 0.0, None
    while time.time() < deadline:
        try:
            stored = set(a["event_id"] for a in api.all("/api/v1/alerts", "alerts"))
            extra = stored - want
            if extra:
                print("ingest: the store holds %d alert(s) that are not in %d-line eve.json (e.g. %s):"
                      " an earlier run's? 'make demo-stop' and remove the demo directory to start clean"
                      % (len(extra), len(want), sorted(extra)[0]), file=sys.stderr)
                return 1
            if stored != want:
                why = "%d of %d alerts stored" % (len(stored & want), len(want))
            else:
                why = correlation_pending(api.metrics())
                if why is None:
                    # correlation has read everything; the incident list must also hold still
                    now = sorted(incident_key(i) for i in api.all("/api/v1/incidents", "incidents"))
                    if now == stable:
                        print("ingest: all %d alerts stored and correlated, %d incidents" % (
                            len(want), len(now)))
                        return 0
                    stable, why = now, "incidents settling"
        except (OSError, ValueError, KeyError) as e:
            why = "API: %s" % e
        if time.time() - last_report >= 5:
            print("  waiting for ingest: %s" % why, flush=True)
            last_report = time.time()
        time.sleep(0.5)
    print("ingest: timed out after %ds: %s" % (seconds, why), file=sys.stderr)
    return 1


def print_ingest(api):
    """The incidents and the per-tenant warning levels, exactly as the API returns them."""
    incs = api.all("/api/v1/incidents", "incidents")
    incs.sort(key=lambda i: (-LEVELS.index(i["level"]), i["tenant"], i["id"]))
    print("Incidents (%d, GET /api/v1/incidents)" % len(incs))
    print("  %6s  %-7s %-12s %6s  %-8s %s" % ("id", "level", "tenant", "alerts", "status", "title"))
    for i in incs:
        print("  %6s  %-7s %-12s %6d  %-8s %s" % (i["id"], i["level"], i["tenant"], i["alert_count"],
                                                 i["status"], i["title"]))
    rules = collections.Counter(i["rule"] for i in incs)
    print("  by rule: %s" % ", ".join("%s %d" % kv for kv in sorted(rules.items())))
    sit = api.get("/api/v1/situation")
    print()
    print("Warning level per tenant (GET /api/v1/situation at %s)" % sit["generated_at"])
    print("  %-12s %5s  %-7s %10s %15s  %s" % ("tenant", "id", "level", "alerts 24h", "open incidents",
                                              "sensors"))
    for t in sorted(sit["tenants"], key=lambda t: (-LEVELS.index(t["level"]), t["tenant"])):
        print("  %-12s %5d  %-7s %10d %15d  %d reporting, %d silent" % (
            t["tenant"], t["tenant_id"], t["level"], t["alerts_24h"], t["incidents_open"],
            t["sensors"]["reporting"], t["sensors"]["silent"]))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("eve")
    ap.add_argument("--manifest")
    ap.add_argument("--stats")
    ap.add_argument("--api", help="yunshao-ingest base URL, e.g. http://127.0.0.1:8088")
    ap.add_argument("--token", help="an all-tenant API token (admin)")
    ap.add_argument("--wait", type=float, metavar="SECONDS",
                    help="wait until ingest has stored and correlated every alert of EVE")
    ap.add_argument("--ingest", action="store_true", help="print ingest's incidents and warning levels")
    a = ap.parse_args(argv)
    alerts = load_alerts(a.eve)
    if a.wait is not None or a.ingest:
        if not a.api or not a.token:
            ap.error("--wait and --ingest need --api and --token")
        api = Api(a.api, a.token)
        return wait_ingest(api, alerts, a.wait) if a.wait is not None else print_ingest(api)

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
