"""Shared helpers for the ingest integration tests: a private Kafka broker, a private
PostgreSQL server, the yunshao-ingest process, alert generation and the HTTP API.

Everything listens on 127.0.0.1 only, on ports picked free at run time, in temporary
directories removed afterwards. The binaries come from $YS_BUILD (default <repo>/build).
"""
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("YS_BUILD") or os.path.join(REPO, "build")
INGEST = os.path.join(BUILD, "ingest", "yunshao-ingest")
PRODUCE = os.path.join(BUILD, "ingest", "bench_ingest_produce")
KAFKA_SH = os.path.join(REPO, "deploy", "kafka", "kafka.sh")

TOKENS = {
    "admin": "admin-token-0123456789",
    "analyst": "analyst-token-0123456789",
    "auditor": "auditor-token-0123456789",
    "acme": "acme-token-0123456789",
    "acme-auditor": "acme-auditor-token-0123",
}


def free_port(span=1):
    """A port P such that P..P+span-1 were free a moment ago (Kafka needs P and P+1)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            p = s.getsockname()[1]
        if p + span >= 65535:
            continue
        ok = True
        for q in range(p + 1, p + span):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", q))
                except OSError:
                    ok = False
        if ok:
            return p
    raise RuntimeError("no free port")


def uuid7():
    ms = int(time.time() * 1000)
    rnd = bytearray(secrets.token_bytes(10))
    b = ms.to_bytes(6, "big") + bytes([0x70 | (rnd[0] & 0x0F), rnd[1], 0x80 | (rnd[2] & 0x3F)]) + rnd[3:]
    h = b.hex()
    return f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def eve_ts(t=None):
    t = time.time() if t is None else t
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06d+0000" % int((t % 1) * 1e6)


def alert(tenant, src, dst, sid=1000, sig="Test alert", category="Misc activity", severity=3,
          rack="r1", sensor="s1", t=None, tenant_id=1, **extra):
    ev = {
        "timestamp": eve_ts(t), "event_type": "alert", "src_ip": src, "src_port": 40000,
        "dest_ip": dst, "dest_port": 443, "proto": "TCP", "tenant_id": tenant_id,
        "tenant": tenant, "event_id": uuid7(),
        "alert": {"action": "allowed", "gid": 1, "signature_id": sid, "rev": 1,
                  "signature": sig, "category": category, "severity": severity},
        "sensor": {"id": sensor, "rack": rack, "host": "host-" + sensor},
    }
    ev.update(extra)
    return ev


class Kafka:
    """A private single-node broker from deploy/kafka/kafka.sh."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ys-ingest-kafka-")
        self.port = free_port(2)
        self.env = dict(os.environ, YS_KAFKA_PORT=str(self.port), YS_KAFKA_DIR=self.dir)
        self.bootstrap = f"127.0.0.1:{self.port}"

    def start(self):
        # kafka.sh picks a random cluster id; one that starts with '-' is taken for an option
        # by kafka-storage (reported to the kafka engineer), so a failed format is retried.
        for attempt in range(3):
            r = subprocess.run([KAFKA_SH, "start"], env=self.env, capture_output=True, text=True,
                               timeout=300)
            if r.returncode == 0:
                return
            if "formatting KRaft storage" not in r.stderr:
                break
            shutil.rmtree(self.dir, ignore_errors=True)
            os.makedirs(self.dir)
        raise RuntimeError(f"kafka.sh start failed: {r.stdout}\n{r.stderr}")

    def stop(self):
        subprocess.run([KAFKA_SH, "stop"], env=self.env, capture_output=True, timeout=120)
        shutil.rmtree(self.dir, ignore_errors=True)

    def create_topics(self, prefix):
        topics = {
            "alerts": (f"{prefix}.alerts", 6), "stats": (f"{prefix}.stats", 1),
            "dead_letter": (f"{prefix}.dead-letter", 1), "incidents": (f"{prefix}.incidents", 3),
            "by_source": (f"{prefix}.by-source", 3),
        }
        spec = ",".join(f"{n}:{p}" for n, p in topics.values())
        subprocess.run([PRODUCE, "-b", self.bootstrap, "--create", spec], check=True,
                       capture_output=True, timeout=60)
        return {k: v[0] for k, v in topics.items()}

    def produce(self, topic, events):
        lines = "".join((e if isinstance(e, str) else json.dumps(e)) + "\n" for e in events)
        r = subprocess.run([PRODUCE, "-b", self.bootstrap, "-t", topic, "--stdin"], input=lines,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr

    def consume(self, topic, max_msgs=0, timeout=8):
        r = subprocess.run([PRODUCE, "-b", self.bootstrap, "--consume", topic, "--max",
                            str(max_msgs), "--timeout", str(timeout)], capture_output=True,
                           text=True, timeout=timeout + 60)
        assert r.returncode == 0, r.stderr
        return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]


def _pg_bin(name):
    return os.path.join("/usr/lib/postgresql/15/bin", name)


