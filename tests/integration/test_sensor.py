"""yunshao-sensor on generated captures: exact alerts, tenants, tunnels, decode errors, -T, exit codes.

The captures come from tests/data/gen_traffic.py (one per scenario plus sample.pcap, all scenarios in
one file); its manifest.json says, from what the generator put on the wire, which alerts the bundled pack
(rules/yunshao-cloud.rules) must raise with the tenant map rules/tenants.example.yaml. Every scenario is
compared as a multiset of (sid, tenant, tenant_id, addresses, ports, proto): a missing alert, an extra
alert or an alert in the wrong tenant fails. Benign traffic must raise nothing.

Beyond the alert set, every alert is checked for: tenant name and id, the overlay tunnel object and VLAN
list of the packet, one flow_id per flow (and distinct flows never share one), a unique UUIDv7 event_id, a
timestamp inside the capture, the rule's classification (category, severity) and metadata, and validity
against common/schema/alert.schema.json.

Run: YS_BUILD=$PWD/build /usr/bin/python3 -m pytest -q tests/integration/test_sensor.py
"""

import calendar
import collections
import ipaddress
import json
import os
import re

import pytest

from conftest import REPO, RULES, run_sensor

SCHEMA = os.path.join(REPO, "common", "schema", "alert.schema.json")
CLASSIFICATION = os.path.join(REPO, "rules", "classification.config")
UUID7 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
EVE_TS = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{6})([+-])(\d\d)(\d\d)$")


# ------------------------------------------------------------------------------------------------
# What the rule pack says about itself
# ------------------------------------------------------------------------------------------------

def _parse_rules(path):
    """sid -> {classtype, metadata{key: [values]}, text} for every active rule of the pack."""
    rules = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            sid = int(re.search(r"\bsid:(\d+);", line).group(1))
            ct = re.search(r"\bclasstype:([\w-]+);", line)
            meta = collections.defaultdict(list)
            m = re.search(r"\bmetadata:([^;]+);", line)
            if m:
                for kv in m.group(1).split(","):
                    k, v = kv.strip().split(None, 1)
                    meta[k].append(v.strip())
            rules[sid] = {"classtype": ct.group(1) if ct else None, "metadata": dict(meta), "text": line}
    return rules


def _parse_classification(path):
    table = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"^config classification:\s*([^,]+),([^,]+),\s*(\d+)\s*$", line)
            if m:
                table[m.group(1).strip()] = (m.group(2).strip(), int(m.group(3)))
    return table


PACK = _parse_rules(RULES)
CLASSES = _parse_classification(CLASSIFICATION)


# ------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------

def _ip(s):
    return ipaddress.ip_address(s).compressed


def _key(sid, tenant, tenant_id, src, sport, dst, dport, proto):
    return (sid, tenant, tenant_id, _ip(src), sport, _ip(dst), dport, proto)


def expected_keys(entry):
    keys = collections.Counter()
    for a in entry["alerts"]:
        ports = a.get("src_ports") or [a.get("src_port")] * a["count"]
        assert len(ports) == a["count"] and None not in ports, "manifest entry without source ports: %r" % a
        for p in ports:
            keys[_key(a["sid"], a["tenant"], a["tenant_id"], a["src_ip"], p, a["dest_ip"], a["dest_port"],
                      a["proto"])] += 1
    return keys


def actual_keys(alerts):
    return collections.Counter(
        _key(e["alert"]["signature_id"], e.get("tenant"), e.get("tenant_id"), e["src_ip"], e.get("src_port"),
             e["dest_ip"], e.get("dest_port"), e.get("proto")) for e in alerts)


def _eve_ts(s):
    m = EVE_TS.match(s)
    assert m, "timestamp %r is not EVE format" % s
    y, mo, d, h, mi, sec, us, sign, oh, om = m.groups()
    t = calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(sec))) + int(us) / 1e6
    off = (int(oh) * 3600 + int(om) * 60) * (1 if sign == "+" else -1)
    return t - off


