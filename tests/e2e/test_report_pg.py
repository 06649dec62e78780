"""
The MLPS report's queries on PostgreSQL: runs the report unit test binary
(tests/unit/report/test_report.c, every figure checked against its fixture)
with YS_REPORT_TEST_PG pointing at a private PostgreSQL 15 server started here
(initdb + pg_ctl on 127.0.0.1, as the Debian 'postgres' account when run as
root) and stopped afterwards. The same binary without the variable covers
SQLite in ctest, so both store drivers answer the report's SQL alike.
"""
import os
import pwd
import shutil
import socket
import subprocess
import tempfile

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BUILD = os.environ.get('YS_BUILD') or os.path.join(ROOT, 'build')
PGBIN = '/usr/lib/postgresql/15/bin'
TEST = os.path.join(BUILD, 'tests', 'unit', 'report', 'test_report')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture
def postgres():
    if not os.path.exists(os.path.join(PGBIN, 'initdb')):
        print('SKIP: PostgreSQL 15 server binaries are not installed')
        pytest.skip('PostgreSQL 15 (postgresql package) is not installed')
    d = tempfile.mkdtemp(prefix='ys-report-pg-')
    os.chmod(d, 0o755)
    data = os.path.join(d, 'data')
    port = free_port()
    prefix = []
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root.
        pw = pwd.getpwnam('postgres')
        os.chown(d, pw.pw_uid, pw.pw_gid)
        prefix = ['runuser', '-u', 'postgres', '--']
    run = lambda args: subprocess.run(prefix + args, capture_output=True, text=True, timeout=120)
    started = False
    try:
        r = run([os.path.join(PGBIN, 'initdb'), '-D', data, '-U', 'yunshao', '-A', 'trust', '-E', 'UTF8',
                 '--no-locale'])
        assert r.returncode == 0, r.stderr
        opts = ('-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s -c fsync=off'
                % (port, d))
        r = run([os.path.join(PGBIN, 'pg_ctl'), '-D', data, '-o', opts, '-l', os.path.join(d, 'pg.log'),
                 '-w', '-t', '60', 'start'])
        assert r.returncode == 0, r.stderr
        started = True
        base = 'host=127.0.0.1 port=%d user=yunshao' % port
        r = subprocess.run(['psql', base + ' dbname=postgres', '-v', 'ON_ERROR_STOP=1', '-c',
                            'CREATE DATABASE yunshao_report'], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        yield base + ' dbname=yunshao_report'
    finally:
        if started:
            run([os.path.join(PGBIN, 'pg_ctl'), '-D', data, '-m', 'fast', '-w', 'stop'])
        shutil.rmtree(d, ignore_errors=True)


def test_report_figures_on_postgres(postgres):
    if not os.access(TEST, os.X_OK):
        print('SKIP: %s is not built' % TEST)
        pytest.skip('report unit test binary not built under ' + BUILD)
    r = subprocess.run([TEST], env=dict(os.environ, YS_REPORT_TEST_PG=postgres), capture_output=True,
                       text=True, timeout=600)
    print(r.stdout[-4000:] + r.stderr[-4000:])
    assert r.returncode == 0, 'report tests failed on PostgreSQL'
    out = r.stdout + r.stderr
    assert '[  PASSED  ]' in out and '[  FAILED  ]' not in out
    assert '[       OK ] test_alarms_and_scope' in out and '[       OK ] test_attacks_all_tenants' in out
