"""eve.json as a file sink: whole records only, and an append after a torn last line (a writer killed in the
middle of write(2)) starts on a line of its own, so the torn line stays the only bad one."""

import json
import os
import subprocess

from scapy.all import Ether, IP, UDP, wrpcap

RULE = 'alert udp any any -> any any (msg:"token"; content:"TOKEN"; sid:1; rev:1;)\n'


def test_append_after_torn_line(sensor_bin, workdir):
    pcap = os.path.join(workdir, "t.pcap")
    pkts = [Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="10.0.0.1", dst="10.0.0.2") /
            UDP(sport=1000 + i, dport=53) / b"xx TOKEN" for i in range(5)]
    for i, p in enumerate(pkts):
        p.time = 1700000000 + i
    wrpcap(pcap, pkts)
    rules = os.path.join(workdir, "t.rules")
    with open(rules, "w") as f:
        f.write(RULE)
    conf = os.path.join(workdir, "s.yaml")
    with open(conf, "w") as f:
        f.write("outputs:\n  eve:\n    append: yes\n")
    eve = os.path.join(workdir, "eve.json")
    with open(eve, "w") as f:
        f.write('{"timestamp":"2026-11-26T00:00:00.000000+0000","event_ty')  # torn by a SIGKILL
    for _ in range(2):
        p = subprocess.run([sensor_bin, "-r", pcap, "-S", rules, "-c", conf, "-l", workdir, "-k", "none"],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
    with open(eve) as f:
        text = f.read()
    assert text.endswith("\n")
    lines = text.split("\n")[:-1]
    assert lines[0].startswith('{"timestamp":"2026-11-26') and lines[0].endswith("event_ty")
    records = [json.loads(l) for l in lines[1:]]  # every other line is a whole record
    assert len(records) == 10 and all(r["alert"]["signature_id"] == 1 for r in records)