def _flow_key(e):
    ends = sorted([(_ip(e["src_ip"]), e.get("src_port")), (_ip(e["dest_ip"]), e.get("dest_port"))])
    return (e.get("tenant_id"), e.get("proto"), tuple(ends))


def _diff(want, have):
    missing = want - have
    extra = have - want
    lines = []
    for k, n in sorted(missing.items()):
        lines.append("  missing %dx %r" % (n, k))
    for k, n in sorted(extra.items()):
        lines.append("  extra   %dx %r" % (n, k))
    return "\n".join(lines)


_schema_validator = None


def _schema():
    """A jsonschema validator for the alert schema, or None (with the reason printed) when absent."""
    global _schema_validator
    if _schema_validator is None:
        if not os.path.exists(SCHEMA):
            print("schema check skipped: %s does not exist yet" % SCHEMA)
            _schema_validator = False
        else:
            import jsonschema
            with open(SCHEMA) as f:
                schema = json.load(f)
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            _schema_validator = cls(schema, format_checker=jsonschema.FormatChecker())
    return _schema_validator or None


# Runs are cached per capture: each scenario is checked by several tests.
_runs = {}


@pytest.fixture(scope="session")
def scenario_run(sensor_bin, traffic, sensor_config, tmp_path_factory):
    def get(name):
        if name not in _runs:
            out = str(tmp_path_factory.mktemp("run-" + name.replace(".", "-")))
            _runs[name] = run_sensor(sensor_bin, out, pcap=traffic.pcap(name), config=sensor_config)
            r = _runs[name]
            assert r.rc == 0, "sensor failed on %s\n%s" % (name, r.describe())
        return _runs[name]

    return get


SCENARIOS = ["tenants.pcap", "scan.pcap", "sqli.pcap", "log4shell.pcap", "webshell.pcap", "mining.pcap",
             "ssh_bruteforce.pcap", "dns_tunnel.pcap", "c2_beacon.pcap", "fragments.pcap", "ipv6.pcap",
             "campaign.pcap", "cloud.pcap", "benign.pcap", "applayer.pcap", "malformed.pcap"]


# ------------------------------------------------------------------------------------------------
# The pack itself
# ------------------------------------------------------------------------------------------------

def test_pack_is_consistent():
    """sids in range and unique, classtypes known, MLPS ids and categories defined in mlps-controls.yaml."""
    import yaml
    with open(os.path.join(REPO, "rules", "mlps-controls.yaml")) as f:
        mlps = yaml.safe_load(f)
    control_ids = {c["id"] for c in mlps["controls"]}
    categories = set(mlps["categories"])
    sids = []
    with open(RULES) as f:
        lines = f.read().splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("alert"):
            continue
        sid = int(re.search(r"\bsid:(\d+);", line).group(1))
        sids.append(sid)
        assert 9100000 <= sid <= 9199999, "sid %d outside 9100000-9199999" % sid
        assert re.search(r"\bgid:1;", line) and re.search(r"\brev:\d+;", line), "sid %d: gid/rev" % sid
        assert lines[i - 1].startswith("# "), "sid %d has no comment line above it" % sid
        r = PACK[sid]
        assert r["classtype"] in CLASSES, "sid %d: classtype %s not in classification.config" % (sid, r["classtype"])
        assert r["metadata"].get("mlps_control"), "sid %d: no mlps_control" % sid
        for c in r["metadata"]["mlps_control"]:
            assert c in control_ids, "sid %d: mlps_control %s not in mlps-controls.yaml" % (sid, c)
        assert r["metadata"].get("ys_category", [None])[0] in categories, "sid %d: ys_category" % sid
    assert len(sids) == len(set(sids)), "duplicate sids"
    for c in mlps["controls"]:
        for cat in c["categories"]:
            assert cat in categories, "control %s names unknown category %s" % (c["id"], cat)


