"""Stream reassembly and application-layer buffers, end to end: scapy-made captures -> yunshao-sensor -> EVE.

One capture holds several TCP sessions with real 3-way handshakes and one DNS exchange:
  * HTTP on port 80: a request split mid-pattern over segments, a chunked + gzip response whose body holds a
    marker only visible after decompression, then a POST on the same connection (second transaction);
  * a session on port 8080 whose payload pattern is split over two segments that arrive out of order, one of
    them retransmitted (the pattern must be found once, from the reassembled stream);
  * the same split pattern on port 8081 without a handshake (midstream pickup is off: no stream, no match);
  * TLS on 443: ClientHello (SNI, JA3, JA4) and ServerHello + Certificate, the records split across segments;
  * SSH banners on 22; DNS over UDP 53.
Every buffer has a rule that must fire and a near miss that must not. JA3/JA4 expectations are computed here
from the specifications (not taken from the sensor). The alerts' http{}/dns{}/tls{} objects are checked too.

Run: YS_BUILD=$PWD/build /usr/bin/python3 -m pytest -q tests/integration/test_applayer.py
"""

import datetime
import gzip
import hashlib
import os
import struct

import pytest

scapy = pytest.importorskip("scapy.all")
from scapy.all import IP, TCP, UDP, Ether, Raw, wrpcap  # noqa: E402

CLIENT, SERVER = "10.1.0.5", "203.0.113.80"
T0 = 1764180000.0


# ------------------------------------------------------------------------------------------------
# Traffic
# ------------------------------------------------------------------------------------------------

class Clock:
    def __init__(self):
        self.t = T0

    def tick(self):
        self.t += 0.001
        return self.t


class Tcp:
    """One TCP connection; packets are returned, the caller decides their order."""

    def __init__(self, clock, sport, dport, handshake=True, isn=(1000, 70000)):
        self.clock = clock
        self.ends = ((CLIENT, sport), (SERVER, dport))
        self.next = [isn[0], isn[1]]
        self.pkts = []
        if handshake:
            self.pkts.append(self.mk(0, "S", seq=isn[0], ack=0))
            self.pkts.append(self.mk(1, "SA", seq=isn[1], ack=isn[0] + 1))
            self.pkts.append(self.mk(0, "A", seq=isn[0] + 1, ack=isn[1] + 1))
        self.next = [isn[0] + 1, isn[1] + 1]

    def mk(self, d, flags, seq, ack, payload=b""):
        (sa, sp), (da, dp) = self.ends if d == 0 else self.ends[::-1]
        p = Ether() / IP(src=sa, dst=da) / TCP(sport=sp, dport=dp, flags=flags, seq=seq, ack=ack, window=65535)
        if payload:
            p = p / Raw(payload)
        p.time = self.clock.tick()
        return p

    def segments(self, d, data, cuts=()):
        """DATA cut at the offsets CUTS into segments (packets), advancing the sequence."""
        out, prev = [], 0
        for c in list(cuts) + [len(data)]:
            piece = data[prev:c]
            if piece:
                out.append(self.mk(d, "PA", seq=self.next[d] + prev, ack=self.next[1 - d], payload=piece))
            prev = c
        self.next[d] += len(data)
        return out

    def send(self, d, data, cuts=()):
        self.pkts += self.segments(d, data, cuts)
        self.pkts.append(self.mk(1 - d, "A", seq=self.next[1 - d], ack=self.next[d]))

    def close(self):
        self.pkts.append(self.mk(0, "FA", seq=self.next[0], ack=self.next[1]))
        self.pkts.append(self.mk(1, "FA", seq=self.next[1], ack=self.next[0] + 1))
        self.pkts.append(self.mk(0, "A", seq=self.next[0] + 1, ack=self.next[1] + 1))


