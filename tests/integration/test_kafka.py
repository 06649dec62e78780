"""Alerts through a real Apache Kafka broker with nothing lost (issue 4).

Each test module starts its own single-node KRaft broker with
deploy/kafka/kafka.sh on a free loopback port and a private data dir, and
stops it at the end. Alerts are fed through the sensor's Kafka sink by
$YS_BUILD/tests/integration/ys_kafka_drive (the same sink ops output.c uses,
writing the eve.json file beside it) and read back with ys_kafka_consume.
Each test uses its own sensor id and filters the shared topic by it.
"""
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("YS_BUILD", REPO / "build"))
DRIVE = BUILD / "tests/integration/ys_kafka_drive"
CONSUME = BUILD / "tests/integration/ys_kafka_consume"
KAFKA_SH = REPO / "deploy/kafka/kafka.sh"
SCHEMA = REPO / "common/schema/alert.schema.json"


def free_port_pair():
    """A port P with P+1 also free (Kafka client + controller listeners)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port > 65000:
            continue
        with socket.socket() as s2:
            try:
                s2.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair on 127.0.0.1")


class Broker:
    def __init__(self, tmp):
        self.port = free_port_pair()
        self.dir = Path(tmp) / "kafka"
        self.env = dict(os.environ, YS_KAFKA_PORT=str(self.port), YS_KAFKA_DIR=str(self.dir))
        self.bootstrap = f"127.0.0.1:{self.port}"

    def run(self, cmd, check=True):
        r = subprocess.run([str(KAFKA_SH), cmd], env=self.env, capture_output=True, text=True,
                           timeout=300)
        if check and r.returncode != 0:
            raise RuntimeError(f"kafka.sh {cmd} failed: {r.stdout}\n{r.stderr}")
        return r

    def start(self):
        self.run("start")

    def stop(self):
        self.run("stop", check=False)


@pytest.fixture(scope="module")
def broker():
    for tool in (DRIVE, CONSUME):
        if not tool.exists():
            pytest.skip(f"{tool} not built (cmake --build $YS_BUILD)")
    if subprocess.run(["bash", "-c", "command -v java && command -v mvn"],
                      capture_output=True).returncode != 0:
        pytest.skip("java/maven missing: deploy/deps-debian.sh installs them")
    with tempfile.TemporaryDirectory(prefix="ys-kafka-it-") as tmp:
        b = Broker(tmp)
        try:
            b.start()
        except RuntimeError as e:
            b.stop()
            pytest.fail(str(e))
        try:
            yield b
        finally:
            b.stop()


def write_conf(path, bootstrap, sensor_id, spool_dir, extra=""):
    Path(path).write_text(
        f"""sensor:
  id: {sensor_id}
outputs:
  kafka:
    brokers: "{bootstrap}"
    stats-interval: 1
    startup-timeout-ms: 3000
    flush-timeout-ms: 300000
{extra}    spool:
      dir: {spool_dir}
      max-size: 256mb
