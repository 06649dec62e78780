"""yunshao-ingest on PostgreSQL 15: a private server (initdb/pg_ctl from Debian's packages, as
an unprivileged user, on a free port on 127.0.0.1, in a temporary directory) and a private
Kafka broker.

  - the store unit tests (tests/unit/ingest/test_store.c) on this server
  - the bundled rules fire (and near misses stay silent) with the postgres store
  - SIGKILL mid-stream and restart: every alert stored exactly once; two instances share
  - tampering with one audit row (triggers disabled by the owner) is detected
  - the database restarting mid-stream loses nothing (batches are replayed from Kafka)
"""
import os
import subprocess
import time

import pytest

from test_ingest import rule_sequences
from test_ingest_helpers import (BUILD, INGEST, REPO, Ingest, Kafka, Postgres, alert,
                                 prerequisites, wait_for, write_config)

_why = prerequisites() or (None if Postgres.available() else
                           "PostgreSQL 15 server binaries not installed (postgresql-15)")
pytestmark = pytest.mark.skipif(_why is not None, reason=_why or "")
STORE_TEST = os.path.join(BUILD, "tests", "unit", "ingest", "test_ingest_store")


@pytest.fixture(scope="module")
def pg():
    p = Postgres()
    try:
        p.start()
    except Exception:
        p.stop()
        raise
    yield p
    p.stop()


@pytest.fixture(scope="module")
def kafka():
    k = Kafka()
    try:
        k.start()
    except Exception:
        k.stop()
        raise
    yield k
    k.stop()


_n = [0]


@pytest.fixture
def env(pg, kafka, tmp_path):
    _n[0] += 1
    prefix = f"pg{os.getpid()}x{_n[0]}"
    db = prefix
    pg.createdb(db)
    topics = kafka.create_topics(prefix)
    started = []

    class Env:
        pass

    e = Env()
    e.pg, e.kafka, e.topics, e.dbname = pg, kafka, topics, db
    e.config = write_config(str(tmp_path), topics, kafka.bootstrap, group=prefix + "-g",
                            store={"driver": "postgres", "postgres": pg.conninfo(db)})

    def launch(name="ingest"):
        inst = Ingest(e.config, str(tmp_path), name).start()
        started.append(inst)
        return inst

    def count(sql="SELECT count(*) FROM alerts"):
        r = pg.psql(sql, db)
        return int(r.stdout.strip() or 0) if r.returncode == 0 else 0

    e.launch, e.count = launch, count
    yield e
    for inst in started:
        inst.kill()


def test_store_unit_tests_on_postgres(pg):
    if not os.path.exists(STORE_TEST):
        pytest.fail(f"{STORE_TEST} not built")
    pg.createdb("unit")
    r = subprocess.run([STORE_TEST], env=dict(os.environ, YS_TEST_PG_CONNINFO=pg.conninfo("unit"),
                                              YS_SOURCE_DIR=REPO),
                       capture_output=True, text=True, timeout=300)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "SKIPPED" not in out
    assert out.count("[  PASSED  ] 5 test(s).") == 2


def test_rules_fire_on_postgres(env):
    evs, expected = rule_sequences(time.time() - 600)
    inst = env.launch()
    assert inst.api("/healthz", None)[1]["store"] == "postgres"
    env.kafka.produce(env.topics["alerts"], evs)
    wait_for(lambda: env.count() == len(evs), 90, "all alerts stored")

    def rules():
        s, body = inst.api("/api/v1/incidents?limit=1000")
        return {(i["rule"], i["tenant"]) for i in body["incidents"]}

    wait_for(lambda: rules() >= expected, 60, "incidents")
    time.sleep(3)
    assert rules() == expected
    assert env.count("SELECT count(*) FROM incidents") == len(expected)


def test_sigkill_restart_and_two_instances_on_postgres(env):
    n = 20000
    evs = [alert(f"t{i % 6}", f"192.0.2.{i % 200}", "10.0.0.1", 7000, "load",
                 t=time.time() - 300 + i * 0.001) for i in range(n)]
    env.kafka.produce(env.topics["alerts"], evs)
    first = env.launch("first")
    wait_for(lambda: env.count() > 500, 90, "some stored")
    first.kill()
    partial = env.count()
    assert partial < n, "the kill should land mid-stream"
    a, b = env.launch("a"), env.launch("b")
    wait_for(lambda: env.count() >= n, 240, "all stored after restart")
    time.sleep(2)
    assert env.count("SELECT count(DISTINCT event_id) FROM alerts") == n
    assert env.count() == n
    sa = a.metric("yunshao_ingest_alerts_stored_total")
    sb = b.metric("yunshao_ingest_alerts_stored_total")
    assert sa + sb == n - partial


def test_audit_tampering_detected_on_postgres(env):
    inst = env.launch()
    now = time.time() - 100
    env.kafka.produce(env.topics["alerts"], [
        alert("acme", "198.51.100.5", "10.0.0.9", 9100501, "YUNSHAO BRUTEFORCE SSH", severity=2,
              t=now + i) for i in range(21)])
    wait_for(lambda: env.count("SELECT count(*) FROM incidents") == 1, 60, "incident")
    iid = env.count("SELECT id FROM incidents")
    for i in range(3):
        assert inst.api(f"/api/v1/incidents/{iid}/comment", "admin", "POST",
                        {"text": f"c{i}"})[0] == 200
    inst.stop()
    ok = subprocess.run([INGEST, "-c", env.config, "--verify-audit"], cwd=REPO,
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # the append-only trigger refuses an edit ...
    r = env.pg.psql("UPDATE audit SET actor = 'mallory' WHERE seq = 2", env.dbname)
    assert r.returncode != 0 and "append-only" in r.stderr
    # ... the owner can disable it, and the chain still gives the edit away
    r = env.pg.psql("ALTER TABLE audit DISABLE TRIGGER USER;"
                    " UPDATE audit SET detail = '{}' WHERE seq = 3", env.dbname)
    assert r.returncode == 0, r.stderr
    bad = subprocess.run([INGEST, "-c", env.config, "--verify-audit"], cwd=REPO,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "seq 3" in bad.stdout


def test_postgres_restart_mid_stream_loses_nothing(env):
    inst = env.launch()
    first = [alert("acme", "192.0.2.1", "10.0.0.1", 8000, "x", t=time.time() - 60 + i * 0.01)
             for i in range(3000)]
    env.kafka.produce(env.topics["alerts"], first)
    wait_for(lambda: env.count() == 3000, 90, "first part stored")
    env.pg.server_stop()
    second = [alert("acme", "192.0.2.2", "10.0.0.1", 8000, "x", t=time.time() - 30 + i * 0.01)
              for i in range(3000)]
    env.kafka.produce(env.topics["alerts"], second)
    time.sleep(3)  # the ingest fails its batches meanwhile and keeps them in Kafka
    assert inst.proc.poll() is None, "the ingest must survive its database going away"
    env.pg.server_start()
    wait_for(lambda: env.count() == 6000, 120, "everything stored after the restart")
    time.sleep(2)
    assert env.count("SELECT count(DISTINCT event_id) FROM alerts") == 6000
    s, body = inst.api("/healthz", None)
    assert s == 200 and body["status"] == "ok"
