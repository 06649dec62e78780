"""The real sensor ($YS_BUILD/sensor/yunshao-sensor) into a real Kafka broker.

A flood rule alerts on every packet of a generated capture; Kafka must then
hold exactly the eve.json lines, keyed by tenant, with the schema header, and
an outage at run time must only delay alerts: the next start re-sends them.
The broker fixture (own port, own data dir) comes from test_kafka.py.
"""
import json
import signal
import struct
import subprocess
import time
from pathlib import Path

import pytest

from test_kafka import BUILD, SCHEMA, broker, consume, eve_lines, event_ids  # noqa: F401

SENSOR = BUILD / "sensor/yunshao-sensor"
FLOOD_RULE = ('alert udp any any -> any any (msg:"YS flood: every UDP packet"; '
              'sid:9100001; rev:1; classtype:misc-activity;)\n')


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    if not SENSOR.exists():
        pytest.skip(f"{SENSOR} not built")
    from scapy.all import IP, UDP, Ether, Raw, wrpcap

    d = tmp_path_factory.mktemp("pcap")
    pkts = [Ether() / IP(src="10.1.%d.%d" % (i // 250 % 250, i % 250 + 1), dst="10.2.0.1") /
            UDP(sport=1024 + i, dport=53) / Raw(b"flood" + bytes([i % 256]))
            for i in range(3000)]
    wrpcap(str(d / "flood.pcap"), pkts)
    wrpcap(str(d / "small.pcap"), pkts[:10])
    (d / "flood.rules").write_text(FLOOD_RULE)
    return d


def write_flood_pcap(path, n):
    """N UDP packets, written directly (scapy is too slow for hundreds of thousands)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            payload = b"flood" + struct.pack(">I", i)
            udp = struct.pack(">HHHH", 1024 + i % 60000, 53, 8 + len(payload), 0) + payload
            ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xffff, 0, 64, 17, 0,
                             bytes([10, 1, (i // 250) % 250, i % 250 + 1]), bytes([10, 2, 0, 1]))
            frame = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip + udp
            f.write(struct.pack("<IIII", 1764000000 + i // 100000, (i % 100000) * 10,
                                len(frame), len(frame)))
            f.write(frame)


def sensor_conf(path, bootstrap, sensor_id, spool, extra=""):
    Path(path).write_text(f"""sensor:
  id: {sensor_id}
outputs:
  kafka:
    enabled: yes
    brokers: "{bootstrap}"
    stats-interval: 1
{extra}    spool:
      dir: {spool}
""")


def run_sensor(conf, pcap, rules, logdir):
    Path(logdir).mkdir(parents=True, exist_ok=True)
    r = subprocess.run([str(SENSOR), "-c", str(conf), "-r", str(pcap), "-S", str(rules),
                        "-l", str(logdir), "-k", "none"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return r


def mine(lines, sensor_id, keyed=False):
    out = []
    for line in lines:
        value = line.split("\t", 2)[2] if keyed else line
        if json.loads(value)["sensor"]["id"] == sensor_id:
            out.append(line)
    return out


def test_sensor_alerts_in_kafka_identical_to_eve(broker, capture, tmp_path):  # noqa: F811
    import jsonschema

    conf = tmp_path / "sensor.yaml"
    sensor_conf(conf, broker.bootstrap, "it-sensor", tmp_path / "spool",
                extra="    flush-timeout-ms: 120000\n")
    run_sensor(conf, capture / "flood.pcap", capture / "flood.rules", tmp_path / "out")
    file_lines = eve_lines(tmp_path / "out/eve.json")
    assert len(file_lines) == 3000  # one alert per packet
    stats = json.loads((tmp_path / "out/stats.json").read_text())
    assert stats["output"]["spool_dropped"] == 0

    keyed = mine(consume(broker.bootstrap, keys=True), "it-sensor", keyed=True)
    assert sorted(line.split("\t", 2)[2] for line in keyed) == sorted(file_lines)
    schema = json.loads(SCHEMA.read_text())
    v = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    for line in keyed:
        key, header, value = line.split("\t", 2)
        ev = json.loads(value)
        v.validate(ev)
        assert key == ev["tenant"]
        assert header == "yunshao.alert/1"
    hb = [json.loads(val) for k, _, val in
          (s.split("\t", 2) for s in consume(broker.bootstrap, "yunshao.sensor-stats", keys=True))
          if k == "it-sensor"]
    assert hb and hb[-1]["sensor"]["id"] == "it-sensor"


def test_sensor_outage_then_restart_resends(broker, capture, tmp_path):  # noqa: F811
    conf = tmp_path / "sensor.yaml"
    sensor_conf(conf, broker.bootstrap, "it-sensor-outage", tmp_path / "spool",
                extra="    startup-timeout-ms: 1000\n    flush-timeout-ms: 1000\n")
    broker.stop()
    try:
        r = run_sensor(conf, capture / "flood.pcap", capture / "flood.rules", tmp_path / "out1")
        assert "unreachable" in r.stderr
        assert "left in the spool" in r.stderr
    finally:
        broker.start()
    assert any(p.suffix == ".spool" for p in (tmp_path / "spool").iterdir())
    # the next start sends what the last one could not, besides its own alerts
    sensor_conf(conf, broker.bootstrap, "it-sensor-outage", tmp_path / "spool",
                extra="    flush-timeout-ms: 120000\n")
    run_sensor(conf, capture / "small.pcap", capture / "flood.rules", tmp_path / "out2")
    file_ids = event_ids(eve_lines(tmp_path / "out1/eve.json") +
                         eve_lines(tmp_path / "out2/eve.json"))
    assert len(file_ids) == 3010
    kafka_ids = event_ids(mine(consume(broker.bootstrap), "it-sensor-outage"))
    assert set(kafka_ids) == set(file_ids)
    assert len(kafka_ids) == len(file_ids)
    assert not any(p.suffix == ".spool" for p in (tmp_path / "spool").iterdir())


def test_sensor_sigkill_mid_run_then_restart(broker, capture, tmp_path):  # noqa: F811
    """SIGKILL while alerts flow: the restart re-sends the spool; every alert the
    file holds reaches Kafka, and a duplicate is the same alert (same bytes)."""
    big = tmp_path / "big.pcap"
    write_flood_pcap(big, 400000)
    conf = tmp_path / "sensor.yaml"
    sensor_conf(conf, broker.bootstrap, "it-sensor-kill", tmp_path / "spool",
                extra="    flush-timeout-ms: 120000\n")
    (tmp_path / "out1").mkdir()
    proc = subprocess.Popen([str(SENSOR), "-c", str(conf), "-r", str(big), "-S",
                             str(capture / "flood.rules"), "-l", str(tmp_path / "out1"), "-k",
                             "none"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    eve1 = tmp_path / "out1/eve.json"
    deadline = time.time() + 120
    while time.time() < deadline and (not eve1.exists() or eve1.stat().st_size < 2_000_000):
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    if proc.poll() is not None:
        pytest.skip("the sensor finished the capture before it could be killed")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    spooled = [p for p in (tmp_path / "spool").iterdir() if p.suffix == ".spool"]
    assert spooled, "nothing left in the spool to re-send"
    run_sensor(conf, capture / "small.pcap", capture / "flood.rules", tmp_path / "out2")

    file_lines = eve_lines(eve1) + eve_lines(tmp_path / "out2/eve.json")
    assert len(file_lines) > 10
    by_id = {}
    for line in mine(consume(broker.bootstrap), "it-sensor-kill"):
        eid = json.loads(line)["event_id"]
        assert by_id.setdefault(eid, line) == line, "two different alerts share an event_id"
    missing = set(event_ids(file_lines)) - set(by_id)
    # output.c spools each alert for Kafka before it writes eve.json: whatever the
    # file holds, Kafka must get
    assert not missing, \
        f"{len(missing)} alerts of eve.json never reached Kafka"
