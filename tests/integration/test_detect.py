"""Detection end to end: crafted captures (scapy) through yunshao-sensor, exact alert counts.

What the unit tests cannot show: how detection uses the stages before it. A pattern split over two TCP
segments is found in the reassembled stream, a retransmission does not alert twice, packet rules (dsize)
still see packets, flowbits carry across packets of one flow, IP-only rules fire once per flow direction
(as Suricata's IP-only engine does), thresholds count across packets, and a pass rule silences a flow.

Run with Debian's python: /usr/bin/python3 -m pytest tests/integration/test_detect.py (YS_BUILD names the
build directory, default <repo>/build).
"""

import os

import pytest

scapy = pytest.importorskip("scapy.all", reason="python3-scapy is needed to write the test captures")
from scapy.all import Ether, ICMP, IP, Raw, TCP, wrpcap  # noqa: E402

CLIENT, SERVER = "10.0.0.1", "192.0.2.10"


def tcp_session(segments, sport=40000, dport=80, t0=1700000000.0):
    """A TCP session with handshake; SEGMENTS is a list of (direction, bytes) with direction 'c' (client
    to server) or 's', or ('c', bytes, 'retransmit') to resend the previous client segment."""
    pkts = []
    t = [t0]

    def add(p):
        p.time = t[0]
        t[0] += 0.001
        pkts.append(p)

    cseq, sseq = 1000, 5000
    eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    add(eth / IP(src=CLIENT, dst=SERVER) / TCP(sport=sport, dport=dport, flags="S", seq=cseq))
    add(eth / IP(src=SERVER, dst=CLIENT) / TCP(sport=dport, dport=sport, flags="SA", seq=sseq, ack=cseq + 1))
    cseq += 1
    sseq += 1
    add(eth / IP(src=CLIENT, dst=SERVER) / TCP(sport=sport, dport=dport, flags="A", seq=cseq, ack=sseq))
    last = None
    for seg in segments:
        d, data = seg[0], seg[1]
        if len(seg) > 2 and seg[2] == "retransmit":
            add(last.copy())
            continue
        if d == "c":
            p = eth / IP(src=CLIENT, dst=SERVER) / TCP(sport=sport, dport=dport, flags="PA", seq=cseq,
                                                     ack=sseq) / Raw(data)
            cseq += len(data)
            last = p
            add(p)
            add(eth / IP(src=SERVER, dst=CLIENT) / TCP(sport=dport, dport=sport, flags="A", seq=sseq, ack=cseq))
        else:
            p = eth / IP(src=SERVER, dst=CLIENT) / TCP(sport=dport, dport=sport, flags="PA", seq=sseq,
                                                     ack=cseq) / Raw(data)
            sseq += len(data)
            add(p)
            add(eth / IP(src=CLIENT, dst=SERVER) / TCP(sport=sport, dport=dport, flags="A", seq=cseq, ack=sseq))
    add(eth / IP(src=CLIENT, dst=SERVER) / TCP(sport=sport, dport=dport, flags="FA", seq=cseq, ack=sseq))
    add(eth / IP(src=SERVER, dst=CLIENT) / TCP(sport=dport, dport=sport, flags="FA", seq=sseq, ack=cseq + 1))
    add(eth / IP(src=CLIENT, dst=SERVER) / TCP(sport=sport, dport=dport, flags="A", seq=cseq + 1, ack=sseq + 1))
    return pkts


def write(workdir, name, pkts, rules):
    pcap = os.path.join(workdir, name + ".pcap")
    wrpcap(pcap, pkts)
    rpath = os.path.join(workdir, name + ".rules")
    with open(rpath, "w") as f:
        f.write(rules)
    return pcap, rpath


def sids(run):
    out = {}
    for a in run.alerts:
        sid = a["alert"]["signature_id"]
        out[sid] = out.get(sid, 0) + 1
    return out


def run_ok(sensor, pcap, rules):
    r = sensor(pcap=pcap, rules=[rules])
    assert r.rc == 0, r.describe()
    return r


def test_pattern_split_across_segments_alerts_once(sensor, workdir):
    pkts = tcp_session([("c", b"GET /index.html HTTP/1.0\r\nX-Data: aaaaEVILPAT"),
                        ("c", b"TERNbbbb\r\n\r\n"),
                        ("c", b"TERNbbbb\r\n\r\n", "retransmit"),
                        ("s", b"HTTP/1.0 200 OK\r\n\r\nhello")])
    pcap, rules = write(workdir, "split", pkts,
                        'alert tcp any any -> any 80 (msg:"split"; flow:established,to_server; '
                        'content:"EVILPATTERN"; sid:1;)\n'
                        'alert tcp any any -> any 80 (msg:"not in the stream"; content:"EVILPATTERNX"; sid:2;)\n')
    r = run_ok(sensor, pcap, rules)
    assert sids(r) == {1: 1}, r.describe()
    a = r.alerts[0]
    assert (a["src_ip"], a["dest_ip"], a["dest_port"]) == (CLIENT, SERVER, 80)


