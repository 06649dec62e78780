"""
End-to-end tests of the SOC console and the MLPS report against the real
pipeline: generated traffic -> yunshao-sensor -> Kafka -> yunshao-ingest ->
HTTP API + console, then Debian's Chromium driven by playwright-core
(console.e2e.mjs) through sign-in, situation, an incident acknowledged,
assigned, commented and closed, its audit entries, and tenant scoping by URL.
Screenshots of every page land in $YS_BUILD/e2e-shots/.

Also: the committed console build (dashboards/console/dist) equals a fresh
build, the i18n table is complete, and the MLPS report's figures (HTML and
PDF) equal counts made here directly in the store's SQLite file.

Needs: $YS_BUILD/sensor/yunshao-sensor and $YS_BUILD/ingest/yunshao-ingest,
deploy/kafka/kafka.sh (Java, Maven cache), tests/data/gen_traffic.py,
/usr/bin/chromium, node and npm. A piece missing on this machine skips the
pipeline tests with the reason printed; nothing here ever uses the fake API.
"""
import json
import os
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BUILD = os.environ.get('YS_BUILD') or os.path.join(ROOT, 'build')
CONSOLE = os.path.join(ROOT, 'dashboards', 'console')
E2E = os.path.dirname(os.path.abspath(__file__))
CHROMIUM = '/usr/bin/chromium'
KAFKA_SH = os.path.join(ROOT, 'deploy', 'kafka', 'kafka.sh')
GEN = os.path.join(ROOT, 'tests', 'data', 'gen_traffic.py')
RULES = os.path.join(ROOT, 'rules', 'yunshao-cloud.rules')
TENANT_MAP = os.path.join(ROOT, 'rules', 'tenants.example.yaml')
CORRELATION = os.path.join(ROOT, 'rules', 'correlation')
PY = '/usr/bin/python3'
USEC = 1000000


def find_binary(name, subdirs):
    for d in subdirs:
        p = os.path.join(BUILD, d, name)
        if os.access(p, os.X_OK):
            return p
    return None


def skip(reason):
    print('SKIP: ' + reason, flush=True)
    pytest.skip(reason)


def npm_ci(folder):
    """node_modules from the committed lock file (npm registry only)."""
    if os.path.isdir(os.path.join(folder, 'node_modules')):
        return
    if not shutil.which('npm'):
        skip('npm is not installed (deploy/deps-debian.sh installs it)')
    env = dict(os.environ, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD='1')
    r = subprocess.run(['npm', 'ci', '--no-audit', '--no-fund'], cwd=folder, env=env,
                       capture_output=True, text=True, timeout=600)
    if r.returncode:
        pytest.fail('npm ci in %s failed:\n%s' % (folder, r.stdout + r.stderr))


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- console build

def test_console_dist_matches_a_fresh_build():
    npm_ci(CONSOLE)
    r = subprocess.run(['node', 'build.mjs', '--check'], cwd=CONSOLE, capture_output=True, text=True,
                       timeout=300)
    print(r.stdout + r.stderr)
    assert r.returncode == 0, 'dashboards/console/dist is stale: run `npm run build` there and commit'