""")


def drive_cmd(conf, n, eve, rate=0, flush_ms=120000, mix="123"):
    return [str(DRIVE), "-c", str(conf), "-n", str(n), "-r", str(rate), "-e", str(eve),
            "-f", str(flush_ms), "-m", mix]


def run_drive(*args, **kw):
    r = subprocess.run(drive_cmd(*args, **kw), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def consume(bootstrap, topic="yunshao.alerts", keys=False, idle_ms=1500):
    cmd = [str(CONSUME), "-b", bootstrap, "-t", topic, "-i", str(idle_ms)]
    if keys:
        cmd.append("-k")
    r = subprocess.run(cmd, capture_output=True, timeout=300)
    assert r.returncode == 0, r.stderr.decode()
    return r.stdout.decode("utf-8").splitlines()


def of_sensor(lines, sensor_id, keyed=False):
    out = []
    for line in lines:
        value = line.split("\t", 2)[2] if keyed else line
        if json.loads(value)["sensor"]["id"] == sensor_id:
            out.append(line)
    return out


def eve_lines(path):
    """The complete records of an eve.json: a record ends with its newline, and a writer
    killed with SIGKILL in the middle of a write(2) may leave a torn last line."""
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    return [line for line in text.split("\n")[:-1] if line]


def event_ids(lines):
    return [json.loads(line)["event_id"] for line in lines]


def test_alerts_byte_identical_to_eve_file(broker, tmp_path):
    """Produced and consumed byte-identical; key = tenant; schema header; schema-valid."""
    import jsonschema

    conf = tmp_path / "conf.yaml"
    write_conf(conf, broker.bootstrap, "it-identical", tmp_path / "spool")
    summary = run_drive(conf, 5000, tmp_path / "eve.json")
    assert summary["written"] == 5000
    assert summary["delivered"] == 5000
    assert summary["spool_records"] == 0

    keyed = of_sensor(consume(broker.bootstrap, keys=True), "it-identical", keyed=True)
    values = [line.split("\t", 2)[2] for line in keyed]
    file_lines = eve_lines(tmp_path / "eve.json")
    assert len(file_lines) == 5000
    assert sorted(values) == sorted(file_lines)  # byte for byte, nothing more or less
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    for line in keyed:
        key, header, value = line.split("\t", 2)
        ev = json.loads(value)
        assert key == ev["tenant"]
        assert header == "yunshao.alert/1"
    for value in values[:500]:
        validator.validate(json.loads(value))
    # the spool is empty once everything is acknowledged
    assert not any(p.suffix == ".spool" for p in (tmp_path / "spool").iterdir())


def test_sensor_stats_keyed_by_sensor_id(broker, tmp_path):
    conf = tmp_path / "conf.yaml"
    write_conf(conf, broker.bootstrap, "it-stats", tmp_path / "spool")
    run_drive(conf, 2000, tmp_path / "eve.json", rate=1000)
    stats = [line.split("\t", 2) for line in consume(broker.bootstrap, "yunshao.sensor-stats",
                                                      keys=True)]
    mine = [json.loads(v) for k, _, v in stats if k == "it-stats"]
    assert mine, "no sensor-stats message keyed it-stats"
    last = mine[-1]
    assert last["event_type"] == "stats"
    assert last["sensor"]["id"] == "it-stats"
    assert last["driver"]["written"] == 2000  # the registered stats callback ran
    assert "spool" in last and "dropped" in last["spool"]


def test_broker_stopped_30s_mid_run(broker, tmp_path):
    """Broker down for 30 s in the middle: same count and event_ids as the file."""
    conf = tmp_path / "conf.yaml"
    write_conf(conf, broker.bootstrap, "it-outage", tmp_path / "spool")
    proc = subprocess.Popen(drive_cmd(conf, 16000, tmp_path / "eve.json", rate=400,
                                      flush_ms=180000),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(6)
        broker.stop()
        down_at = len(eve_lines(tmp_path / "eve.json"))
        time.sleep(30)
        during = len(eve_lines(tmp_path / "eve.json"))
        assert during > down_at + 5000, "alerts kept flowing into the sink while Kafka was down"
        broker.start()
        out, err = proc.communicate(timeout=400)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["spool_dropped"] == 0
    assert summary["spool_records"] == 0
    file_ids = event_ids(eve_lines(tmp_path / "eve.json"))
    kafka_ids = event_ids(of_sensor(consume(broker.bootstrap), "it-outage"))
    assert len(file_ids) == 16000
    assert len(kafka_ids) == len(file_ids)
    assert set(kafka_ids) == set(file_ids)


def test_sigkill_mid_run_and_restart(broker, tmp_path):
    """SIGKILL mid-run, restart on the same spool: every alert arrives; any
    duplicate is the same alert (same event_id, same bytes)."""
    conf = tmp_path / "conf.yaml"
    eve = tmp_path / "eve.json"
    write_conf(conf, broker.bootstrap, "it-sigkill", tmp_path / "spool")
    proc = subprocess.Popen(drive_cmd(conf, 200000, eve, rate=5000),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(4)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = len(eve_lines(eve))
    assert 1000 < before < 200000
    summary = run_drive(conf, 3000, eve)
    assert summary["recovered"] >= 0
    assert summary["spool_records"] == 0

    file_lines = eve_lines(eve)
    kafka_lines = of_sensor(consume(broker.bootstrap), "it-sigkill")
    by_id = {}
    for line in kafka_lines:
        eid = json.loads(line)["event_id"]
        assert by_id.setdefault(eid, line) == line, "two different alerts share an event_id"
    file_ids = set(event_ids(file_lines))
    assert file_ids <= set(by_id), f"{len(file_ids - set(by_id))} alerts lost"
    # the spool may hold one alert the killed process had not yet written to the file
    assert len(set(by_id) - file_ids) <= 1


def test_spool_full_drop_counters_equal_missing(broker, tmp_path):
    """Broker down, spool bounded: the drop counter equals what never arrives,
    and drops are the least severe first (no severity 1 is lost)."""
    conf = tmp_path / "conf.yaml"
    eve = tmp_path / "eve.json"
    # max-inflight keeps librdkafka's in-memory queue small, so the disk bound decides
    write_conf(conf, broker.bootstrap, "it-full", tmp_path / "spool",
               extra="    max-inflight: 50\n")
    text = conf.read_text().replace("max-size: 256mb", "max-size: 2mb")
    conf.write_text(text)
    broker.stop()
    try:
        proc = subprocess.Popen(drive_cmd(conf, 9000, eve, flush_ms=240000),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 120
        while time.time() < deadline and (not eve.exists() or len(eve_lines(eve)) < 9000):
            time.sleep(0.2)
        assert len(eve_lines(eve)) == 9000
    finally:
        broker.start()
    out, err = proc.communicate(timeout=400)
    assert proc.returncode == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    dropped = summary["spool_dropped"]
    assert dropped > 0, "the spool bound was never reached"
    assert "spool full" in err  # and it said so loudly

    file_lines = eve_lines(eve)
    kafka_ids = set(event_ids(of_sensor(consume(broker.bootstrap), "it-full")))
    missing = [json.loads(line) for line in file_lines
               if json.loads(line)["event_id"] not in kafka_ids]
    assert len(missing) == dropped
    by_sev = summary["dropped_by_severity"]
    assert by_sev["1"] == 0
    assert not [m for m in missing if m["alert"]["severity"] == 1]
    assert sum(1 for m in missing if m["alert"]["severity"] == 3) == by_sev["3"]
    assert sum(1 for m in missing if m["alert"]["severity"] == 2) == by_sev["2"]
    assert by_sev["3"] >= by_sev["2"]


def test_bad_config_is_a_clear_error(broker, tmp_path):
    conf = tmp_path / "conf.yaml"
    # unknown topic: refused at start, naming the topic
    write_conf(conf, broker.bootstrap, "it-bad", tmp_path / "spool",
               extra="    topic: yunshao.no-such-topic\n")
    r = subprocess.run(drive_cmd(conf, 10, tmp_path / "eve.json"), capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 1
    assert "yunshao.no-such-topic" in r.stderr and "does not exist" in r.stderr
    # unreadable TLS file: refused at start, naming the file and the config line
    write_conf(conf, broker.bootstrap, "it-bad", tmp_path / "spool",
               extra="    tls:\n      ca: /nonexistent/ca.pem\n")
    r = subprocess.run(drive_cmd(conf, 10, tmp_path / "eve.json"), capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 1
    assert "/nonexistent/ca.pem" in r.stderr and "conf.yaml:" in r.stderr
    # unreachable broker: starts, says so, and keeps every alert in the spool
    write_conf(conf, "127.0.0.1:1", "it-bad", tmp_path / "spool2")
    r = subprocess.run(drive_cmd(conf, 10, tmp_path / "eve2.json", flush_ms=500),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "unreachable" in r.stderr
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["spool_records"] == 10 and summary["delivered"] == 0
