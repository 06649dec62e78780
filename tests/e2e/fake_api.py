#!/usr/bin/python3
"""
A stand-in for yunshao-ingest's HTTP API v1, used ONLY while developing the
console (`/usr/bin/python3 tests/e2e/fake_api.py --port 8099`). It follows the
contract in the ingest API (tokens, roles, 404 for other tenants' objects) on
invented data. The e2e tests that count never use it: they run against the
real yunshao-ingest fed by the sensor through Kafka (test_console.py).
"""
import argparse
import hashlib
import json
import os
import random
import time
from datetime import datetime, timezone
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from urllib.parse import urlparse, parse_qs

TOKENS = {
    'admin-token': {'name': 'admin', 'role': 'admin', 'tenants': ['*']},
    'analyst-token': {'name': 'alice', 'role': 'analyst', 'tenants': ['acme', 'globex']},
    'acme-token': {'name': 'acme-soc', 'role': 'analyst', 'tenants': ['acme']},
    'auditor-token': {'name': 'audrey', 'role': 'auditor', 'tenants': ['*']},
}
TENANTS = {'acme': 1, 'globex': 2, 'initech': 3}
SIGS = [(2100001, 'YS SCAN nmap SYN scan', 3), (2100101, 'YS WEB SQL injection UNION SELECT', 1),
        (2100201, 'YS EXPLOIT Log4Shell JNDI lookup', 1), (2100301, 'YS POLICY stratum mining', 2),
        (2100401, 'YS SSH brute force', 2)]