def test_every_rule_has_traffic(traffic):
    """Each rule of the pack is exercised by at least one generated scenario."""
    assert sorted(SCENARIOS) == sorted(traffic.manifest["pcaps"]), "SCENARIOS out of step with the generator"
    covered = {a["sid"] for e in traffic.manifest["pcaps"].values() for a in e["alerts"]}
    assert set(PACK) - covered == set(), "rules without traffic: %s" % sorted(set(PACK) - covered)


# ------------------------------------------------------------------------------------------------
# -T, broken rules, exit codes
# ------------------------------------------------------------------------------------------------

def test_rule_test_mode_loads_whole_pack(sensor, sensor_config):
    r = sensor(config=sensor_config, extra=["-T"])
    assert r.rc == 0, r.describe()
    m = re.search(r"rules: (\d+) loaded, (\d+) failed", r.stdout)
    assert m, "no rules summary in -T output:\n" + r.stdout
    assert (int(m.group(1)), int(m.group(2))) == (len(PACK), 0), r.stdout
    import yaml
    with open(sensor_config) as f:
        ntenants = len(yaml.safe_load(f)["tenants"]) + 1  # + tenant 0, "unassigned"
    assert re.search(r"ok; %d tenants" % ntenants, r.stdout), r.stdout
    r = sensor(config=sensor_config, extra=["-T", "--strict-rules"])
    assert r.rc == 0, r.describe()


def test_rule_test_mode_reports_broken_rules(sensor, workdir):
    path = os.path.join(workdir, "broken.rules")
    with open(path, "w") as f:
        f.write('# a good rule, an unknown keyword, a syntax error\n'
                'alert tcp any any -> any 80 (msg:"ok"; content:"GET"; sid:1; rev:1;)\n'
                'alert tcp any any -> any 80 (msg:"unknown keyword"; content:"GET"; frobnicate:7; sid:2; rev:1;)\n'
                'alert tcp any any -> any 80 (msg:"unterminated"; content:"GET; sid:3; rev:1;)\n'
                'alert tcp any any -> any 80 (msg:"ok too"; content:"POST"; sid:4; rev:1;)\n')
    r = sensor(rules=[path], extra=["-T"])
    assert r.rc == 0, "without --strict-rules, failed rules are reported, not fatal\n" + r.describe()
    m = re.search(r"rules: (\d+) loaded, (\d+) failed", r.stdout)
    assert m and (int(m.group(1)), int(m.group(2))) == (2, 2), r.stdout
    out = r.stdout + r.stderr
    assert re.search(r"%s:3: sid 2: keyword 'frobnicate'" % re.escape(path), out), out
    assert re.search(r"%s:4: .*" % re.escape(path), out), "the syntax error names file:line\n" + out
    r = sensor(rules=[path], extra=["-T", "--strict-rules"])
    assert r.rc != 0, "--strict-rules must fail on failed rules\n" + r.describe()


@pytest.mark.parametrize("what", ["pcap", "rules", "config"])
def test_missing_file_fails_with_one_line_reason(sensor, traffic, sensor_config, what):
    missing = "/nonexistent/yunshao-%s-missing" % what
    args = {"pcap": traffic.pcap("benign.pcap"), "config": sensor_config, "rules": [RULES]}
    if what == "rules":
        args["rules"] = [missing]
    else:
        args[what] = missing
    r = sensor(**args)
    assert r.rc != 0, "missing %s must fail\n%s" % (what, r.describe())
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert lines, "no reason printed for a missing %s" % what
    assert any(missing in l for l in lines), "the reason must name the file:\n" + r.stderr
    assert len(lines) <= 2, "one-line reason expected, got:\n" + r.stderr
    assert not os.path.exists(os.path.join(r.outdir, "eve.json")) or os.path.getsize(
        os.path.join(r.outdir, "eve.json")) == 0


