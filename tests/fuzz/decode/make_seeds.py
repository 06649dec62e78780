#!/usr/bin/python3
"""Write the seed corpus of fuzz_decode (corpus_decode/): one file per shape of
traffic the decoder handles. Format (see fuzz_decode.c): byte 0 = link type
index (| 0x10 to validate checksums), then [2-byte length][packet] records."""
import os
import struct
import sys

from scapy.all import (GRE, ICMP, IP, TCP, UDP, VXLAN, Dot1AD, Dot1Q, Ether,
                       ICMPv6EchoRequest, IPv6, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting,
                       PPPoE, PPP, Raw, fragment, raw)
from scapy.contrib.geneve import GENEVE
from scapy.contrib.mpls import MPLS

LINK = {"eth": 0, "raw": 1, "null": 3, "loop": 4, "sll": 5, "sll2": 6,
        "chdlc": 7, "ipv4": 8, "ipv6": 9}
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "corpus_decode")
os.makedirs(out, exist_ok=True)


def seed(name, link, pkts, csum=False):
    b = bytes([LINK[link] | (0x10 if csum else 0)])
    for p in pkts:
        r = raw(p) if not isinstance(p, bytes) else p
        b += struct.pack(">H", len(r)) + r
    with open(os.path.join(out, name), "wb") as f:
        f.write(b)


E = Ether(src="00:01:02:03:04:05", dst="00:01:02:03:04:06")
tcp4 = IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=40000, dport=80, flags="PA",
                                                 options=[("MSS", 1460), ("WScale", 7),
                                                          ("SAckOK", b""), ("Timestamp", (1, 2))]) / b"GET / HTTP/1.1\r\n\r\n"
udp6 = IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=5353, dport=53) / (b"\x00" * 12)
inner = Ether() / Dot1Q(vlan=42) / IP(src="10.1.0.5", dst="10.1.0.6") / TCP(dport=443, flags="S")

seed("eth_tcp4", "eth", [E / tcp4], csum=True)
seed("eth_vlan_qinq", "eth", [E / Dot1Q(vlan=100) / tcp4, E / Dot1AD(vlan=200) / Dot1Q(vlan=300) / tcp4])
seed("vxlan", "eth", [E / IP(src="172.16.0.1", dst="172.16.0.2") / UDP(sport=1, dport=4789) / VXLAN(vni=5001) / inner], csum=True)
seed("geneve", "eth", [E / IP() / UDP(dport=6081) / GENEVE(vni=7001, proto=0x6558, optionlen=2, options=b"\xee" * 8) / inner])
seed("gre", "eth", [E / IP() / GRE(key_present=1, key=9) / tcp4, E / IP() / GRE(proto=0x6558) / inner])
seed("mpls_pppoe", "eth", [E / MPLS(label=16, s=0) / MPLS(label=17, s=1) / tcp4,
                           E / PPPoE(sessionid=1) / PPP(proto=0x0021) / tcp4])
seed("ipip_6in4", "eth", [E / IP(proto=4) / tcp4, E / IP(proto=41) / udp6])
seed("icmp", "eth", [E / IP() / ICMP(type=8, id=5, seq=1) / b"ping",
                     E / IP() / ICMP(type=3, code=3) / raw(tcp4)[:28],
                     E / IPv6() / ICMPv6EchoRequest(id=9, seq=10)], csum=True)
seed("ipv6_ext", "eth", [E / IPv6() / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / IPv6ExtHdrRouting() / UDP() / b"x"])
big = IP(src="10.0.0.1", dst="10.0.0.2", id=77) / UDP(sport=7, dport=9) / (b"A" * 120)
frags = fragment(big, fragsize=32)
seed("ipv4_frag_inorder", "eth", [E / f for f in frags], csum=True)
seed("ipv4_frag_reverse", "eth", [E / f for f in reversed(frags)])
ov = [E / f for f in frags] + [E / IP(src="10.0.0.1", dst="10.0.0.2", id=77, flags="MF", frag=2, proto=17) / (b"B" * 16)]
seed("ipv4_frag_overlap", "eth", [ov[0], ov[-1]] + ov[1:-1])
v6big = IPv6(src="fd00::1", dst="fd00::2") / IPv6ExtHdrFragment(id=0xabc) / UDP() / (b"C" * 100)
from scapy.all import fragment6
seed("ipv6_frag", "eth", [E / f for f in fragment6(v6big, 80)])
seed("raw", "raw", [tcp4, udp6])
seed("ipv4_link", "ipv4", [tcp4])
seed("ipv6_link", "ipv6", [udp6])
seed("null_le", "null", [struct.pack("<I", 2) + raw(tcp4), struct.pack("<I", 30) + raw(udp6)])
seed("loop", "loop", [struct.pack(">I", 2) + raw(tcp4)])
seed("sll", "sll", [struct.pack(">HHH8sH", 0, 1, 6, b"\x01" * 8, 0x0800) + raw(tcp4)])
seed("sll2", "sll2", [struct.pack(">HHIHBB8s", 0x86dd, 0, 2, 1, 0, 6, b"\x01" * 8) + raw(udp6)])
seed("chdlc", "chdlc", [struct.pack(">BBH", 0x0f, 0, 0x0800) + raw(tcp4)])

seed("teredo_vntag", "eth", [E / IP() / UDP(sport=3544, dport=40000) / udp6,
                             Ether(type=0x8926) / (struct.pack(">IH", 0x80010002, 0x0800) + raw(tcp4))])
print("seeds written to", out)
