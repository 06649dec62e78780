"""
The Grafana dashboards are valid, importable JSON, are what gen_dashboards.py
generates (no hand edits drifting from the generator), and every metric they
query is documented in dashboards/grafana/README.md; metrics documented as
exposed by the sensor are really exposed by sensor/ source.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import shutil

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
GRAFANA = os.path.join(ROOT, 'dashboards', 'grafana')
BOARDS = ['yunshao-sensor.json', 'yunshao-ingest.json']


def load(name):
    with open(os.path.join(GRAFANA, name)) as f:
        return json.load(f)


def exprs(board):
    for p in board['panels']:
        for t in p.get('targets', []):
            yield p['title'], t['expr']


def metrics_in(expr):
    return set(re.findall(r'\byunshao_[a-z0-9_]+', expr))


def readme_metrics():
    """(every metric named in the README, {component: metrics its exposed table lists})."""
    with open(os.path.join(GRAFANA, 'README.md')) as f:
        text = f.read()
    sensor = text.split('### Sensor')[1].split('Proposed for the sensor')[0]
    ingest = text.split('### Ingest')[1].split('Proposed for ingest')[0]
    names = lambda part: set(re.findall(r'`(yunshao_[a-z0-9_]+)`', part))
    return names(text), {'sensor': names(sensor), 'ingest': names(ingest)}


def source_of(folder):
    src = ''
    for d, _, files in os.walk(os.path.join(ROOT, folder)):
        for f in files:
            if f.endswith('.c'):
                with open(os.path.join(d, f), errors='replace') as fh:
                    src += fh.read()
    return src


def test_dashboards_are_generated_output():
    tmp = tempfile.mkdtemp()
    try:
        shutil.copy(os.path.join(GRAFANA, 'gen_dashboards.py'), tmp)
        subprocess.run([sys.executable, os.path.join(tmp, 'gen_dashboards.py')], check=True,
                       capture_output=True)
        for name in BOARDS:
            with open(os.path.join(tmp, name)) as f:
                assert json.load(f) == load(name), name + ' differs from gen_dashboards.py output'
    finally:
        shutil.rmtree(tmp)


def test_dashboards_shape():
    uids = set()
    for name in BOARDS:
        b = load(name)
        assert b['uid'] not in uids
        uids.add(b['uid'])
        assert b['title'].startswith('Yunshao')
        assert any(v['name'] == 'datasource' for v in b['templating']['list'])
        ids = [p['id'] for p in b['panels']]
        assert len(ids) == len(set(ids)), 'panel ids must be unique'
        for p in b['panels']:
            g = p['gridPos']
            assert 0 <= g['x'] and g['x'] + g['w'] <= 24, p['title']
            if p['type'] != 'row':
                assert p['targets'], p['title'] + ' has no query'
        # no two panels overlap on the grid
        cells = set()
        for p in b['panels']:
            g = p['gridPos']
            for x in range(g['x'], g['x'] + g['w']):
                for y in range(g['y'], g['y'] + g['h']):
                    assert (x, y) not in cells, '%s overlaps at %d,%d' % (p['title'], x, y)
                    cells.add((x, y))


def test_every_queried_metric_is_documented_and_exposed_ones_exist():
    documented, exposed = readme_metrics()
    assert exposed['sensor'] and exposed['ingest'], 'README lists no exposed metrics'
    used = set()
    for name in BOARDS:
        for title, e in exprs(load(name)):
            assert e.count('(') == e.count(')'), title + ': unbalanced parentheses'
            m = metrics_in(e)
            assert m, title + ': queries no yunshao_ metric'
            used |= m
    # summaries are queried by their base name
    assert used - documented == set(), 'undocumented metrics: %s' % sorted(used - documented)
    for component, names in exposed.items():
        src = source_of(component)
        prefix = 'yunshao_%s_' % component
        # The sensor builds names as "yunshao_sensor_" name in a macro: match either form.
        missing = [m for m in sorted(names) if m not in src and '"' + m[len(prefix):] + '"' not in src]
        assert missing == [], 'documented as exposed but not in %s/: %s' % (component, missing)