def test_console_i18n_table_is_complete():
    r = subprocess.run(['node', '--input-type=module', '-e',
                        "import('./src/i18n.js').then(m => console.log(JSON.stringify(m.missingTranslations())))"],
                       cwd=CONSOLE, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [], 'keys without zh or en text'
    # every t('key') used in the source exists in the table
    with open(os.path.join(CONSOLE, 'src', 'i18n.js')) as f:
        table = f.read()
    keys = set()
    for d, _, files in os.walk(os.path.join(CONSOLE, 'src')):
        for name in files:
            if name.endswith('.js') and name != 'i18n.js':
                with open(os.path.join(d, name)) as f:
                    keys |= set(re.findall(r"\bt\('([a-zA-Z0-9_.]+)'", f.read()))
    dynamic = {k for k in keys if k.endswith('.')}
    missing = sorted(k for k in keys - dynamic if "'%s':" % k not in table)
    assert missing == [], 'used but not translated: %s' % missing


# ---------------------------------------------------------------- the pipeline

class Pipeline:
    pass


def api(base, token, path, method='GET', body=None, raw=False):
    req = urllib.request.Request(base + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={'Authorization': 'Bearer ' + token,
                                          'Content-Type': 'application/json'})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            data = r.read()
            return r.status, (data if raw else json.loads(data or b'{}'))
    except urllib.error.HTTPError as e:
        return e.code, None


def wait_for(pred, timeout, what):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = pred()
            if last:
                return last
        except (OSError, ValueError) as e:
            last = e
        time.sleep(0.5)
    pytest.fail('timed out after %ds waiting for %s (last: %r)' % (timeout, what, last))


@pytest.fixture(scope='module')
def pipeline():
    sensor = find_binary('yunshao-sensor', ['sensor', '.'])
    ingest = find_binary('yunshao-ingest', ['ingest', '.'])
    if not sensor:
        skip('no yunshao-sensor under %s (build it first)' % BUILD)
    if not ingest:
        skip('no yunshao-ingest under %s (build it first)' % BUILD)
    for path, what in ((KAFKA_SH, 'deploy/kafka/kafka.sh'), (GEN, 'tests/data/gen_traffic.py'),
                       (CHROMIUM, 'Debian chromium'), (RULES, 'rules/yunshao-cloud.rules'),
                       (TENANT_MAP, 'rules/tenants.example.yaml')):
        if not os.path.exists(path):
            skip('%s is missing (%s)' % (what, path))
    if not shutil.which('java'):
        skip('java is not installed: the local Kafka broker cannot run')
    if not shutil.which('node'):
        skip('node is not installed')
    import yaml  # python3-yaml, in deploy/deps-debian.sh

    p = Pipeline()
    p.tmp = tempfile.mkdtemp(prefix='yunshao-e2e-')
    p.procs = []
    kafka_env = dict(os.environ, YS_KAFKA_DIR=os.path.join(p.tmp, 'kafka'), YS_KAFKA_PORT=str(free_port()))
    p.kafka_port = kafka_env['YS_KAFKA_PORT']
    kafka_started = False
    try:
        # 1. traffic
        traffic = os.path.join(p.tmp, 'traffic')
        subprocess.run([PY, GEN, '--out', traffic, '-q'], check=True, timeout=600)
        pcap = os.path.join(traffic, 'sample.pcap')
        assert os.path.exists(pcap), 'gen_traffic.py wrote no sample.pcap'

        # 2. Kafka on its own port and folder
        r = subprocess.run([KAFKA_SH, 'start'], env=kafka_env, capture_output=True, text=True, timeout=900)
        if r.returncode:
            pytest.fail('kafka.sh start failed:\n' + r.stdout + r.stderr)
        kafka_started = True
        brokers = '127.0.0.1:' + p.kafka_port

        # 3. ingest with an all-tenant admin and auditor and one analyst token per tenant of the
        #    map (the scoped token the browser uses is picked once incidents exist)
        with open(TENANT_MAP) as f:
            tenant_names = [t['name'] for t in yaml.safe_load(f).get('tenants', [])] + ['unassigned']
        p.tokens = {'admin': secrets.token_hex(16), 'auditor': secrets.token_hex(16)}
        p.scoped = {t: secrets.token_hex(16) for t in tenant_names}
        p.api_port = free_port()
        p.base = 'http://127.0.0.1:%d' % p.api_port
        p.store_dir = os.path.join(p.tmp, 'store')
        tokens = [{'name': 'e2e-admin', 'token': p.tokens['admin'], 'role': 'admin', 'tenants': ['*']},
                  {'name': 'e2e-auditor', 'token': p.tokens['auditor'], 'role': 'auditor', 'tenants': ['*']}]
        tokens += [{'name': 'e2e-analyst-' + t, 'token': tok, 'role': 'analyst', 'tenants': [t]}
                   for t, tok in p.scoped.items()]
        # an auditor for the first tenant only: its reports cover that tenant and no other
        p.scoped_auditor = (tenant_names[0], secrets.token_hex(16))
        tokens.append({'name': 'e2e-auditor-' + tenant_names[0], 'token': p.scoped_auditor[1],
                       'role': 'auditor', 'tenants': [tenant_names[0]]})
        conf = {
            'kafka': {'brokers': [brokers], 'group': 'yunshao-ingest-e2e'},
            # The sample traffic is dated 2026-01-01: no purge, or retention would drop it at once.
            'store': {'driver': 'sqlite', 'data_dir': p.store_dir, 'retention_days': 180,
                      'purge_interval': 0},
            'correlation': {'rules_dir': CORRELATION},
            'api': {'listen': '127.0.0.1:%d' % p.api_port,
                    'console_dir': os.path.join(CONSOLE, 'dist'),
                    'tokens': tokens},
        }
        ingest_yaml = os.path.join(p.tmp, 'ingest.yaml')
        with open(ingest_yaml, 'w') as f:
            yaml.safe_dump(conf, f)
        log = open(os.path.join(p.tmp, 'ingest.log'), 'w')
        p.procs.append(subprocess.Popen([ingest, '-c', ingest_yaml], stdout=log, stderr=subprocess.STDOUT,
                                        cwd=p.tmp))

        def healthy():
            with urllib.request.urlopen(p.base + '/healthz', timeout=2) as r:
                return json.loads(r.read()).get('status') == 'ok'
        wait_for(healthy, 60, 'ingest /healthz (log: %s)' % log.name)

        # 4. the sensor on the sample traffic, alerts to Kafka (and eve.json to count them)
        with open(TENANT_MAP) as f:
            sconf = yaml.safe_load(f)
        sconf.setdefault('sensor', {}).update({'id': 'e2e-rack-a-1', 'rack': 'rack-a'})
        sconf['outputs'] = {
            'eve': {'enabled': True, 'filename': 'eve.json'},
            'kafka': {'enabled': True, 'brokers': [brokers], 'topic': 'yunshao.alerts',
                      'stats-topic': 'yunshao.sensor-stats',
                      'stats-interval': 1, 'require-broker': True,
                      'spool': {'dir': os.path.join(p.tmp, 'spool')}},
        }
        sensor_yaml = os.path.join(p.tmp, 'yunshao.yaml')
        with open(sensor_yaml, 'w') as f:
            yaml.safe_dump(sconf, f)
        out = os.path.join(p.tmp, 'sensor-out')
        os.makedirs(out)
        r = subprocess.run([sensor, '-c', sensor_yaml, '-S', RULES, '-r', pcap, '-k', 'none', '-l', out],
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, 'sensor failed:\n' + r.stdout + r.stderr
        with open(os.path.join(out, 'eve.json')) as f:
            p.eve = [json.loads(line) for line in f if line.strip()]
        assert p.eve, 'the sensor raised no alert on the sample traffic'
        # (stats.json is written before the Kafka sink's final flush, so its delivery
        # counters may lag: ingest's store is the proof, below.)
        with open(os.path.join(out, 'stats.json')) as f:
            p.sensor_output = json.load(f).get('output', {})
        p.sensor_log = r.stderr.strip()[-800:]

        # 5. ingest has stored every alert and correlated some incidents
        def stored():
            n, cursor = 0, None
            while True:
                code, page = api(p.base, p.tokens['admin'], '/api/v1/alerts?limit=1000' +
                                 ('&cursor=' + urllib.request.quote(cursor) if cursor else ''))
                if code != 200:
                    return False
                n += len(page['alerts'])
                cursor = page.get('next_cursor')
                if not cursor:
                    return n >= len(p.eve) and n
        wait_for(stored, 120, '%d alerts stored by ingest (sensor output %s; sensor log: %s)' % (
            len(p.eve), p.sensor_output, p.sensor_log))
        incidents = wait_for(
            lambda: api(p.base, p.tokens['admin'], '/api/v1/incidents?limit=1000')[1]['incidents'],
            60, 'incidents from correlation')
        # The browser's analyst: a tenant with an open incident, while another tenant has incidents
        # too (the one its token must not reach).
        by_tenant = {}
        for i in incidents:
            by_tenant.setdefault(i['tenant'], []).append(i)
        mine = [t for t, l in sorted(by_tenant.items())
                if t in p.scoped and any(i['status'] == 'open' for i in l)]
        assert mine and len(by_tenant) >= 2, \
            'correlation gave no open incident in one tenant and incidents in another: %s' % sorted(by_tenant)
        p.tokens['analyst'] = p.scoped[mine[0]]
        print('e2e: analyst scoped to %s; incidents per tenant %s' % (
            mine[0], {t: len(l) for t, l in by_tenant.items()}))
        yield p
    finally:
        for proc in p.procs:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if kafka_started:
            subprocess.run([KAFKA_SH, 'stop'], env=kafka_env, capture_output=True, timeout=120)
        if os.environ.get('YS_E2E_KEEP'):
            print('kept ' + p.tmp)
        else:
            shutil.rmtree(p.tmp, ignore_errors=True)


def test_console_in_chromium(pipeline):
    npm_ci(E2E)
    shots = os.path.join(BUILD, 'e2e-shots')
    env = dict(os.environ, YS_E2E_URL=pipeline.base, YS_E2E_ANALYST_TOKEN=pipeline.tokens['analyst'],
               YS_E2E_AUDITOR_TOKEN=pipeline.tokens['auditor'], YS_E2E_SHOTS=shots)
    r = subprocess.run(['node', os.path.join(E2E, 'console.e2e.mjs')], env=env, capture_output=True,
                       text=True, timeout=600)
    print(r.stdout + r.stderr)
    assert r.returncode == 0, 'console e2e checks failed (see above)'
    for name in ('02-situation', '04-incident', '05-incident-closed', '08-foreign-incident', '10-audit'):
        assert os.path.getsize(os.path.join(shots, name + '.png')) > 10000, name


def test_console_is_served_by_ingest(pipeline):
    with urllib.request.urlopen(pipeline.base + '/', timeout=10) as r:
        html = r.read().decode()
    assert 'assets/app.js' in html
    with open(os.path.join(CONSOLE, 'dist', 'assets', 'app.js'), 'rb') as f:
        want = f.read()
    with urllib.request.urlopen(pipeline.base + '/assets/app.js', timeout=10) as r:
        assert r.read() == want


def figures(html):
    return {k: int(v) for k, v in re.findall(r'data-figure="([a-z_.]+)">(-?\d+)<', html)}


def rfc3339(usec):
    return datetime.fromtimestamp(usec / USEC, timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def test_report_figures_equal_the_store(pipeline):
    ts = sorted(int(datetime.strptime(a['timestamp'][:19], '%Y-%m-%dT%H:%M:%S')
                    .replace(tzinfo=timezone.utc).timestamp()) for a in pipeline.eve)
    frm, to = ts[0] - 3600, ts[-1] + 3600
    code, body = api(pipeline.base, pipeline.tokens['auditor'],
                     '/api/reports/mlps?from=%d&to=%d&format=html' % (frm, to), raw=True)
    assert code == 200
    html = body.decode()
    figs = figures(html)
    os.makedirs(BUILD, exist_ok=True)
    with open(os.path.join(BUILD, 'e2e-mlps-report.html'), 'w') as f:
        f.write(html)

    db = sqlite3.connect(os.path.join(pipeline.store_dir, 'ingest.db'))
    one = lambda sql, *a: db.execute(sql, a).fetchone()[0]
    f_us, t_us = frm * USEC, to * USEC
    assert figs['attacks.total'] == one('SELECT COUNT(*) FROM alerts WHERE ts >= ? AND ts < ?', f_us, t_us)
    assert figs['attacks.total'] == len(pipeline.eve)
    assert figs['attacks.sources'] == one('SELECT COUNT(DISTINCT src_ip) FROM alerts WHERE ts >= ? AND ts < ?',
                                          f_us, t_us)
    assert figs['attacks.targets'] == one('SELECT COUNT(DISTINCT dest_ip) FROM alerts WHERE ts >= ? AND ts < ?',
                                          f_us, t_us)
    for level in ('red', 'orange', 'yellow', 'blue'):
        assert figs['alarms.' + level] == one(
            'SELECT COUNT(*) FROM incidents WHERE level = ? AND first_seen < ? AND last_seen >= ?',
            level, t_us, f_us), level
    # ingest audits each report it generates, after generating it: that record is not in this one
    last = db.execute('SELECT action FROM audit ORDER BY seq DESC LIMIT 1').fetchone()[0]
    assert last == 'report.generate'
    assert figs['audit.records'] == one('SELECT COUNT(*) FROM audit') - 1
    no_hb = one('SELECT COUNT(DISTINCT sensor_id) FROM alerts WHERE ts >= ? AND ts < ?'
                ' AND sensor_id IS NOT NULL AND sensor_id NOT IN (SELECT id FROM sensors)', f_us, t_us)
    assert figs['sensors.no_heartbeat'] == no_hb
    assert figs['sensors.total'] == one('SELECT COUNT(*) FROM sensors') + no_hb
    assert figs['retention.alerts_stored'] == one('SELECT COUNT(*) FROM alerts')
    assert figs['cloud.tenants_attacked'] == one(
        'SELECT COUNT(DISTINCT tenant) FROM alerts WHERE ts >= ? AND ts < ?', f_us, t_us)
    assert figs['cloud.overlay_alerts'] == sum(1 for a in pipeline.eve if 'tunnel' in a)
    assert '<script' not in html

    # the breakdowns, from the JSON form of the same report, against GROUP BY in SQL
    code, body = api(pipeline.base, pipeline.tokens['auditor'],
                     '/api/reports/mlps?from=%d&to=%d&format=json' % (frm, to), raw=True)
    assert code == 200
    ev = json.loads(body)
    period = ' FROM alerts WHERE ts >= ? AND ts < ?'
    rows = lambda sql: db.execute(sql, (f_us, t_us)).fetchall()
    assert {r['tenant']: r['count'] for r in ev['attacks']['by_tenant']} == dict(
        rows('SELECT tenant, COUNT(*)' + period + ' GROUP BY tenant'))
    assert {r['category']: r['count'] for r in ev['attacks']['by_category']} == dict(
        rows("SELECT COALESCE(category, ''), COUNT(*)" + period + " GROUP BY 1"))
    sigs = rows('SELECT sid, signature, MIN(severity), COUNT(*)' + period + ' GROUP BY sid, signature')
    top = sorted(sigs, key=lambda r: (-r[3], r[0], r[1]))[:20]
    assert [(r['sid'], r['signature'], r['severity'], r['count']) for r in ev['attacks']['by_signature']] == \
        [tuple(r) for r in top]
    per_sensor = dict(rows('SELECT sensor_id, COUNT(*)' + period + ' GROUP BY sensor_id'))
    assert {s['id']: s['alerts_in_period'] for s in ev['sensors']['list'] if s['alerts_in_period']} == per_sensor

    # a tenant-scoped auditor: its tenant's figures equal that tenant's rows; another tenant is 404
    tenant, tok = pipeline.scoped_auditor
    code, body = api(pipeline.base, tok, '/api/reports/mlps?tenant=%s&from=%d&to=%d' % (tenant, frm, to),
                     raw=True)
    assert code == 200
    tf = figures(body.decode())
    assert tf['attacks.total'] == one('SELECT COUNT(*) FROM alerts WHERE tenant = ? AND ts >= ? AND ts < ?',
                                      tenant, f_us, t_us)
    assert tf['retention.alerts_stored'] == one('SELECT COUNT(*) FROM alerts WHERE tenant = ?', tenant)
    other = one('SELECT tenant FROM alerts WHERE tenant <> ? LIMIT 1', tenant)
    code, _ = api(pipeline.base, tok, '/api/reports/mlps?tenant=%s&from=%d&to=%d' % (other, frm, to))
    assert code == 404
    # without a tenant, a scoped auditor's report covers its own tenants only
    code, body = api(pipeline.base, tok, '/api/reports/mlps?from=%d&to=%d' % (frm, to), raw=True)
    assert code == 200 and figures(body.decode())['attacks.total'] == tf['attacks.total']

    # the analyst role may not fetch reports
    code, _ = api(pipeline.base, pipeline.tokens['analyst'], '/api/reports/mlps?from=%d&to=%d' % (frm, to))
    assert code == 403

    code, pdf = api(pipeline.base, pipeline.tokens['auditor'],
                    '/api/reports/mlps?from=%d&to=%d&format=pdf' % (frm, to), raw=True)
    assert code == 200 and pdf[:5] == b'%PDF-'
    with open(os.path.join(BUILD, 'e2e-mlps-report.pdf'), 'wb') as f:
        f.write(pdf)
    if shutil.which('pdftotext'):
        text = subprocess.run(['pdftotext', '-layout', '-', '-'], input=pdf, capture_output=True,
                              timeout=60).stdout.decode()
        assert '8.1.3.3' in text and '8.2.3.2' in text
        assert str(figs['attacks.total']) in text
    else:
        print('pdftotext not installed: PDF text not checked (poppler-utils)')