def test_bad_tenant_map_fails_with_file_and_line(sensor, workdir):
    """A VNI claimed by two tenants is a configuration error: refused at start, naming file and line."""
    path = os.path.join(workdir, "dup-vni.yaml")
    with open(path, "w") as f:
        f.write("tenants:\n"
                "  - id: 1\n    name: one\n    vni: [5001]\n"
                "  - id: 2\n    name: two\n    vni: [5001]\n")
    r = sensor(config=path, extra=["-T"])
    assert r.rc != 0, r.describe()
    assert re.search(r"%s:\d+:" % re.escape(path), r.stderr), "no file:line in the reason:\n" + r.stderr
    assert "5001" in r.stderr, r.stderr


def test_bad_option_fails(sensor):
    r = sensor(extra=["-k", "sometimes", "-T"])
    assert r.rc != 0 and "-k" in r.stderr, r.describe()


# ------------------------------------------------------------------------------------------------
# Exact alerts per scenario
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_exact_alerts(scenario_run, traffic, name):
    entry = traffic.manifest["pcaps"][name]
    r = scenario_run(name)
    want, have = expected_keys(entry), actual_keys(r.alerts)
    assert have == want, "%s: %s\nalerts differ:\n%s\n%s" % (name, entry["description"], _diff(want, have),
                                                              r.describe())


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_alert_fields(scenario_run, traffic, name):
    """Tenant, tunnel, vlan, app_proto, classification, metadata, timestamp, schema of every alert."""
    entry = traffic.manifest["pcaps"][name]
    r = scenario_run(name)
    by_key = {}
    for a in entry["alerts"]:
        for p in a.get("src_ports") or [a["src_port"]]:
            by_key[(a["sid"], a["tenant"], _ip(a["src_ip"]), p)] = a
    validator = _schema()
    for e in r.alerts:
        sid = e["alert"]["signature_id"]
        a = by_key.get((sid, e.get("tenant"), _ip(e["src_ip"]), e.get("src_port")))
        if a is None:
            continue  # reported by test_scenario_exact_alerts
        ctx = "%s sid %d %s:%s: " % (name, sid, e["src_ip"], e.get("src_port"))
        assert e["tenant"] == a["tenant"] and e["tenant_id"] == a["tenant_id"], ctx + "tenant"
        if "tunnel" in a:
            t = e.get("tunnel")
            assert t, ctx + "no tunnel object on overlay traffic"
            assert (t["type"], t["vni"], _ip(t["src_ip"]), _ip(t["dest_ip"])) == (
                a["tunnel"]["type"], a["tunnel"]["vni"], _ip(a["tunnel"]["src_ip"]),
                _ip(a["tunnel"]["dest_ip"])), ctx + "tunnel %r" % t
        else:
            assert "tunnel" not in e, ctx + "tunnel object on traffic without overlay"
        assert e.get("vlan", []) == a.get("vlan", []), ctx + "vlan %r" % e.get("vlan")
        if "app_proto" in a:
            assert e.get("app_proto") == a["app_proto"], ctx + "app_proto %r" % e.get("app_proto")
        rule = PACK[sid]
        desc, prio = CLASSES[rule["classtype"]]
        al = e["alert"]
        assert (al["gid"], al["rev"]) == (1, 1), ctx + "gid/rev"
        assert al["category"] == desc and al["severity"] == prio, ctx + "classification %r" % al
        assert al["signature"].startswith("YUNSHAO "), ctx + "signature"
        md = al.get("metadata") or {}
        assert sorted(md.get("mlps_control", [])) == sorted(rule["metadata"]["mlps_control"]), ctx + "metadata %r" % md
        assert md.get("ys_category") == rule["metadata"]["ys_category"], ctx + "metadata %r" % md
        ts = _eve_ts(e["timestamp"])
        assert entry["first_ts"] - 1e-3 <= ts <= entry["last_ts"] + 1e-3, ctx + "timestamp %s outside capture" % e["timestamp"]
        assert isinstance(e.get("flow_id"), int) and e["flow_id"] > 0, ctx + "flow_id"
        assert UUID7.match(e.get("event_id", "")), ctx + "event_id %r is not a UUIDv7" % e.get("event_id")
        if validator is not None:
            errors = sorted(validator.iter_errors(e), key=lambda x: list(x.path))
            assert not errors, ctx + "schema: " + "; ".join(
                "%s: %s" % ("/".join(map(str, x.path)), x.message) for x in errors[:5])


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_flows_and_event_ids(scenario_run, name):
    """Alerts of one flow share one flow_id; different flows never do; event_ids are unique."""
    r = scenario_run(name)
    ids = collections.defaultdict(set)
    for e in r.alerts:
        ids[_flow_key(e)].add(e["flow_id"])
    for k, v in ids.items():
        assert len(v) == 1, "%s: flow %r has several flow_ids %r" % (name, k, v)
    owners = collections.defaultdict(set)
    for k, v in ids.items():
        owners[next(iter(v))].add(k)
    shared = {fid: ks for fid, ks in owners.items() if len(ks) > 1}
    assert not shared, "%s: distinct flows share a flow_id: %r" % (name, shared)
    eids = [e["event_id"] for e in r.alerts]
    assert len(eids) == len(set(eids)), "%s: duplicate event_id" % name


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_stats(scenario_run, traffic, name):
    entry = traffic.manifest["pcaps"][name]
    r = scenario_run(name)
    s = r.stats
    assert s is not None, "no stats.json\n" + r.describe()
    assert s["capture"]["packets"] == entry["packets"], "packets read"
    assert s["capture"]["bytes"] == entry["bytes"], "bytes read"
    assert s["alerts"] == len(r.alerts), "stats alerts vs eve.json lines"
    assert (s["detect"]["rules_loaded"], s["detect"]["rules_failed"]) == (len(PACK), 0)
    errors = {k: v for k, v in s["decoder"].get("errors", {}).items() if v}
    want = entry.get("decode_errors", {})
    assert errors == want, "%s: decode errors %r, expected %r" % (name, errors, want)
    assert s["decoder"]["invalid"] == sum(want.values())
    for k, v in entry["decoder"].items():
        assert s["decoder"][k] == v, "%s: decoder.%s = %d, the capture has %d" % (name, k, s["decoder"][k], v)
    assert s["flow"]["created"] == entry["flows"], "%s: flows created %d, the capture has %d (tenant + 5-tuple)" % (
        name, s["flow"]["created"], entry["flows"])


