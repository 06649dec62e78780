"""`make demo` end to end: tests/data/demo.sh in its own directory and on its own ports, twice.

The demo generates the sample traffic, starts a local Kafka broker and yunshao-ingest, runs the sensor
into Kafka, waits for ingest and prints alerts, incidents, warning levels, the console URL and two
tokens. This test runs it in a temporary YS_DEMO_DIR with free ports and checks the printed tables
three ways:

  - against the API (GET /api/v1/incidents and /api/v1/situation with the printed admin token);
  - against what the sensor's eve.json implies: the bundled correlation rules (rules/correlation/*.yaml)
    evaluated here, independently of ingest, on the alerts of eve.json give the set of incidents
    (rule, tenant, title) and so each tenant's warning level; the brute-force incident belongs to the
    tenant of the SSH brute force, the cross-tenant campaign has an incident in every tenant the source
    attacked;
  - tenant scoping of the printed acme analyst token, and the console being served.

Then it runs the demo a second time in the same directory (the broker is reused, the tokens are new,
the findings the same) and stops everything with `demo.sh stop`, in a finally block, checking that no
process of the demo is left.

Needs $YS_BUILD/sensor/yunshao-sensor and $YS_BUILD/ingest/yunshao-ingest, java and the Kafka jar cache
(deploy/kafka/kafka.sh fetches it from Maven Central when missing).
"""

import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from datetime import datetime

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.abspath(os.environ.get("YS_BUILD") or os.path.join(REPO, "build"))
DEMO_SH = os.path.join(REPO, "tests", "data", "demo.sh")
CORRELATION = os.path.join(REPO, "rules", "correlation")
LEVELS = ["blue", "yellow", "orange", "red"]
SENSOR_ID = "demo-rack-a-sensor-1"  # tests/data/demo-sensor.yaml


# ---------------------------------------------------------------- helpers

def free_port_pair():
    """A port p with p+1 free too (the broker's controller listens on p+1)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            p = s.getsockname()[1]
        with socket.socket() as s2:
            try:
                s2.bind(("127.0.0.1", p + 1))
                return p
            except OSError:
                continue
    pytest.fail("no free port pair on 127.0.0.1")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def api(base, token, path):
    """(status, JSON body or None)."""
    req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, None


def api_all(base, token, path, key):
    items, cursor = [], None
    while True:
        q = "%s%slimit=1000%s" % (path, "&" if "?" in path else "?",
                                   "&cursor=" + urllib.request.quote(cursor) if cursor else "")
        code, page = api(base, token, q)
        assert code == 200, "GET %s: HTTP %s" % (q, code)
        items += page[key]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


def pid_of(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def runs_in(pid, demo_dir):
    """True when pid is alive and its command line names the demo directory (our broker or ingest)."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return demo_dir.encode() in f.read()
    except OSError:
        return False


# ---------------------------------------------------------------- the demo's output

class DemoRun:
    """What one demo.sh run printed, parsed."""

    ROW = re.compile(r"^\s+(\d+)\s+(blue|yellow|orange|red)\s+(\S+)\s+(\d+)\s+(open|acknowledged|closed)\s+(.+)$")
    LEVEL = re.compile(r"^\s+(\S+)\s+(\d+)\s+(blue|yellow|orange|red)\s+(\d+)\s+(\d+)\s+"
                       r"(\d+) reporting, (\d+) silent$")

    def __init__(self, proc):
        self.out = proc.stdout
        self.err = proc.stderr
        self.rc = proc.returncode

    def parse(self):
        out = self.out
        m = re.search(r"^Console:\s+(http://127\.0\.0\.1:\d+)/$", out, re.M)
        assert m, "no console URL printed"
        self.base = m.group(1)
        self.admin = re.search(r"admin token\s+([0-9a-f]{32})\b", out).group(1)
        self.acme = re.search(r"acme analyst token\s+([0-9a-f]{32})\b", out).group(1)
        head = re.search(r"^Incidents \((\d+), GET /api/v1/incidents\)$", out, re.M)
        assert head, "no incident table printed"
        self.incidents_announced = int(head.group(1))
        section = out[head.end():out.index("\nWarning level per tenant")]
        self.incidents = [(int(i), lvl, t, int(n), st, title)
                          for i, lvl, t, n, st, title in (self.ROW.match(l).groups()
                                                          for l in section.splitlines() if self.ROW.match(l))]
        section = out[out.index("\nWarning level per tenant"):out.index("\nConsole:")]
        self.levels = [(t, int(tid), lvl, int(a), int(o), int(r), int(s))
                       for t, tid, lvl, a, o, r, s in (self.LEVEL.match(l).groups()
                                                       for l in section.splitlines() if self.LEVEL.match(l))]
        self.reused_broker = "reusing the broker of the previous demo run" in out
        return self

    def describe(self):
        return "exit %s\nstdout tail:\n%s\nstderr tail:\n%s" % (self.rc, self.out[-4000:], self.err[-3000:])


