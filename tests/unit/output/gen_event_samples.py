#!/usr/bin/python3
"""Writes event_samples.jsonl: alerts labelled valid/invalid, one per line as
"<valid|invalid>\t<json>". test_event_validate checks that both the C validator
and python-jsonschema give the labelled verdict for every line. Regenerate with
/usr/bin/python3 gen_event_samples.py > event_samples.jsonl after a schema change."""
import copy
import json

BASE = {
    "timestamp": "2026-11-26T19:02:20.123456+0000",
    "flow_id": 1234567890123,
    "pcap_cnt": 7,
    "event_type": "alert",
    "in_iface": "eth0",
    "vlan": [100, 200],
    "src_ip": "10.0.0.1",
    "src_port": 40000,
    "dest_ip": "10.0.0.2",
    "dest_port": 80,
    "proto": "TCP",
    "direction": "to_server",
    "community_id": "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
    "app_proto": "http",
    "tenant_id": 7,
    "tenant": "acme",
    "alert": {"action": "allowed", "gid": 1, "signature_id": 2100498, "rev": 7,
              "signature": "GPL ATTACK_RESPONSE id check returned root",
              "category": "Potentially Bad Traffic", "severity": 2,
              "metadata": {"created_at": ["2010_09_23"], "tag": ["a", "b"]}},
    "http": {"hostname": "example.com", "url": "/"},
    "flow": {"pkts_toserver": 3, "pkts_toclient": 2, "bytes_toserver": 300,
             "bytes_toclient": 200, "start": "2026-11-26T19:02:19.000001+0000",
             "src_ip": "10.0.0.1", "dest_ip": "10.0.0.2", "src_port": 40000, "dest_port": 80},
    "payload": "R0VUIC8gSFRUUC8xLjENCg==",
    "event_id": "019ac1d2-3e4f-7a5b-8c6d-7e8f90a1b2c3",
    "sensor": {"id": "rack1-s1", "rack": "rack1", "host": "s1"},
    "tunnel": {"type": "vxlan", "vni": 4242, "src_ip": "192.168.1.1", "dest_ip": "192.168.1.2"},
}

out = []


def emit(label, ev):
    out.append(label + "\t" + json.dumps(ev, separators=(",", ":"), ensure_ascii=False))


def mutate(label, path, value, delete=False):
    ev = copy.deepcopy(BASE)
    node = ev
    for k in path[:-1]:
        node = node[k]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    emit(label, ev)


emit("valid", BASE)
# minimal: only the required fields
emit("valid", {k: BASE[k] for k in ("timestamp", "event_type", "src_ip", "dest_ip", "proto",
                                     "tenant_id", "tenant", "alert", "event_id", "sensor")})
for k in ("timestamp", "event_type", "src_ip", "dest_ip", "proto", "tenant_id", "tenant",
          "alert", "event_id", "sensor"):
    mutate("invalid", [k], None, delete=True)
for k in ("action", "gid", "signature_id", "rev", "signature", "category", "severity"):
    mutate("invalid", ["alert", k], None, delete=True)
for k in ("id", "rack", "host"):
    mutate("invalid", ["sensor", k], None, delete=True)
