"""SASL settings from outputs.kafka.sasl reach a real broker that requires them.

The broker (deploy/kafka/kafka.sh with YS_KAFKA_SASL) accepts one user over
SASL/PLAIN. SCRAM is not exercised against it: librdkafka before 2.6.1
(Debian 12 ships 2.0.2) repeats the client nonce in its SCRAM final message and
Kafka 4.x brokers reject that login (librdkafka#4895); the sink warns about it
at start, which is checked here instead.
"""
import json
import subprocess
import tempfile
from pathlib import Path

import pytest

from test_kafka import CONSUME, DRIVE, Broker, drive_cmd

USER, PASSWORD = "rack7", "s3cret-Pw"


@pytest.fixture(scope="module")
def sasl_broker():
    for tool in (DRIVE, CONSUME):
        if not tool.exists():
            pytest.skip(f"{tool} not built (cmake --build $YS_BUILD)")
    with tempfile.TemporaryDirectory(prefix="ys-kafka-sasl-") as tmp:
        b = Broker(tmp)
        b.env.update(YS_KAFKA_SASL=f"{USER}:{PASSWORD}", YS_KAFKA_SASL_MECHANISM="PLAIN")
        try:
            b.start()
        except RuntimeError as e:
            b.stop()
            pytest.fail(str(e))
        try:
            yield b
        finally:
            b.stop()


def conf(path, bootstrap, spool, mechanism="PLAIN", password=PASSWORD):
    Path(path).write_text(f"""sensor:
  id: it-sasl
outputs:
  kafka:
    brokers: "{bootstrap}"
    startup-timeout-ms: 5000
    flush-timeout-ms: 60000
    sasl:
      mechanism: {mechanism}
      username: {USER}
      password: "{password}"
    spool:
      dir: {spool}
""")


def rdkafka_version():
    r = subprocess.run(["pkg-config", "--modversion", "rdkafka"], capture_output=True, text=True)
    return tuple(int(x) for x in r.stdout.strip().split(".")[:3]) if r.returncode == 0 else None


def test_sasl_plain_delivers(sasl_broker, tmp_path):
    c = tmp_path / "k.yaml"
    conf(c, sasl_broker.bootstrap, tmp_path / "spool")
    r = subprocess.run(drive_cmd(c, 2000, tmp_path / "eve.json"), capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["delivered"] == 2000 and summary["spool_records"] == 0
    out = subprocess.run([str(CONSUME), "-b", sasl_broker.bootstrap, "-t", "yunshao.alerts",
                          "-i", "1500", "-X", "security.protocol=sasl_plaintext",
                          "-X", "sasl.mechanisms=PLAIN", "-X", f"sasl.username={USER}",
                          "-X", f"sasl.password={PASSWORD}"],
                         capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr
    got = sorted(out.stdout.decode().splitlines())
    assert got == sorted((tmp_path / "eve.json").read_text().splitlines())


def test_wrong_password_is_a_start_error(sasl_broker, tmp_path):
    c = tmp_path / "k.yaml"
    conf(c, sasl_broker.bootstrap, tmp_path / "spool", password="not-the-password")
    r = subprocess.run(drive_cmd(c, 10, tmp_path / "eve.json"), capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 1
    assert "authentication failed" in r.stderr
    assert "Invalid username or password" in r.stderr


def test_scram_mechanism_mismatch_and_old_librdkafka_warning(sasl_broker, tmp_path):
    c = tmp_path / "k.yaml"
    conf(c, sasl_broker.bootstrap, tmp_path / "spool", mechanism="SCRAM-SHA-512")
    r = subprocess.run(drive_cmd(c, 10, tmp_path / "eve.json"), capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 1
    assert "authentication failed" in r.stderr and "PLAIN" in r.stderr
    v = rdkafka_version()
    if v is not None and v < (2, 6, 1):
        assert "fixed in librdkafka 2.6.1" in r.stderr
