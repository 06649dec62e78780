"""Shared fixtures for the integration tests (pytest, run with Debian's /usr/bin/python3).

  REPO, BUILD         the checkout and the build directory holding the binaries: $YS_BUILD, else <repo>/build
  sensor_bin          path of yunshao-sensor (fails clearly when it has not been built)
  traffic             the sample captures of tests/data/gen_traffic.py, generated once per session into a
                      temporary directory: a Traffic with .dir, .manifest and .pcap(name)
  sensor_config       a sensor config for the sample traffic: rules/tenants.example.yaml plus absolute
                      paths to rules/classification.config and rules/reference.config
  sensor              a runner: sensor(pcap=..., rules=[...], config=..., extra=[...]) -> SensorRun with
                      .rc, .stdout, .stderr, .alerts (eve.json objects), .stats (stats.json), .outdir
  workdir             a fresh temporary directory removed after the test

Other test files (Kafka, ingest, console) may use these; keep them generic.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.abspath(os.environ.get("YS_BUILD") or os.path.join(REPO, "build"))
RULES = os.path.join(REPO, "rules", "yunshao-cloud.rules")
TENANTS_EXAMPLE = os.path.join(REPO, "rules", "tenants.example.yaml")
GEN_TRAFFIC = os.path.join(REPO, "tests", "data", "gen_traffic.py")
PYTHON = "/usr/bin/python3"
SENSOR_TIMEOUT = 300


class Traffic:
    def __init__(self, directory, manifest):
        self.dir = directory
        self.manifest = manifest

    def pcap(self, name):
        return os.path.join(self.dir, name)


class SensorRun:
    def __init__(self, argv, proc, outdir, eve_path):
        self.argv = argv
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.outdir = outdir
        self.eve_path = eve_path
        self.alerts = []
        self.stats = None
        if eve_path and os.path.exists(eve_path):
            with open(eve_path) as f:
                for n, line in enumerate(f, 1):
                    line = line.strip()
                    if not line:
                        continue
                    try:
                        ev = json.loads(line)
                    except ValueError as e:
                        raise AssertionError("%s:%d: not JSON (%s): %r" % (eve_path, n, e, line[:200]))
                    if ev.get("event_type") == "alert":
                        self.alerts.append(ev)
        stats_path = os.path.join(outdir, "stats.json") if outdir else None
        if stats_path and os.path.exists(stats_path):
            with open(stats_path) as f:
                self.stats = json.load(f)

    def describe(self):
        """A short text for assertion messages: the command line and the tail of stderr."""
        return "command: %s\nexit: %s\nstderr tail:\n%s" % (" ".join(self.argv), self.rc, self.stderr[-3000:])


@pytest.fixture(scope="session")
def sensor_bin():
    path = os.path.join(BUILD, "sensor", "yunshao-sensor")
    if not os.access(path, os.X_OK):
        pytest.fail("%s is not built: build the yunshao-sensor target or point YS_BUILD at a build "
                    "directory that has it" % path)
    return path


@pytest.fixture(scope="session")
def traffic(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("traffic"))
    proc = subprocess.run([PYTHON, GEN_TRAFFIC, "--out", out, "-q"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, "gen_traffic.py failed:\n" + proc.stderr[-3000:]
    with open(os.path.join(out, "manifest.json")) as f:
        manifest = json.load(f)
    return Traffic(out, manifest)


@pytest.fixture(scope="session")
def sensor_config(tmp_path_factory):
    d = tmp_path_factory.mktemp("config")
    path = os.path.join(str(d), "yunshao.yaml")
    with open(TENANTS_EXAMPLE) as f:
        text = f.read()
    text += "\nclassification-file: %s\nreference-config-file: %s\n" % (
        os.path.join(REPO, "rules", "classification.config"), os.path.join(REPO, "rules", "reference.config"))
    with open(path, "w") as f:
        f.write(text)
    return path


def run_sensor(sensor_bin, outdir, pcap=None, rules=(RULES,), config=None, extra=(), eve=None,
               checksum="none", timeout=SENSOR_TIMEOUT):
    argv = [sensor_bin]
    if pcap:
        argv += ["-r", pcap]
    for r in rules:
        argv += ["-S", r]
    if config:
        argv += ["-c", config]
    if outdir:
        argv += ["-l", outdir]
    if eve:
        argv += ["--eve", eve]
    if checksum:
        argv += ["-k", checksum]
    argv += list(extra)
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    eve_path = eve or (os.path.join(outdir, "eve.json") if outdir else None)
    return SensorRun(argv, proc, outdir, eve_path)


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="ys-it-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def sensor(sensor_bin, workdir):
    """Runner bound to a fresh output directory per call."""
    counter = [0]

    def run(pcap=None, rules=(RULES,), config=None, extra=(), eve=None, checksum="none", outdir=None):
        if outdir is None:
            counter[0] += 1
            outdir = os.path.join(workdir, "out%d" % counter[0])
            os.makedirs(outdir)
        return run_sensor(sensor_bin, outdir, pcap=pcap, rules=rules, config=config, extra=extra, eve=eve,
                          checksum=checksum)

    return run


def pytest_report_header(config):
    return "yunshao: YS_BUILD=%s, python %s" % (BUILD, sys.version.split()[0])