# ------------------------------------------------------------------------------------------------
# Focused checks that read better on their own
# ------------------------------------------------------------------------------------------------

def test_overlapping_tenants_stay_apart(scenario_run):
    """acme (VXLAN 5001) and globex (GENEVE 6001) use the same inner 5-tuple: two flows, two tenants."""
    r = scenario_run("tenants.pcap")
    same = [e for e in r.alerts if e["src_ip"] == "10.0.0.5" and e.get("src_port") == 41000]
    assert sorted(e["tenant"] for e in same) == ["acme", "globex"], same
    acme = next(e for e in same if e["tenant"] == "acme")
    globex = next(e for e in same if e["tenant"] == "globex")
    assert acme["flow_id"] != globex["flow_id"]
    assert (acme["tunnel"]["type"], acme["tunnel"]["vni"]) == ("vxlan", 5001)
    assert (globex["tunnel"]["type"], globex["tunnel"]["vni"]) == ("geneve", 6001)
    by_tenant = {e["tenant"]: e for e in r.alerts}
    assert by_tenant["umbrella"]["vlan"] == [200, 300] and by_tenant["initech"]["vlan"] == [100]
    assert by_tenant["unassigned"]["tenant_id"] == 0
    assert by_tenant["hooli"]["tenant_id"] == 105 and "vlan" not in by_tenant["hooli"]