# ---------------------------------------------------------------- correlation, independently of ingest

def ts_of(alert):
    return datetime.strptime(alert["timestamp"], "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def seconds(span):
    m = re.fullmatch(r"(\d+)([smhd])", str(span))
    assert m, "timespan %r" % span
    return int(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def field(ev, path):
    v = ev
    for part in path.split("."):
        v = v.get(part) if isinstance(v, dict) else None
    return None if v is None else str(v)


def selects(sel, ev):
    """The select keys the bundled rules use, with ingest's documented meaning (DESIGN.md)."""
    al = ev["alert"]
    for key, want in sel.items():
        if key == "signature":
            ok = any(w.lower() in al["signature"].lower() for w in want)
        elif key == "classtype":
            low = [w.lower() for w in want]
            ct = al.get("metadata", {}).get("classtype")
            if isinstance(ct, str):
                ok = ct.lower() in low
            else:
                ok = any(c.lower() in low for c in (ct or [])) or al.get("category", "").lower() in low
        elif key == "severity_max":
            ok = 1 <= al["severity"] <= want
        else:
            pytest.fail("a bundled correlation rule selects by %r, which this test does not evaluate: "
                        "extend selects()" % key)
        if not ok:
            return False
    return True


def load_rules():
    import yaml  # python3-yaml, in deploy/deps-debian.sh

    rules = []
    for path in sorted(glob.glob(os.path.join(CORRELATION, "*.yaml"))):
        with open(path) as f:
            doc = yaml.safe_load(f)
        rules += doc.get("rules", [doc]) if isinstance(doc, dict) else doc
    assert rules, "no correlation rules in %s" % CORRELATION
    return rules


def title_of(rule, ev):
    return re.sub(r"\{([a-z_.]+)\}", lambda m: field(ev, m.group(1)) or "", rule["title"])


def implied_incidents(alerts, rules):
    """{(rule id, tenant, title): [alerts of the group]} for every group the rules fire on."""
    out = {}
    for r in rules:
        span = seconds(r["timespan"])
        cond = r.get("condition", {})
        extra = set(cond) - {"gte", "field"}
        assert not extra, "rule %s: condition %s not evaluated here" % (r["id"], extra)
        groups = defaultdict(list)
        steps = r.get("steps")
        for a in alerts:
            if steps:
                if not any(selects(s["select"], a) for s in steps):
                    continue
            elif not selects(r.get("select", {}), a):
                continue
            key = tuple(field(a, g) for g in r["group-by"])
            if None not in key:
                groups[key].append(a)
        for key, evs in groups.items():
            evs.sort(key=ts_of)
            ts = [ts_of(a) for a in evs]
            if r["type"] == "event_count":
                k = cond["gte"]
                fires = any(ts[i + k - 1] - ts[i] <= span for i in range(len(evs) - k + 1))
            elif r["type"] == "value_count":
                fires = any(len({field(b, cond["field"]) for b, tb in zip(evs, ts) if t <= tb <= t + span})
                            >= cond["gte"] for t in ts)
            elif r["type"] == "temporal_ordered":
                assert len(steps) == 2, "rule %s: only two-step sequences are evaluated here" % r["id"]
                fires = any(a is not b and selects(steps[0]["select"], a) and selects(steps[1]["select"], b)
                            and 0 <= tb - ta <= span for a, ta in zip(evs, ts) for b, tb in zip(evs, ts))
            else:
                pytest.fail("rule %s: type %s is not evaluated here" % (r["id"], r["type"]))
            if fires:
                # every tenant with alerts in the group gets its own incident (cross-tenant rules)
                for tenant in sorted({a["tenant"] for a in evs}):
                    mine = [a for a in evs if a["tenant"] == tenant]
                    out[(r["id"], tenant, title_of(r, mine[0]))] = mine
    return out


def implied_levels(implied, rules):
    level = {r["id"]: r["level"] for r in rules}
    out = defaultdict(lambda: "blue")
    for rid, tenant, _ in implied:
        if LEVELS.index(level[rid]) > LEVELS.index(out[tenant]):
            out[tenant] = level[rid]
    return out


# ---------------------------------------------------------------- the test

@pytest.fixture
def demo_env():
    for name in ("sensor/yunshao-sensor", "ingest/yunshao-ingest"):
        if not os.access(os.path.join(BUILD, name), os.X_OK):
            pytest.fail("%s/%s is not built (YS_BUILD=%s)" % (BUILD, name, BUILD))
    if not shutil.which("java"):
        print("SKIP: java is not installed: the demo's Kafka broker cannot run (deploy/deps-debian.sh)")
        pytest.skip("java is not installed")
    d = tempfile.mkdtemp(prefix="yunshao-demo-")
    env = dict(os.environ, YS_DEMO_DIR=d, YS_DEMO_KAFKA_PORT=str(free_port_pair()),
               YS_DEMO_API_PORT=str(free_port()), YS_DEMO_TIMEOUT="90")
    pids = {}
    try:
        yield d, env, pids
    finally:
        # what the demo left running, as its pid files say, before demo.sh stop removes them
        for name, path in (("kafka", "kafka/kafka.pid"), ("ingest", "ingest/ingest.pid")):
            pid = pid_of(os.path.join(d, path))
            if pid:
                pids.setdefault(name, pid)
        stop = subprocess.run([DEMO_SH, "stop"], env=env, capture_output=True, text=True, timeout=180)
        left = {n: p for n, p in pids.items() if runs_in(p, d)}
        for pid in left.values():  # never leave a process, even when the stop is broken
            os.kill(pid, signal.SIGKILL)
        open_ports = [p for p in (int(env["YS_DEMO_KAFKA_PORT"]), int(env["YS_DEMO_API_PORT"])) if listening(p)]
        shutil.rmtree(d, ignore_errors=True)
        assert stop.returncode == 0, "demo.sh stop failed:\n" + stop.stdout + stop.stderr
        assert not left, "demo.sh stop left %s running:\n%s" % (left, stop.stdout + stop.stderr)
        assert not open_ports, "ports %s still listening after demo.sh stop" % open_ports


def run_demo(env):
    proc = subprocess.run([DEMO_SH, BUILD], env=env, capture_output=True, text=True, timeout=900)
    run = DemoRun(proc)
    assert run.rc == 0, "demo.sh failed\n" + run.describe()
    return run.parse()


def check_run(run, demo_dir, rules, recent):
    """The printed tables equal the API's answers and what eve.json implies. recent: the demo replayed
    the capture as if it had just ended (YS_DEMO_RETIME=1), so all of it is in the last 24 hours."""
    with open(os.path.join(demo_dir, "out", "eve.json")) as f:
        alerts = [json.loads(l) for l in f if l.strip()]
    assert alerts and all(a["event_type"] == "alert" for a in alerts)

    # ingest stored exactly the alerts of eve.json
    stored = api_all(run.base, run.admin, "/api/v1/alerts", "alerts")
    assert sorted(a["event_id"] for a in stored) == sorted(a["event_id"] for a in alerts)

    # printed incidents == the API's incidents. The sensor read a file and exited, so some 30 s later
    # ingest reports it silent: a "_system" incident that may or may not have been there when the
    # demo printed; nothing else may differ.
    incidents = api_all(run.base, run.admin, "/api/v1/incidents", "incidents")
    system = [i for i in incidents if i["tenant"] == "_system"]
    for i in system:
        assert i["rule"] == "ys.sensor-silent" and SENSOR_ID in i["title"] and i["level"] == "yellow", i
    assert run.incidents_announced == len(run.incidents)
    rows = set((i["id"], i["level"], i["tenant"], i["alert_count"], i["status"], i["title"]) for i in incidents)
    assert set(run.incidents) <= rows, "printed incidents the API does not have: %s" % (set(run.incidents) - rows)
    assert {r for r in rows - set(run.incidents)} <= {r for r in rows if r[2] == "_system"}
    incidents = [i for i in incidents if i["tenant"] != "_system"]

    # ... == what the bundled rules give on eve.json
    implied = implied_incidents(alerts, rules)
    got = sorted((i["rule"], i["tenant"], i["title"]) for i in incidents)
    assert got == sorted(implied), "incidents differ from eve.json's: only in the API %s, only implied %s" % (
        sorted(set(got) - set(implied)), sorted(set(implied) - set(got)))
    by_key = {(i["rule"], i["tenant"], i["title"]): i for i in incidents}
    levels = {r["id"]: r["level"] for r in rules}
    for key, inc in by_key.items():
        assert inc["level"] == levels[key[0]], key

    # the brute-force incident: the tenant and addresses of the SSH brute force, every attempt counted
    brute = [a for a in alerts if "brute" in a["alert"]["signature"].lower()]
    assert brute, "no brute-force alert in eve.json"
    (tenant,) = {a["tenant"] for a in brute}
    (src,) = {a["src_ip"] for a in brute}
    (dst,) = {a["dest_ip"] for a in brute}
    inc = by_key.get(("ys.corr.brute-force", tenant, "Brute force from %s against %s" % (src, dst)))
    assert inc, "no brute-force incident for %s %s -> %s" % (tenant, src, dst)
    assert ts_of(brute[-1]) - ts_of(brute[0]) <= 300 and inc["alert_count"] == len(brute)
    for key, evs in implied.items():  # every event_count rule counts the whole burst likewise
        if key[0] in ("ys.corr.brute-force", "ys.corr.c2-beacon"):
            assert by_key[key]["alert_count"] == len(evs), key

    # the cross-tenant campaign: a source seen in three or more tenants, an incident in each of them.
    # (Their alert counts are not compared: ingest's value_count keeps one alert per distinct tenant
    # until the rule fires, so a tenant's earlier alerts are attached or not depending on the order
    # the by-source topic delivers them; reported to the lead.)
    tenants_of = defaultdict(set)
    for a in alerts:
        if a["alert"]["severity"] <= 3:
            tenants_of[a["src_ip"]].add(a["tenant"])
    campaign = {s: t for s, t in tenants_of.items() if len(t) >= 3}
    assert campaign, "the sample traffic has no source attacking three tenants"
    for s, ts in campaign.items():
        have = {i["tenant"] for i in incidents if i["rule"] == "ys.corr.cross-tenant-campaign" and s in i["title"]}
        assert have == ts, "campaign of %s: incidents in %s, alerts in %s" % (s, sorted(have), sorted(ts))

    # printed levels == the API's situation == what the implied incidents say. The situation lists
    # the tenants with alerts in the last 24 hours or open incidents.
    # (Sensors reporting or silent change when the exited sensor's heartbeats stop: compared apart.)
    code, sit = api(run.base, run.admin, "/api/v1/situation")
    assert code == 200
    tenants = [t for t in sit["tenants"] if t["tenant"] != "_system"]
    printed = [r for r in run.levels if r[0] != "_system"]
    assert sorted(r[:5] for r in printed) == sorted(
        (t["tenant"], t["tenant_id"], t["level"], t["alerts_24h"], t["incidents_open"]) for t in tenants)
    want_levels = implied_levels(implied, rules)
    per_tenant = Counter(a["tenant"] for a in alerts) if recent else Counter()
    tenant_ids = {a["tenant"]: a["tenant_id"] for a in alerts}
    assert sorted(t["tenant"] for t in tenants) == sorted(set(per_tenant) | {k[1] for k in implied})
    for t in tenants:
        name = t["tenant"]
        assert t["tenant_id"] == tenant_ids[name], name
        assert t["level"] == want_levels[name], name
        assert t["alerts_24h"] == per_tenant[name], name
        assert t["incidents_open"] == sum(1 for k in implied if k[1] == name), name
        # the one demo sensor, reporting or silent, for every tenant it saw within 24 hours
        assert t["sensors"]["reporting"] + t["sensors"]["silent"] == (1 if recent else 0), name
    for r in printed:
        assert r[5] + r[6] == (1 if recent else 0), r
    assert any(l != "blue" for l in want_levels.values())
    code, sensors = api(run.base, run.admin, "/api/v1/sensors")
    assert code == 200 and [(x["id"], x["rack"]) for x in sensors["sensors"]] == [(SENSOR_ID, "rack-a")]

    # the acme analyst token sees acme and nothing else
    code, who = api(run.base, run.acme, "/api/v1/whoami")
    assert code == 200 and who["role"] == "analyst" and who["tenants"] == ["acme"]
    mine = api_all(run.base, run.acme, "/api/v1/incidents", "incidents")
    assert sorted(i["id"] for i in mine) == sorted(i["id"] for i in incidents if i["tenant"] == "acme")
    assert mine, "no acme incident to look at with the acme token"
    foreign = [i for i in incidents if i["tenant"] != "acme"]
    assert foreign and api(run.base, run.acme, "/api/v1/incidents/%d" % foreign[0]["id"])[0] == 404
    code, who = api(run.base, run.admin, "/api/v1/whoami")
    assert code == 200 and who["role"] == "admin"

    # the console is served where the demo says
    with urllib.request.urlopen(run.base + "/", timeout=10) as r:
        assert "assets/app.js" in r.read().decode()
    return implied


def test_demo_end_to_end_twice(demo_env):
    d, env, pids = demo_env
    rules = load_rules()

    first = run_demo(env)
    pids["kafka"] = pid_of(os.path.join(d, "kafka", "kafka.pid"))
    pids["ingest"] = pid_of(os.path.join(d, "ingest", "ingest.pid"))
    assert all(pids.values()) and all(runs_in(p, d) for p in pids.values()), pids
    assert first.base == "http://127.0.0.1:%s" % env["YS_DEMO_API_PORT"]
    implied = check_run(first, d, rules, recent=True)

    # again, in the same directory: the broker is reused, ingest restarted with a fresh store and new
    # tokens; this time the capture keeps its 2026-01-01 timestamps (the findings are the same)
    t0 = time.time()
    second = run_demo(dict(env, YS_DEMO_RETIME="0"))
    print("second run: %.1f s" % (time.time() - t0))
    assert second.reused_broker, "the second run did not reuse the broker:\n" + second.out[:2000]
    assert pid_of(os.path.join(d, "kafka", "kafka.pid")) == pids["kafka"]
    old_ingest, pids["ingest2"] = pids["ingest"], pid_of(os.path.join(d, "ingest", "ingest.pid"))
    assert pids["ingest2"] != old_ingest and not runs_in(old_ingest, d)
    assert {second.admin, second.acme}.isdisjoint({first.admin, first.acme})
    assert api(second.base, first.admin, "/api/v1/whoami")[0] == 401
    assert check_run(second, d, rules, recent=False).keys() == implied.keys()