mutate("valid", ["alert", "metadata"], None, delete=True)
mutate("valid", ["unknown_field"], {"x": 1})  # EVE allows extra fields
mutate("valid", ["timestamp"], "2026-11-26T19:02:20Z")
mutate("valid", ["timestamp"], "2026-11-26T19:02:20.1+08:00")
mutate("valid", ["timestamp"], "2026-11-26T19:02:20.123456789-0500")
mutate("invalid", ["timestamp"], "2026-11-26 19:02:20.123456+0000")
mutate("invalid", ["timestamp"], "2026-11-26T19:02:20.1234567890+0000")
mutate("invalid", ["timestamp"], "2026-11-26T19:02:20")
mutate("invalid", ["timestamp"], 1764183740)
mutate("invalid", ["event_type"], "flow")
mutate("valid", ["flow_id"], 0)
mutate("valid", ["flow_id"], 9223372036854775807)
mutate("invalid", ["flow_id"], -1)
mutate("invalid", ["flow_id"], "12")
mutate("valid", ["flow_id"], 12.0)  # JSON Schema: an integer-valued number is an integer
mutate("invalid", ["flow_id"], 12.5)
mutate("invalid", ["flow_id"], True)
mutate("valid", ["vlan"], [])
mutate("valid", ["vlan"], [0, 4095, 1])
mutate("invalid", ["vlan"], [1, 2, 3, 4])
mutate("invalid", ["vlan"], [4096])
mutate("invalid", ["vlan"], 100)
mutate("valid", ["src_ip"], "2001:db8::1")
mutate("valid", ["src_ip"], "::ffff:10.0.0.1")
mutate("valid", ["dest_ip"], "::")
mutate("invalid", ["src_ip"], "10.0.0.256")
mutate("invalid", ["src_ip"], "10.0.0")
mutate("invalid", ["src_ip"], "010.0.0.1")
mutate("invalid", ["src_ip"], "fe80::1%eth0")
mutate("invalid", ["src_ip"], "example.com")
mutate("invalid", ["dest_ip"], "")
mutate("invalid", ["dest_ip"], 167772161)
mutate("invalid", ["src_ip"], "2001:db8:::1")
mutate("valid", ["src_port"], 0)
mutate("valid", ["dest_port"], 65535)
mutate("invalid", ["dest_port"], 65536)
mutate("invalid", ["src_port"], -1)
mutate("invalid", ["proto"], "")
mutate("invalid", ["proto"], 6)
mutate("valid", ["icmp_type"], 8)
mutate("invalid", ["icmp_code"], 256)
mutate("valid", ["direction"], "to_client")
mutate("invalid", ["direction"], "both")
mutate("invalid", ["community_id"], "1:LQU9qZlK+B5F3KDmev6m5PMibrg")
mutate("invalid", ["community_id"], "2:LQU9qZlK+B5F3KDmev6m5PMibrg=")
mutate("invalid", ["community_id"], "1:LQU9qZlK-B5F3KDmev6m5PMibrg=")
mutate("valid", ["tenant_id"], 0)
mutate("valid", ["tenant_id"], 4294967295)
mutate("invalid", ["tenant_id"], 4294967296)
mutate("invalid", ["tenant_id"], "7")
mutate("invalid", ["tenant"], "")
mutate("valid", ["tenant"], "租户-甲")
mutate("valid", ["tenant"], "é" * 128)  # 128 characters, 256 bytes
mutate("invalid", ["tenant"], "é" * 129)
mutate("invalid", ["tenant"], None)
mutate("valid", ["alert", "action"], "blocked")
mutate("invalid", ["alert", "action"], "drop")
mutate("invalid", ["alert", "severity"], 0)
mutate("valid", ["alert", "severity"], 255)
mutate("invalid", ["alert", "severity"], 256)
mutate("invalid", ["alert", "signature_id"], -5)
mutate("invalid", ["alert", "gid"], "1")
mutate("valid", ["alert", "signature"], "")
mutate("invalid", ["alert", "signature"], "x" * 4097)
mutate("invalid", ["alert", "metadata"], ["a"])
mutate("invalid", ["alert", "metadata"], {"k": "v"})
mutate("invalid", ["alert", "metadata"], {"k": [1]})
mutate("invalid", ["alert"], "alert")
mutate("invalid", ["http"], "GET /")
mutate("invalid", ["dns"], [])
mutate("valid", ["tls"], {"sni": "example.com"})
mutate("valid", ["payload"], "")
mutate("valid", ["payload"], "QQ==")
mutate("valid", ["payload"], "QUI=")
mutate("invalid", ["payload"], "QQ=")
mutate("invalid", ["payload"], "Q===")
mutate("invalid", ["payload"], "QQ==QQ==")
mutate("invalid", ["payload"], "not base64!")
mutate("invalid", ["flow"], 5)
mutate("invalid", ["flow", "pkts_toserver"], -3)
mutate("invalid", ["flow", "start"], "yesterday")
mutate("invalid", ["flow", "dest_ip"], "10.0.0.300")
mutate("valid", ["event_id"], "019AC1D2-3E4F-7A5B-BC6D-7E8F90A1B2C3")
mutate("invalid", ["event_id"], "019ac1d2-3e4f-4a5b-8c6d-7e8f90a1b2c3")  # v4
mutate("invalid", ["event_id"], "019ac1d2-3e4f-7a5b-cc6d-7e8f90a1b2c3")  # variant
mutate("invalid", ["event_id"], "019ac1d23e4f7a5b8c6d7e8f90a1b2c3")
mutate("invalid", ["event_id"], "019ac1d2-3e4f-7a5b-8c6d-7e8f90a1b2c3x")
mutate("invalid", ["sensor", "id"], "")
mutate("invalid", ["sensor"], "rack1-s1")
mutate("valid", ["sensor", "rack"], "")
mutate("invalid", ["tunnel", "type"], "gre")
mutate("invalid", ["tunnel", "vni"], 16777216)
mutate("valid", ["tunnel", "vni"], 16777215)
mutate("invalid", ["tunnel", "vni"], None, delete=True)
mutate("valid", ["tunnel", "src_ip"], None, delete=True)
mutate("invalid", ["tunnel", "dest_ip"], "x")
emit("invalid", [BASE])
emit("invalid", "alert")
for line in out:
    print(line)