HTTP_REQ = (b"GET /admin/../secret.php?id=1 HTTP/1.1\r\n"
            b"Host: Victim.Example\r\n"
            b"User-Agent: EvilAgent/1.0\r\n"
            b"Cookie: session=abc\r\n"
            b"Referer: http://ref.example/\r\n"
            b"X-Custom: yes\r\n\r\n")
HTTP_BODY = b"<html>" + b"filler " * 50 + b"TOPSECRETMARKER" + b" end</html>"


def http_response():
    gz = gzip.compress(HTTP_BODY)
    half = len(gz) // 2
    body = b"%x\r\n" % half + gz[:half] + b"\r\n" + b"%x\r\n" % (len(gz) - half) + gz[half:] + b"\r\n0\r\n\r\n"
    return (b"HTTP/1.1 200 OK\r\nServer: nginx-test\r\nContent-Type: text/html\r\n"
            b"Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n") + body


HTTP_POST = (b"POST /login HTTP/1.1\r\nHost: victim.example\r\nContent-Type: application/x-www-form-urlencoded\r\n"
             b"Content-Length: 29\r\n\r\nuser=admin&password=hunter2xx")

SPLIT = b"SPLITPATTERN-XYZ"


def grease_free(vals):
    return [v for v in vals if not ((v & 0x0f0f) == 0x0a0a and (v >> 8) == (v & 0xff))]


class Hello:
    """A ClientHello built from field lists, with JA3/JA4 computed from the specifications."""

    ciphers = [0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc030]
    groups = [0x3a3a, 0x001d, 0x0017]
    sigalgs = [0x0403, 0x0804, 0x0401, 0x0503]
    versions = [0x5a5a, 0x0304, 0x0303]
    alpn = [b"h2", b"http/1.1"]

    def __init__(self, sni):
        self.sni = sni.encode()
        ext = []
        ext.append((0x2a2a, b""))
        sn = b"\x00" + struct.pack(">H", len(self.sni)) + self.sni
        ext.append((0x0000, struct.pack(">H", len(sn)) + sn))
        ext.append((0x0017, b""))
        g = b"".join(struct.pack(">H", x) for x in self.groups)
        ext.append((0x000a, struct.pack(">H", len(g)) + g))
        ext.append((0x000b, b"\x01\x00"))
        a = b"".join(bytes([len(x)]) + x for x in self.alpn)
        ext.append((0x0010, struct.pack(">H", len(a)) + a))
        s = b"".join(struct.pack(">H", x) for x in self.sigalgs)
        ext.append((0x000d, struct.pack(">H", len(s)) + s))
        v = b"".join(struct.pack(">H", x) for x in self.versions)
        ext.append((0x002b, bytes([len(v)]) + v))
        ext.append((0x0033, b"\x00\x00"))
        self.exts = [t for t, _ in ext]
        eb = b"".join(struct.pack(">HH", t, len(d)) + d for t, d in ext)
        cs = b"".join(struct.pack(">H", x) for x in self.ciphers)
        self.body = (b"\x03\x03" + b"\x42" * 32 + b"\x00" + struct.pack(">H", len(cs)) + cs + b"\x01\x00" +
                     struct.pack(">H", len(eb)) + eb)

    def ja3(self):
        s = "%d,%s,%s,%s,%s" % (0x0303, "-".join(str(c) for c in grease_free(self.ciphers)),
                                "-".join(str(e) for e in grease_free(self.exts)),
                                "-".join(str(g) for g in grease_free(self.groups)), "0")
        return s, hashlib.md5(s.encode()).hexdigest()

    def ja4(self):
        c = grease_free(self.ciphers)
        e = grease_free(self.exts)
        ver = {0x0304: "13", 0x0303: "12"}[max(grease_free(self.versions))]
        a = self.alpn[0].decode()
        head = "t%s%s%02d%02d%s" % (ver, "d", len(c), len(e), a[0] + a[-1])
        hc = hashlib.sha256(",".join("%04x" % x for x in sorted(c)).encode()).hexdigest()[:12]
        e4 = sorted(x for x in e if x not in (0x0000, 0x0010))
        he = hashlib.sha256((",".join("%04x" % x for x in e4) + "_" +
                             ",".join("%04x" % x for x in self.sigalgs)).encode()).hexdigest()[:12]
        return "%s_%s_%s" % (head, hc, he)


