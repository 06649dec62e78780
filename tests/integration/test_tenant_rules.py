"""Per-tenant rule sets: a tenant's own rule files and variables apply to its traffic only, and
tenants with the same overrides share one engine (sensor/ruleset.c)."""

import json
import os
import subprocess

from scapy.all import Dot1Q, Ether, IP, UDP, wrpcap

GLOBAL_RULE = 'alert udp any any -> any 9999 (msg:"global canary"; content:"CANARY"; sid:100; rev:1;)\n'
TENANT_RULE = ('alert udp any any -> $HOME_NET any (msg:"tenant token"; content:"EVILTOKEN"; '
               'sid:200; rev:1;)\n')


def frame(vlan, payload, dport=5000):
    return (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / Dot1Q(vlan=vlan) /
            IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=40000, dport=dport) / payload)


def write_setup(d):
    pcap = os.path.join(d, "t.pcap")
    pkts = [frame(v, b"xx EVILTOKEN xx") for v in (100, 200, 300, 400)]
    pkts += [frame(v, b"CANARY", dport=9999) for v in (100, 200, 300, 400)]
    for i, p in enumerate(pkts):
        p.time = 1700000000 + i
    wrpcap(pcap, pkts)
    with open(os.path.join(d, "global.rules"), "w") as f:
        f.write(GLOBAL_RULE)
    with open(os.path.join(d, "tenant.rules"), "w") as f:
        f.write(TENANT_RULE)
    conf = os.path.join(d, "sensor.yaml")
    with open(conf, "w") as f:
        f.write("""
rule-files: [global.rules]          # relative: resolved beside this file
vars:
  address-groups:
    HOME_NET: "[172.16.0.0/12]"
tenants:
  - {id: 1, name: alpha, vlan: [100], rules: [tenant.rules], vars: {address-groups: {HOME_NET: "[10.0.0.0/24]"}}}
  - {id: 2, name: beta,  vlan: [200], rules: [tenant.rules], vars: {address-groups: {HOME_NET: "[192.168.0.0/16]"}}}
  - {id: 3, name: gamma, vlan: [300], rules: [tenant.rules], vars: {address-groups: {HOME_NET: "[10.0.0.0/24]"}}}
  - {id: 4, name: delta, vlan: [400]}
""")
    return pcap, conf


def test_tenant_rules_apply_to_their_tenant_only(sensor_bin, workdir):
    pcap, conf = write_setup(workdir)
    out = os.path.join(workdir, "out")
    p = subprocess.run([sensor_bin, "-r", pcap, "-c", conf, "-k", "none", "-l", out],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    alerts = [json.loads(l) for l in open(os.path.join(out, "eve.json"))]
    got = sorted((a["tenant"], a["alert"]["signature_id"]) for a in alerts)
    # The global rule fires for every tenant; the tenant rule only where the tenant loads it and its
    # own HOME_NET holds the destination: alpha and gamma (10.0.0.0/24), not beta (192.168/16) nor
    # delta (no tenant rules).
    assert got == sorted([("alpha", 100), ("beta", 100), ("gamma", 100), ("delta", 100),
                          ("alpha", 200), ("gamma", 200)]), got


def test_tenants_with_equal_overrides_share_an_engine(sensor_bin, workdir):
    _, conf = write_setup(workdir)
    p = subprocess.run([sensor_bin, "-T", "-c", conf], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    lines = [l for l in p.stdout.splitlines() if l.startswith(("rules:", "tenant "))]
    # global, alpha (shared with gamma), beta: three engines.
    assert len(lines) == 3, p.stdout
    assert lines[0].startswith("rules: 1 loaded"), p.stdout
    assert lines[1].startswith("tenant 1 (alpha)") and "rules: 2 loaded" in lines[1], p.stdout
    assert lines[2].startswith("tenant 2 (beta)") and "rules: 2 loaded" in lines[2], p.stdout