def test_retransmitted_segment_does_not_alert_twice(sensor, workdir):
    pkts = tcp_session([("c", b"xx EVILPATTERN yy"), ("c", b"xx EVILPATTERN yy", "retransmit"),
                        ("c", b"more")])
    pcap, rules = write(workdir, "retrans", pkts,
                        'alert tcp any any -> any 80 (msg:"whole"; content:"EVILPATTERN"; sid:1;)\n'
                        'alert tcp-pkt any any -> any 80 (msg:"per packet"; content:"EVILPATTERN"; sid:2;)\n')
    r = run_ok(sensor, pcap, rules)
    # the stream rule sees the bytes once; the tcp-pkt rule sees both packets
    assert sids(r) == {1: 1, 2: 2}, r.describe()


def test_packet_rule_sees_packets_on_a_stream(sensor, workdir):
    pkts = tcp_session([("c", b"ABCD"), ("c", b"EFGHIJ")])
    pcap, rules = write(workdir, "dsize", pkts,
                        'alert tcp any any -> any any (msg:"dsize 4"; dsize:4; content:"AB"; sid:1;)\n'
                        'alert tcp any any -> any any (msg:"dsize 6"; dsize:6; sid:2;)\n'
                        'alert tcp any any -> any any (msg:"dsize 10"; dsize:10; sid:3;)\n')
    r = run_ok(sensor, pcap, rules)
    assert sids(r) == {1: 1, 2: 1}, r.describe()


def test_flowbits_across_packets(sensor, workdir):
    both = tcp_session([("c", b"LOGIN alice\r\n"), ("s", b"OK\r\n"), ("c", b"SECRET data\r\n")], sport=40001)
    only_secret = tcp_session([("c", b"SECRET data\r\n")], sport=40002, t0=1700000010.0)
    pcap, rules = write(workdir, "flowbits", both + only_secret,
                        'alert tcp any any -> any any (msg:"login"; content:"LOGIN"; flowbits:set,logged_in; '
                        'flowbits:noalert; sid:1;)\n'
                        'alert tcp any any -> any any (msg:"secret after login"; content:"SECRET"; '
                        'flowbits:isset,logged_in; sid:2;)\n'
                        'alert tcp any any -> any any (msg:"secret without login"; content:"SECRET"; '
                        'flowbits:isnotset,logged_in; sid:3;)\n')
    r = run_ok(sensor, pcap, rules)
    assert sids(r) == {2: 1, 3: 1}, r.describe()
    assert [a["src_port"] for a in r.alerts if a["alert"]["signature_id"] == 2] == [40001]


def test_ip_only_rule_once_per_flow_direction(sensor, workdir):
    pkts = tcp_session([("c", b"one"), ("s", b"two"), ("c", b"three")])
    pcap, rules = write(workdir, "iponly", pkts,
                        'alert tcp %s any <> %s any (msg:"ip-only"; sid:1;)\n'
                        'alert tcp %s any -> any any (msg:"packet rule"; flags:PA; sid:2;)\n'
                        % (CLIENT, SERVER, CLIENT))
    r = run_ok(sensor, pcap, rules)
    # sid 1: the first packet of each direction (SYN, SYN/ACK); sid 2: both client PSH/ACK packets
    assert sids(r) == {1: 2, 2: 2}, r.describe()


def test_threshold_and_detection_filter(sensor, workdir):
    eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    pkts = []
    for i in range(6):
        p = eth / IP(src=CLIENT, dst=SERVER) / ICMP(type=8, id=7, seq=i) / Raw(b"ping")
        p.time = 1700000000.0 + i
        pkts.append(p)
    pcap, rules = write(workdir, "threshold", pkts,
                        'alert icmp any any -> any any (msg:"limit"; itype:8; threshold:type limit, '
                        'track by_src, count 2, seconds 60; sid:1;)\n'
                        'alert icmp any any -> any any (msg:"every third"; itype:8; threshold:type threshold, '
                        'track by_src, count 3, seconds 60; sid:2;)\n'
                        'alert icmp any any -> any any (msg:"after four"; itype:8; detection_filter:track by_dst, '
                        'count 4, seconds 60; sid:3;)\n')
    r = run_ok(sensor, pcap, rules)
    assert sids(r) == {1: 2, 2: 2, 3: 2}, r.describe()


def test_pass_rule_silences_the_flow(sensor, workdir):
    passed = tcp_session([("c", b"ATTACK one"), ("c", b"ATTACK two")], sport=40010)
    other = tcp_session([("c", b"ATTACK three")], sport=40011, t0=1700000010.0)
    pcap, rules = write(workdir, "pass", passed + other,
                        'pass tcp any 40010 -> any any (msg:"trusted client port"; sid:100;)\n'
                        'alert tcp any any -> any any (msg:"attack"; content:"ATTACK"; sid:1;)\n')
    r = run_ok(sensor, pcap, rules)
    assert sids(r) == {1: 1}, r.describe()
    assert r.alerts[0]["src_port"] == 40011