def handshake_record(hs_type, body):
    hs = bytes([hs_type]) + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs


def make_cert():
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Yunshao IT"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "evil-cert.example")])
    now = datetime.datetime(2026, 1, 1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(0x1234).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


def dns_query(name, qid=0x4242):
    q = b"".join(bytes([len(x)]) + x.encode() for x in name.split(".")) + b"\x00"
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + b"\x00\x01\x00\x01"


def build_capture(path):
    clock = Clock()
    pkts = []

    # HTTP, port 80: request split inside "EvilAgent" and inside the URI.
    h = Tcp(clock, 40001, 80)
    cut1 = HTTP_REQ.index(b"secret.php") + 3
    cut2 = HTTP_REQ.index(b"EvilAgent") + 4
    h.send(0, HTTP_REQ, cuts=(cut1, cut2))
    resp = http_response()
    h.send(1, resp, cuts=(60, 120))
    h.send(0, HTTP_POST, cuts=(HTTP_POST.index(b"hunter") + 2,))
    h.send(1, b"HTTP/1.1 302 Found\r\nLocation: /home\r\nContent-Length: 0\r\n\r\n")
    h.close()
    pkts += h.pkts

    # Port 8080: the pattern split over two segments, delivered out of order, the first retransmitted.
    o = Tcp(clock, 40002, 8080)
    data = b"hello " + SPLIT + b" trailer"
    segs = o.segments(0, data, cuts=(6 + 7,))
    for p in (segs[1], segs[0], segs[0].copy()):
        p.time = clock.tick()  # capture order: second half, first half, first half again
        o.pkts.append(p)
    o.pkts.append(o.mk(1, "A", seq=o.next[1], ack=o.next[0]))
    o.close()
    pkts += o.pkts

    # Port 8081: the same split pattern without a handshake (not reassembled).
    m = Tcp(clock, 40003, 8081, handshake=False)
    m.send(0, data, cuts=(6 + 7,))
    pkts += m.pkts

    # TLS, port 443: ClientHello split inside its record header; ServerHello + Certificate split.
    t = Tcp(clock, 40004, 443)
    hello = Hello("evil-sni.example")
    t.send(0, handshake_record(1, hello.body), cuts=(3,))
    sh = b"\x03\x03" + b"\x24" * 32 + b"\x00" + b"\xc0\x2f" + b"\x00" + b"\x00\x00"
    der = make_cert()
    certmsg = struct.pack(">I", len(der) + 3)[1:] + struct.pack(">I", len(der))[1:] + der
    srv = handshake_record(2, sh) + handshake_record(11, certmsg)
    t.send(1, srv, cuts=(20, 200))
    t.close()
    pkts += t.pkts

    # SSH, port 22.
    s = Tcp(clock, 40005, 22)
    s.send(1, b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
    s.send(0, b"SSH-2.0-libssh_0.9.6\r\n")
    s.close()
    pkts += s.pkts

    # DNS over UDP.
    q = Ether() / IP(src=CLIENT, dst="198.51.100.53") / UDP(sport=53000, dport=53) / Raw(dns_query("malware-c2.example"))
    q.time = clock.tick()
    pkts.append(q)

    wrpcap(path, pkts)
    return {"ja3": hello.ja3(), "ja4": hello.ja4(), "cert_fp": hashlib.sha1(der).hexdigest()}


# ------------------------------------------------------------------------------------------------
# Rules: sid 1xxx must fire, 2xxx are near misses that must not.
# ------------------------------------------------------------------------------------------------

def rules_text(fp):
    ja3s, ja3h = fp["ja3"]
    R = []

    def add(proto, sid, body, msg):
        R.append('alert %s any any -> any any (msg:"%s"; %s sid:%d; rev:1;)' % (proto, msg, body, sid))

    add("http", 1001, 'http.uri; content:"/secret.php?id=1";', "uri normalised")
    add("http", 2001, 'http.uri; content:"/admin/../secret";', "near: raw form not in normalised uri")
    add("http", 1002, 'http.uri.raw; content:"/admin/../secret.php";', "uri raw")
    add("http", 2002, 'http.uri.raw; content:"/secret.phpx";', "near: uri raw")
    add("http", 1003, 'http.method; content:"GET";', "method")
    add("http", 2003, 'http.method; content:"PUT";', "near: method")
    add("http", 1004, 'http.host; content:"victim.example";', "host normalised")
    add("http", 2004, 'http.host; content:"Victim.Example";', "near: host is lower case")
    add("http", 1005, 'http.user_agent; content:"EvilAgent/1.0";', "user agent split over segments")
    add("http", 2005, 'http.user_agent; content:"EvilAgent/2.0";', "near: user agent")
    add("http", 1006, 'http.cookie; content:"session=abc";', "cookie")
    add("http", 2006, 'http.header; content:"session=abc";', "near: cookie is not in http.header")
    add("http", 1007, 'http.header; content:"X-Custom|3a| yes";', "header")
    add("http", 1008, 'http.stat_code; content:"200";', "stat code")
    add("http", 2008, 'http.stat_code; content:"404";', "near: stat code")
    add("http", 1009, 'file.data; content:"TOPSECRETMARKER";', "gzip chunked body decompressed")
    add("http", 2009, 'file.data; content:"TOPSECRETMARKEX";', "near: body")
    add("http", 1010, 'http.server; content:"nginx-test";', "server")
    add("http", 1011, 'http.content_type; content:"text/html";', "content type")
    add("http", 1012, 'http.referer; content:"http://ref.example/";', "referer")
    add("http", 1013, 'http.request_body; content:"password=hunter2";', "request body")
    add("http", 2013, 'http.request_body; content:"password=hunter3";', "near: request body")
    add("http", 1014, 'http.stat_msg; content:"Found";', "stat msg")
    add("http", 1015, 'http.protocol; content:"HTTP/1.1";', "protocol")
    add("http", 1016, 'http.header_names; content:"|0d 0a|X-Custom|0d 0a|";', "header names")
    add("http", 1017, 'http.start; content:"GET /admin/../secret.php";', "start")
    add("http", 1018, 'http.location; content:"/home";', "location")
    add("http", 1019, 'http.request_line; content:"GET /admin/../secret.php?id=1 HTTP/1.1";', "request line")
    add("http", 1020, 'http.response_line; content:"HTTP/1.1 200 OK";', "response line")
    add("http", 1021, 'content:"secret.php"; http_uri;', "legacy http_uri")
    add("tcp", 1030, 'flow:established,to_server; content:"%s";' % SPLIT.decode(), "stream: split pattern")
    add("tcp", 1031, 'flow:established,to_server; content:"EvilAgent/1.0";', "stream: split in http")
    add("dns", 1040, 'dns.query; content:"malware-c2.example";', "dns query")
    add("dns", 2040, 'dns.query; content:"benign.example";', "near: dns query")
    add("tls", 1050, 'tls.sni; content:"evil-sni.example";', "sni")
    add("tls", 2050, 'tls.sni; content:"good-sni.example";', "near: sni")
    add("tls", 1051, 'ja3.hash; content:"%s";' % ja3h, "ja3 hash")
    add("tls", 1052, 'ja3.string; content:"%s";' % ja3s, "ja3 string")
    add("tls", 1053, 'ja4.hash; content:"%s";' % fp["ja4"], "ja4")
    add("tls", 2053, 'ja4.hash; content:"%s";' % fp["ja4"].replace("t13d", "t12d"), "near: ja4")
    add("tls", 1054, 'tls.cert_subject; content:"CN=evil-cert.example";', "cert subject")
    add("tls", 1055, 'tls.cert_issuer; content:"O=Yunshao IT";', "cert issuer")
    add("tls", 1056, 'tls.cert_serial; content:"12:34";', "cert serial")
    add("tls", 1057, 'tls.cert_fingerprint; content:"%s";' % ":".join(
        fp["cert_fp"][i:i + 2] for i in range(0, 40, 2)), "cert fingerprint")
    add("ssh", 1060, 'ssh.software; content:"OpenSSH_9.2p1";', "ssh software")
    add("ssh", 1061, 'ssh.proto; content:"2.0";', "ssh proto")
    add("ssh", 2060, 'ssh.software; content:"OpenSSH_9.3";', "near: ssh software")
    return "\n".join(R) + "\n"


@pytest.fixture(scope="module")
def run(sensor_bin, tmp_path_factory):
    from conftest import run_sensor

    d = str(tmp_path_factory.mktemp("applayer"))
    pcap = os.path.join(d, "applayer.pcap")
    fp = build_capture(pcap)
    rules = os.path.join(d, "applayer.rules")
    with open(rules, "w") as f:
        f.write(rules_text(fp))
    out = os.path.join(d, "out")
    os.makedirs(out)
    r = run_sensor(sensor_bin, out, pcap=pcap, rules=(rules,))
    assert r.rc == 0, r.describe()
    return r, fp


def by_sid(r, sid):
    return [a for a in r.alerts if a["alert"]["signature_id"] == sid]


MUST = [1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 1015, 1016, 1017,
        1018, 1019, 1020, 1021, 1031, 1040, 1050, 1051, 1052, 1053, 1054, 1055, 1056, 1057, 1060, 1061]
NEAR = [2001, 2002, 2003, 2004, 2005, 2006, 2008, 2009, 2013, 2040, 2050, 2053, 2060]


@pytest.mark.parametrize("sid", MUST)
def test_buffer_rule_fires(run, sid):
    r, _ = run
    assert by_sid(r, sid), "sid %d did not fire\n%s" % (sid, r.describe())


@pytest.mark.parametrize("sid", NEAR)
def test_near_miss_does_not_fire(run, sid):
    r, _ = run
    assert not by_sid(r, sid), "near miss sid %d fired: %s" % (sid, by_sid(r, sid))


def test_stream_split_out_of_order_retransmitted(run):
    r, _ = run
    hits = by_sid(r, 1030)
    ports = sorted(a["dest_port"] for a in hits)
    # Found once in the reassembled stream of 8080 (retransmission adds nothing); never on 8081,
    # which had no handshake and whose packets each hold only half of the pattern.
    assert ports == [8080], "stream alerts by port: %s" % ports


def test_app_proto_and_eve_objects(run):
    r, fp = run
    a = by_sid(r, 1001)[0]
    assert a.get("app_proto") == "http"
    assert a["http"]["url"] == "/admin/../secret.php?id=1"
    assert a["http"]["http_user_agent"] == "EvilAgent/1.0"
    d = by_sid(r, 1040)[0]
    assert d.get("app_proto") == "dns"
    assert d["dns"]["query"][0]["rrname"] == "malware-c2.example"
    assert d["dns"]["query"][0]["rrtype"] == "A"
    t = by_sid(r, 1050)[0]
    assert t.get("app_proto") == "tls"
    assert t["tls"]["sni"] == "evil-sni.example"
    assert t["tls"]["ja3"]["hash"] == fp["ja3"][1]
    assert t["tls"]["ja4"] == fp["ja4"]


def test_app_layer_rules_fire_once_per_transaction(run):
    r, _ = run
    for sid in (1001, 1009, 1040, 1050):
        assert len(by_sid(r, sid)) == 1, "sid %d: %d alerts" % (sid, len(by_sid(r, sid)))