def test_benign_traffic_is_silent(scenario_run):
    r = scenario_run("benign.pcap")
    assert r.alerts == [], "benign traffic alerted:\n" + "\n".join(
        "%d %s %s:%s -> %s:%s" % (e["alert"]["signature_id"], e["alert"]["signature"], e["src_ip"],
                                  e.get("src_port"), e["dest_ip"], e.get("dest_port")) for e in r.alerts)
    assert r.stats["decoder"]["invalid"] == 0


def test_malformed_frames_are_counted_and_survived(scenario_run, traffic):
    entry = traffic.manifest["pcaps"]["malformed.pcap"]
    r = scenario_run("malformed.pcap")
    errors = {k: v for k, v in r.stats["decoder"]["errors"].items() if v}
    assert errors == entry["decode_errors"]
    assert [e["alert"]["signature_id"] for e in r.alerts] == [9100201], "the attack after the broken frames"


def test_generator_is_deterministic(traffic, tmp_path_factory):
    """Same seed, same bytes: expectations in the manifest hold for every run of the generator."""
    import filecmp
    import subprocess
    from conftest import GEN_TRAFFIC, PYTHON
    out = str(tmp_path_factory.mktemp("traffic-again"))
    subprocess.run([PYTHON, GEN_TRAFFIC, "--out", out, "-q"], check=True, timeout=600)
    names = sorted(traffic.manifest["pcaps"]) + ["sample.pcap", "manifest.json"]
    match, mismatch, errors = filecmp.cmpfiles(traffic.dir, out, names, shallow=False)
    assert mismatch == [] and errors == [], "differs between runs: %r %r" % (mismatch, errors)


def test_eve_option_writes_elsewhere(sensor, traffic, sensor_config, workdir):
    eve = os.path.join(workdir, "alerts-elsewhere.json")
    r = sensor(pcap=traffic.pcap("c2_beacon.pcap"), config=sensor_config, eve=eve)
    assert r.rc == 0, r.describe()
    assert len(r.alerts) == 7, "alerts in --eve file"
    assert not os.path.exists(os.path.join(r.outdir, "eve.json")) or os.path.getsize(
        os.path.join(r.outdir, "eve.json")) == 0


def test_sample_is_the_sum_of_scenarios(sensor_bin, traffic, sensor_config, tmp_path_factory):
    """All scenarios in one capture, an hour apart: the same alerts as the scenarios one by one."""
    want = collections.Counter()
    errors = collections.Counter()
    for name, entry in traffic.manifest["pcaps"].items():
        want += expected_keys(entry)
        errors.update(entry.get("decode_errors", {}))
    out = str(tmp_path_factory.mktemp("run-sample"))
    r = run_sensor(sensor_bin, out, pcap=traffic.pcap("sample.pcap"), config=sensor_config)
    assert r.rc == 0, r.describe()
    have = actual_keys(r.alerts)
    assert have == want, "sample.pcap alerts differ:\n" + _diff(want, have)
    assert r.stats["capture"]["packets"] == traffic.manifest["sample"]["packets"]
    assert {k: v for k, v in r.stats["decoder"]["errors"].items() if v} == dict(errors)
    eids = [e["event_id"] for e in r.alerts]
    assert len(eids) == len(set(eids))


def test_checksums_are_valid(sensor, traffic, sensor_config):
    """With checksum validation on (-k all) nothing changes: the generator writes valid checksums."""
    r = sensor(pcap=traffic.pcap("sample.pcap"), config=sensor_config, checksum="all")
    assert r.rc == 0, r.describe()
    errors = {k: v for k, v in r.stats["decoder"]["errors"].items() if v}
    assert not any(k.endswith("_csum") for k in errors), errors
    want = collections.Counter()
    for entry in traffic.manifest["pcaps"].values():
        want += expected_keys(entry)
    assert actual_keys(r.alerts) == want


