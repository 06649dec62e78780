#!/usr/bin/python3
"""Seed corpus of fuzz_flow_table (corpus_flow_table/): TCP handshakes, closes, resets, port
reuse, UDP exchanges and ICMP echo, over more flows than the fuzz table holds.
Format as fuzz_decode: byte 0 = link type index | tenant spread << 4, then
[2-byte length][frame] records."""
import os
import struct

from scapy.all import ICMP, IP, TCP, UDP, Dot1Q, Ether, IPv6, raw

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus_flow_table")
os.makedirs(out, exist_ok=True)
E = Ether(src="00:01:02:03:04:05", dst="00:01:02:03:04:06")


def seed(name, pkts, flags=0):
    b = bytes([flags])
    for p in pkts:
        r = raw(p)
        b += struct.pack(">H", len(r)) + r
    with open(os.path.join(out, name), "wb") as f:
        f.write(b)


def session(c, s, sport, dport=80, close="F"):
    a, b = IP(src=c, dst=s), IP(src=s, dst=c)
    p = [E / a / TCP(sport=sport, dport=dport, flags="S", seq=100),
         E / b / TCP(sport=dport, dport=sport, flags="SA", seq=500, ack=101),
         E / a / TCP(sport=sport, dport=dport, flags="A", seq=101, ack=501),
         E / a / TCP(sport=sport, dport=dport, flags="PA", seq=101, ack=501) / b"GET / HTTP/1.0\r\n\r\n",
         E / b / TCP(sport=dport, dport=sport, flags="PA", seq=501, ack=119) / b"HTTP/1.0 200 OK\r\n\r\n"]
    if close == "F":
        p += [E / a / TCP(sport=sport, dport=dport, flags="FA", seq=119, ack=520),
              E / b / TCP(sport=dport, dport=sport, flags="FA", seq=520, ack=120),
              E / a / TCP(sport=sport, dport=dport, flags="A", seq=120, ack=521)]
    else:
        p += [E / b / TCP(sport=dport, dport=sport, flags="R", seq=520)]
    return p


seed("tcp_sessions", session("10.0.0.1", "10.0.0.2", 40000) + session("10.0.0.1", "10.0.0.2", 40000, close="R")
     + session("10.0.0.1", "10.0.0.2", 40000))
seed("many_flows", [E / IP(src="10.0.%d.1" % i, dst="10.0.0.2") / TCP(sport=1000 + i, dport=80, flags="S")
                    for i in range(20)], flags=0x10)
seed("udp_icmp", [E / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=5353, dport=53) / b"q",
                  E / IP(src="10.0.0.2", dst="10.0.0.1") / UDP(sport=53, dport=5353) / b"a",
                  E / IP(src="10.0.0.2", dst="10.0.0.1") / ICMP(type=0, id=7),
                  E / IP(src="10.0.0.1", dst="10.0.0.2") / ICMP(type=8, id=7),
                  E / Dot1Q(vlan=10) / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=1, dport=2),
                  E / Dot1Q(vlan=20) / IP(src="10.0.0.2", dst="10.0.0.1") / UDP(sport=2, dport=1),
                  E / IPv6(src="fd00::1", dst="fd00::2") / UDP(sport=1, dport=2)], flags=0x20)
seed("synack_first_midstream", [E / IP(src="10.0.0.2", dst="10.0.0.1") / TCP(sport=443, dport=50000, flags="SA"),
                                E / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=50000, dport=443, flags="A"),
                                E / IP(src="10.0.0.2", dst="10.0.0.1") / TCP(sport=22, dport=51000, flags="PA") / b"SSH-2.0"])
print("seeds written to", out)