class Postgres:
    """A private PostgreSQL 15 server (initdb + pg_ctl) on 127.0.0.1, as an unprivileged user."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ys-ingest-pg-")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.data = os.path.join(self.dir, "data")
        self.user = None
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root: use the Debian 'postgres' account.
            self.user = "postgres"
            pw = pwd.getpwnam(self.user)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)

    def _run(self, args, **kw):
        if self.user:
            args = ["runuser", "-u", self.user, "--"] + args
        return subprocess.run(args, capture_output=True, text=True, **kw)

    @staticmethod
    def available():
        return os.path.exists(_pg_bin("initdb")) and os.path.exists(_pg_bin("pg_ctl"))

    def start(self):
        r = self._run([_pg_bin("initdb"), "-D", self.data, "-U", "yunshao", "-A", "trust",
                       "-E", "UTF8", "--no-locale"], timeout=120)
        if r.returncode:
            raise RuntimeError("initdb: " + r.stderr)
        self.server_start()
        self.createdb("yunshao")

    def server_stop(self):
        """Stop the server, keeping its data (a restart test)."""
        self._run([_pg_bin("pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop"], timeout=120)

    def server_start(self):
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.dir}"
                " -c fsync=off -c shared_buffers=64MB")
        r = self._run([_pg_bin("pg_ctl"), "-D", self.data, "-o", opts, "-l",
                       os.path.join(self.dir, "pg.log"), "-w", "-t", "60", "start"], timeout=120)
        if r.returncode:
            raise RuntimeError("pg_ctl start: " + r.stderr + open(os.path.join(self.dir, "pg.log")).read())

    def conninfo(self, db="yunshao"):
        return f"host=127.0.0.1 port={self.port} dbname={db} user=yunshao"

    def createdb(self, name):
        r = subprocess.run(["psql", self.conninfo("postgres"), "-v", "ON_ERROR_STOP=1", "-c",
                            f'CREATE DATABASE "{name}"'], capture_output=True, text=True, timeout=60)
        if r.returncode:
            raise RuntimeError(r.stderr)

    def psql(self, sql, db="yunshao"):
        r = subprocess.run(["psql", self.conninfo(db), "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
                           capture_output=True, text=True, timeout=60)
        return r

    def stop(self):
        self._run([_pg_bin("pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop"], timeout=120)
        shutil.rmtree(self.dir, ignore_errors=True)


def write_config(workdir, topics, bootstrap, store=None, group="ingest", batch_ms=50, extra=""):
    store = store or {"driver": "sqlite", "data_dir": os.path.join(workdir, "data")}
    store_yaml = "\n".join(f"  {k}: {json.dumps(v)}" for k, v in store.items() if k != "postgres")
    if "postgres" in store:
        store_yaml += f"\n  postgres:\n    conninfo: {json.dumps(store['postgres'])}"
    cfg = f"""log_level: info
kafka:
  brokers: {bootstrap}
  group: {group}
  batch_max: 2000
  batch_ms: {batch_ms}
  max_message_bytes: 64kb
  topics:
    alerts: {topics['alerts']}
    stats: {topics['stats']}
    dead_letter: {topics['dead_letter']}
    incidents: {topics['incidents']}
    by_source: {topics['by_source']}
store:
{store_yaml}
  retention_days: 180
correlation:
  rules_dir: {REPO}/rules/correlation
  heartbeat_interval: 60
api:
  listen: 127.0.0.1:0
  console_dir: {REPO}/dashboards/console/dist
  tokens:
    - {{name: admin, token: {TOKENS['admin']}, role: admin, tenants: ["*"]}}
    - {{name: analyst, token: {TOKENS['analyst']}, role: analyst, tenants: ["*"]}}
    - {{name: auditor, token: {TOKENS['auditor']}, role: auditor, tenants: ["*"]}}
    - {{name: acme-analyst, token: {TOKENS['acme']}, role: analyst, tenants: ["acme"]}}
    - {{name: acme-auditor, token: {TOKENS['acme-auditor']}, role: auditor, tenants: ["acme"]}}
{extra}"""
    path = os.path.join(workdir, "ingest.yaml")
    with open(path, "w") as f:
        f.write(cfg)
    return path


class Ingest:
    """One yunshao-ingest process; .port is its API port."""

    def __init__(self, config, workdir, name="ingest"):
        self.config = config
        self.log = open(os.path.join(workdir, f"{name}.log"), "ab")
        self.proc = None
        self.port = None

    def start(self, extra_args=()):
        self.proc = subprocess.Popen([INGEST, "-c", self.config, *extra_args], cwd=REPO,
                                     stdout=subprocess.PIPE, stderr=self.log)
        line = self.proc.stdout.readline().decode()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not m:
            self.proc.wait(timeout=10)
            raise RuntimeError(f"ingest did not start (rc {self.proc.returncode}): {line}")
        self.port = int(m.group(1))
        return self

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=60)

    def stop(self):
        self.kill(signal.SIGTERM)

    def api(self, path, token="admin", method="GET", body=None, raw=False):
        return api_call(self.port, path, token, method, body, raw)

    def metric(self, name):
        _, text = api_call(self.port, "/metrics", None, raw=True)
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return 0.0


def api_call(port, path, token="admin", method="GET", body=None, raw=False, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + TOKENS.get(token, token))
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, payload = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, payload = e.code, e.read()
    if raw:
        return status, payload.decode(errors="replace")
    try:
        return status, json.loads(payload)
    except ValueError:
        return status, payload.decode(errors="replace")


def wait_for(pred, timeout=60, what="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def prerequisites():
    """None, or the reason the ingest integration tests cannot run on this machine."""
    for b in (INGEST, PRODUCE):
        if not os.path.exists(b):
            return f"{b} not built (YS_BUILD={BUILD})"
    if not shutil.which("java"):
        return "java not installed (deploy/deps-debian.sh)"
    return None