def test_bench_capture_generator(sensor, sensor_config, workdir):
    """tests/bench/gen_bench.py (make bench's input), small: valid packets, the attacks it says it put in."""
    import subprocess
    from conftest import PYTHON
    out = os.path.join(workdir, "bench.pcap")
    subprocess.run([PYTHON, os.path.join(REPO, "tests", "bench", "gen_bench.py"), "--out", out, "--size-mb", "4",
                    "--concurrency", "16", "--seed", "7", "--template-scale", "0.1"], check=True, capture_output=True, timeout=600)
    with open(out + ".json") as f:
        info = json.load(f)
    assert os.path.getsize(out) == info["bytes"] >= 4 * 1024 * 1024
    r = sensor(pcap=out, config=sensor_config, checksum="all")
    assert r.rc == 0, r.describe()
    assert r.stats["capture"]["packets"] == info["packets"]
    assert r.stats["decoder"]["invalid"] == 0, r.stats["decoder"]["errors"]
    assert r.stats["flow"]["created"] == info["flows"]
    have = collections.Counter(str(e["alert"]["signature_id"]) for e in r.alerts)
    assert have == collections.Counter(info["expected_alerts_by_sid"])


def test_sample_replayed_at_line_rate_gives_same_alerts(sensor, traffic, sensor_config, workdir):
    """The live-capture tests replay sample.pcap at a fixed packet rate, which collapses the hour between
    scenarios: thresholds and flows must not mix scenarios. Same capture with packets 0.5 ms apart."""
    import struct
    with open(traffic.pcap("sample.pcap"), "rb") as f:
        data = f.read()
    out = bytearray(data[:24])
    off, i = 24, 0
    base = int(traffic.manifest["pcaps"]["tenants.pcap"]["first_ts"]) * 1000000
    while off < len(data):
        _, _, caplen, wirelen = struct.unpack("<IIII", data[off:off + 16])
        t = base + i * 500
        out += struct.pack("<IIII", t // 1000000, t % 1000000, caplen, wirelen) + data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        i += 1
    fast = os.path.join(workdir, "sample-fast.pcap")
    with open(fast, "wb") as f:
        f.write(out)
    r = sensor(pcap=fast, config=sensor_config)
    assert r.rc == 0, r.describe()
    want = collections.Counter()
    for entry in traffic.manifest["pcaps"].values():
        want += expected_keys(entry)
    have = actual_keys(r.alerts)
    assert have == want, "compressed-time sample differs:\n" + _diff(want, have)


def test_tenant_ignore_policy(sensor, traffic, workdir):
    """policy: ignore for umbrella (QinQ 200/300): its traffic is counted and skipped, the others unchanged."""
    import struct
    import yaml
    from conftest import TENANTS_EXAMPLE
    with open(TENANTS_EXAMPLE) as f:
        conf = yaml.safe_load(f)
    for t in conf["tenants"]:
        if t["name"] == "umbrella":
            t["policy"] = "ignore"
    path = os.path.join(workdir, "ignore-umbrella.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(conf, f)
    with open(traffic.pcap("sample.pcap"), "rb") as f:
        data = f.read()
    qinq, off = 0, 24
    while off < len(data):
        caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
        if data[off + 16 + 12:off + 16 + 14] == b"\x88\xa8":
            qinq += 1
        off += 16 + caplen
    r = sensor(pcap=traffic.pcap("sample.pcap"), config=path)
    assert r.rc == 0, r.describe()
    want = collections.Counter()
    for entry in traffic.manifest["pcaps"].values():
        want += expected_keys(entry)
    want = collections.Counter({k: n for k, n in want.items() if k[1] != "umbrella"})
    assert actual_keys(r.alerts) == want
    assert r.stats["policy"]["ignored_tenant"] == qinq > 0
