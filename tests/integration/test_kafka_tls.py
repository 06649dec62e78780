"""TLS settings from outputs.kafka.tls against a real broker that requires
mutual TLS (deploy/kafka/kafka.sh with YS_KAFKA_TLS=1 makes a test CA, a
server and a client certificate). Right files: alerts arrive. Wrong CA,
missing client certificate, unreadable or malformed files: a clear error at
start, never silent spooling forever.
"""
import json
import subprocess
import tempfile
from pathlib import Path

import pytest

from test_kafka import CONSUME, DRIVE, Broker, drive_cmd


@pytest.fixture(scope="module")
def tls_broker():
    for tool in (DRIVE, CONSUME):
        if not tool.exists():
            pytest.skip(f"{tool} not built (cmake --build $YS_BUILD)")
    with tempfile.TemporaryDirectory(prefix="ys-kafka-tls-") as tmp:
        b = Broker(tmp)
        b.env.update(YS_KAFKA_TLS="1")
        try:
            b.start()
        except RuntimeError as e:
            b.stop()
            pytest.fail(str(e))
        b.tls = b.dir / "tls"
        try:
            yield b
        finally:
            b.stop()


def conf(path, b, spool, ca=None, cert=None, key=None):
    lines = [f"sensor:\n  id: it-tls\noutputs:\n  kafka:\n    brokers: \"{b.bootstrap}\"\n",
             "    startup-timeout-ms: 5000\n    flush-timeout-ms: 60000\n    tls:\n"]
    for name, value in (("ca", ca), ("cert", cert), ("key", key)):
        if value is not None:
            lines.append(f"      {name}: {value}\n")
    lines.append(f"    spool:\n      dir: {spool}\n")
    Path(path).write_text("".join(lines))


def run(c, tmp_path, n=10):
    return subprocess.run(drive_cmd(c, n, tmp_path / "eve.json"), capture_output=True, text=True,
                          timeout=300)


def test_mutual_tls_delivers(tls_broker, tmp_path):
    t = tls_broker.tls
    c = tmp_path / "k.yaml"
    conf(c, tls_broker, tmp_path / "spool", t / "ca.pem", t / "client.crt", t / "client.key")
    r = run(c, tmp_path, 2000)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["delivered"] == 2000 and summary["spool_records"] == 0
    out = subprocess.run([str(CONSUME), "-b", tls_broker.bootstrap, "-t", "yunshao.alerts",
                          "-i", "1500", "-X", "security.protocol=ssl",
                          "-X", f"ssl.ca.location={t / 'ca.pem'}",
                          "-X", f"ssl.certificate.location={t / 'client.crt'}",
                          "-X", f"ssl.key.location={t / 'client.key'}"],
                         capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert sorted(out.stdout.decode().splitlines()) == \
        sorted((tmp_path / "eve.json").read_text().splitlines())


def test_wrong_ca_is_a_start_error(tls_broker, tmp_path):
    t = tls_broker.tls
    other = tmp_path / "other-ca.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(tmp_path / "other.key"), "-out", str(other), "-days", "1", "-subj",
                    "/CN=not the broker's CA"], check=True, capture_output=True)
    c = tmp_path / "k.yaml"
    conf(c, tls_broker, tmp_path / "spool", other, t / "client.crt", t / "client.key")
    r = run(c, tmp_path)
    assert r.returncode == 1
    assert "TLS handshake failed" in r.stderr and "certificate verify failed" in r.stderr


def test_missing_client_certificate_is_a_start_error(tls_broker, tmp_path):
    c = tmp_path / "k.yaml"
    conf(c, tls_broker, tmp_path / "spool", tls_broker.tls / "ca.pem")
    r = run(c, tmp_path)
    assert r.returncode == 1
    assert "TLS handshake failed" in r.stderr


def test_bad_tls_files_are_start_errors(tls_broker, tmp_path):
    t = tls_broker.tls
    c = tmp_path / "k.yaml"
    conf(c, tls_broker, tmp_path / "spool", tmp_path / "missing-ca.pem")
    r = run(c, tmp_path)
    assert r.returncode == 1
    assert "missing-ca.pem" in r.stderr and "k.yaml:" in r.stderr
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    conf(c, tls_broker, tmp_path / "spool", garbage, t / "client.crt", t / "client.key")
    r = run(c, tmp_path)
    assert r.returncode == 1
    assert "ssl.ca.location" in r.stderr