def iso(ts):
    return datetime.fromtimestamp(ts, timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def eve_ts(ts):
    return datetime.fromtimestamp(ts, timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%f+0000')


class Store:
    def __init__(self):
        rnd = random.Random(7)
        now = time.time()
        self.alerts = []
        for i in range(400):
            ten = rnd.choice(list(TENANTS))
            sid, sig, sev = rnd.choice(SIGS)
            ts = now - rnd.uniform(0, 86400)
            self.alerts.append({
                'timestamp': eve_ts(ts), 'event_type': 'alert', 'flow_id': rnd.getrandbits(50),
                'src_ip': '198.51.100.%d' % rnd.randint(1, 20), 'src_port': rnd.randint(1024, 65535),
                'dest_ip': '10.0.%d.%d' % (TENANTS[ten], rnd.randint(2, 30)), 'dest_port': rnd.choice([22, 80, 443]),
                'proto': 'TCP', 'app_proto': 'http', 'tenant_id': TENANTS[ten], 'tenant': ten,
                'alert': {'action': 'allowed', 'gid': 1, 'signature_id': sid, 'rev': 1, 'signature': sig,
                          'category': 'Attempted Administrator Privilege Gain', 'severity': sev},
                'event_id': '0190%04x-0000-7000-8000-%012x' % (i, i),
                'sensor': {'id': 'rack%d-s1' % (i % 3 + 1), 'rack': 'rack%d' % (i % 3 + 1), 'host': 'h%d' % (i % 3)},
                'payload': 'R0VUIC8/cT0ke2puZGk6bGRhcDovL3g+fSBIVFRQLzEuMQ==',
                '_ts': ts})
        self.alerts.sort(key=lambda a: -a['_ts'])
        self.incidents = []
        for n, (ten, rule, lvl, sev) in enumerate([
                ('acme', 'scan-then-exploit', 'red', 1), ('acme', 'ssh-brute-force', 'orange', 2),
                ('globex', 'c2-beacon', 'yellow', 2), ('initech', 'scan', 'blue', 3),
                ('globex', 'cross-tenant-campaign', 'red', 1)]):
            al = [a for a in self.alerts if a['tenant'] == ten][:5 + n]
            al = sorted(al, key=lambda a: a['_ts'])
            self.incidents.append({
                'id': str(n + 1), 'tenant': ten, 'rule': rule, 'title': rule.replace('-', ' ') + ' on ' + al[0]['dest_ip'],
                'severity': sev, 'level': lvl, 'status': 'open', 'assignee': None,
                'first_seen': iso(al[0]['_ts']), 'last_seen': iso(al[-1]['_ts']), 'alert_count': len(al),
                'src_ips': sorted({a['src_ip'] for a in al}), 'dest_ips': sorted({a['dest_ip'] for a in al}),
                'signatures': sorted({a['alert']['signature'] for a in al}), 'mlps_controls': ['8.1.3.3', '8.2.3.1'],
                '_alerts': [a['event_id'] for a in al], 'comments': [], 'history': []})
        self.audit = []
        self.sensors = [{'id': 'rack%d-s1' % r, 'rack': 'rack%d' % r, 'host': 'h%d' % r,
                         'last_seen': iso(now - (900 if r == 3 else 5)), 'status': 'silent' if r == 3 else 'ok',
                         'stats': {'packets': 123456 * r, 'kernel_drops': r - 1, 'alerts': 40 * r}} for r in (1, 2, 3)]

    def log(self, actor, action, target, detail):
        prev = self.audit[-1]['hash'] if self.audit else '0' * 64
        rec = {'seq': len(self.audit) + 1, 'time': iso(time.time()), 'actor': actor, 'action': action,
               'target': target, 'detail': detail, 'prev_hash': prev}
        rec['hash'] = hashlib.sha256((prev + json.dumps(rec, sort_keys=True)).encode()).hexdigest()
        self.audit.append(rec)


STORE = Store()


def pub(a):
    return {k: v for k, v in a.items() if not k.startswith('_')}


class Handler(BaseHTTPRequestHandler):
    dist = None

    def log_message(self, *a):
        pass

    def send_json(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def who(self):
        auth = self.headers.get('Authorization', '')
        return TOKENS.get(auth[7:]) if auth.startswith('Bearer ') else None

    def visible(self, who, tenant):
        return '*' in who['tenants'] or tenant in who['tenants']

    def do_GET(self):
        self.route('GET')

    def do_POST(self):
        self.route('POST')

    def route(self, method):
        u = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        p = u.path
        if not p.startswith('/api/'):
            return self.static(p)
        who = self.who()
        if not who:
            return self.send_json(401, {'error': 'missing or invalid token'})
        parts = p.strip('/').split('/')
        if p == '/api/v1/whoami':
            return self.send_json(200, who)
        if p == '/api/v1/situation':
            return self.send_json(200, self.situation(who))
        if p == '/api/v1/sensors':
            return self.send_json(200, {'sensors': STORE.sensors})
        if p == '/api/v1/alerts':
            al = [a for a in STORE.alerts if self.visible(who, a['tenant'])]
            if q.get('tenant'):
                al = [a for a in al if a['tenant'] == q['tenant']]
            if q.get('sid'):
                al = [a for a in al if str(a['alert']['signature_id']) == q['sid']]
            if q.get('src_ip'):
                al = [a for a in al if a['src_ip'] == q['src_ip']]
            lim = min(int(q.get('limit', 100)), 1000)
            off = int(q.get('cursor', 0))
            nxt = str(off + lim) if off + lim < len(al) else None
            return self.send_json(200, {'alerts': [pub(a) for a in al[off:off + lim]], 'next_cursor': nxt})
        if len(parts) == 4 and parts[2] == 'alerts':
            for a in STORE.alerts:
                if a['event_id'] == parts[3] and self.visible(who, a['tenant']):
                    return self.send_json(200, pub(a))
            return self.send_json(404, {'error': 'not found'})
        if p == '/api/v1/incidents':
            inc = [i for i in STORE.incidents if self.visible(who, i['tenant'])]
            for k in ('tenant', 'status', 'level'):
                if q.get(k):
                    inc = [i for i in inc if i[k] == q[k]]
            return self.send_json(200, {'incidents': [self.inc_pub(i) for i in inc], 'next_cursor': None})
        if len(parts) >= 4 and parts[2] == 'incidents':
            inc = next((i for i in STORE.incidents if i['id'] == parts[3]), None)
            if not inc or not self.visible(who, inc['tenant']):
                return self.send_json(404, {'error': 'not found'})
            if method == 'GET' and len(parts) == 4:
                d = self.inc_pub(inc)
                d['alerts'] = [pub(a) for a in sorted((a for a in STORE.alerts if a['event_id'] in inc['_alerts']), key=lambda a: a['_ts'])]
                d['comments'] = inc['comments']
                d['history'] = inc['history']
                return self.send_json(200, d)
            if method == 'POST' and len(parts) == 5:
                if who['role'] not in ('admin', 'analyst'):
                    return self.send_json(403, {'error': 'role may not'})
                n = int(self.headers.get('Content-Length', 0))
                body = json.loads(self.rfile.read(n) or b'{}')
                act = parts[4]
                if act == 'acknowledge':
                    inc['status'] = 'acknowledged'
                elif act == 'assign':
                    inc['assignee'] = body.get('assignee')
                elif act == 'comment':
                    inc['comments'].append({'author': who['name'], 'text': body.get('text', ''), 'time': iso(time.time())})
                elif act == 'close':
                    inc['status'] = 'closed'
                else:
                    return self.send_json(404, {'error': 'no such action'})
                inc['history'].append({'action': act, 'actor': who['name'], 'time': iso(time.time()), 'detail': json.dumps(body)})
                STORE.log(who['name'], 'incident.' + act, 'incident/' + inc['id'], json.dumps(body))
                return self.send_json(200, self.inc_pub(inc))
        if p.startswith('/api/v1/audit'):
            if who['role'] not in ('admin', 'auditor'):
                return self.send_json(403, {'error': 'role may not'})
            if p == '/api/v1/audit/verify':
                return self.send_json(200, {'ok': True, 'records': len(STORE.audit), 'first_bad': None, 'reason': None})
            return self.send_json(200, {'records': list(reversed(STORE.audit)), 'next_cursor': None})
        if p == '/api/reports/mlps':
            if who['role'] not in ('admin', 'auditor'):
                return self.send_json(403, {'error': 'role may not'})
            body = b'<html><body><h1>fake report</h1></body></html>'
            self.send_response(200)
            self.send_header('Content-Type', 'text/html; charset=utf-8')
            self.end_headers()
            self.wfile.write(body)
            return None
        return self.send_json(404, {'error': 'no such endpoint'})

    def inc_pub(self, i):
        return {k: v for k, v in i.items() if not k.startswith('_') and k not in ('comments', 'history')}

    def situation(self, who):
        now = time.time()
        out = []
        for ten, tid in TENANTS.items():
            if not self.visible(who, ten):
                continue
            al = [a for a in STORE.alerts if a['tenant'] == ten]
            trend = []
            base = int(now // 3600) * 3600 - 23 * 3600
            for h in range(24):
                t0 = base + h * 3600
                trend.append({'t': iso(t0), 'alerts': sum(1 for a in al if t0 <= a['_ts'] < t0 + 3600),
                              'incidents': sum(1 for i in STORE.incidents if i['tenant'] == ten and i['first_seen'][:13] == iso(t0)[:13])})
            sigs = {}
            srcs = {}
            for a in al:
                k = (a['alert']['signature_id'], a['alert']['signature'])
                sigs[k] = sigs.get(k, 0) + 1
                srcs[a['src_ip']] = srcs.get(a['src_ip'], 0) + 1
            lv = [i['level'] for i in STORE.incidents if i['tenant'] == ten and i['status'] != 'closed']
            rank = ['blue', 'yellow', 'orange', 'red']
            out.append({'tenant': ten, 'tenant_id': tid, 'level': max(lv, key=rank.index) if lv else None,
                        'alerts_24h': len(al), 'incidents_open': sum(1 for i in STORE.incidents if i['tenant'] == ten and i['status'] != 'closed'),
                        'trend': trend,
                        'top_signatures': [{'sid': k[0], 'signature': k[1], 'count': c} for k, c in sorted(sigs.items(), key=lambda x: -x[1])[:5]],
                        'top_sources': [{'ip': k, 'count': c} for k, c in sorted(srcs.items(), key=lambda x: -x[1])[:5]],
                        'sensors': {'reporting': 2, 'silent': 1}})
        return {'generated_at': iso(now), 'tenants': out}

    def static(self, p):
        if p == '/' or not p:
            p = '/index.html'
        full = os.path.realpath(os.path.join(self.dist, p.lstrip('/')))
        if not full.startswith(os.path.realpath(self.dist) + os.sep) or not os.path.isfile(full):
            return self.send_json(404, {'error': 'not found'})
        ctype = {'.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css'}.get(os.path.splitext(full)[1], 'application/octet-stream')
        with open(full, 'rb') as f:
            body = f.read()
        self.send_response(200)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, default=8099)
    ap.add_argument('--dist', default=os.path.join(os.path.dirname(__file__), '../../dashboards/console/dist'))
    a = ap.parse_args()
    Handler.dist = a.dist
    srv = ThreadingHTTPServer(('127.0.0.1', a.port), Handler)
    print('fake api on http://127.0.0.1:%d' % a.port, flush=True)
    srv.serve_forever()


if __name__ == '__main__':
    main()
