#!/usr/bin/python3
"""
Generate the Grafana dashboards for Yunshao's Prometheus metrics:
yunshao-sensor.json (one row of panels per concern: traffic, drops, flows,
memory, detection, Kafka and spool) and yunshao-ingest.json (alerts stored by
tenant, consumer lag, incidents, dead letters). The JSON files are committed;
edit this script and re-run it (`/usr/bin/python3 gen_dashboards.py`) rather
than editing them by hand, so both dashboards keep one style.

Dashboards use a datasource variable (any Prometheus) and an instance filter,
and import unchanged through Grafana's UI, its HTTP API or file provisioning.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
DS = {'type': 'prometheus', 'uid': '${datasource}'}


class Board:
    def __init__(self, uid, title, description, job_metric):
        self.uid = uid
        self.title = title
        self.description = description
        self.job_metric = job_metric
        self.panels = []
        self.y = 0
        self.x = 0
        self.row_h = 0
        self.next_id = 1

    def _place(self, w, h):
        if self.x + w > 24:
            self.x = 0
            self.y += self.row_h
            self.row_h = 0
        pos = {'x': self.x, 'y': self.y, 'w': w, 'h': h}
        self.x += w
        self.row_h = max(self.row_h, h)
        return pos

    def row(self, title):
        if self.x:
            self.y += self.row_h
            self.x = 0
            self.row_h = 0
        self.panels.append({'type': 'row', 'title': title, 'id': self.next_id, 'collapsed': False,
                            'gridPos': {'x': 0, 'y': self.y, 'w': 24, 'h': 1}, 'panels': []})
        self.next_id += 1
        self.y += 1

    def panel(self, kind, title, targets, unit='short', w=12, h=8, description='', stack=False,
              thresholds=None, legend_calcs=None):
        p = {
            'type': kind, 'title': title, 'id': self.next_id, 'datasource': DS,
            'description': description, 'gridPos': self._place(w, h),
            'targets': [{'datasource': DS, 'refId': chr(ord('A') + i), 'expr': e, 'legendFormat': l,
                         'range': True, 'instant': kind in ('stat', 'bargauge')}
                        for i, (e, l) in enumerate(targets)],
            'fieldConfig': {'defaults': {'unit': unit}, 'overrides': []},
            'options': {},
        }
        if thresholds:
            p['fieldConfig']['defaults']['thresholds'] = {
                'mode': 'absolute',
                'steps': [{'color': c, 'value': v} for v, c in thresholds]}
        if kind == 'timeseries':
            p['fieldConfig']['defaults']['custom'] = {
                'drawStyle': 'line', 'lineWidth': 1, 'fillOpacity': 10, 'showPoints': 'never',
                'stacking': {'mode': 'normal' if stack else 'none', 'group': 'A'}}
            p['options'] = {'legend': {'displayMode': 'table', 'placement': 'bottom',
                                       'calcs': legend_calcs or ['mean', 'max', 'lastNotNull']},
                            'tooltip': {'mode': 'multi', 'sort': 'desc'}}
        elif kind == 'stat':
            p['options'] = {'reduceOptions': {'calcs': ['lastNotNull'], 'fields': '', 'values': False},
                            'colorMode': 'background' if thresholds else 'value', 'graphMode': 'area',
                            'textMode': 'auto'}
        elif kind == 'bargauge':
            p['options'] = {'reduceOptions': {'calcs': ['lastNotNull'], 'fields': '', 'values': False},
                            'orientation': 'horizontal', 'displayMode': 'gradient'}
        self.panels.append(p)
        self.next_id += 1

    def json(self):
        return {
            '__inputs': [{'name': 'DS_PROMETHEUS', 'label': 'Prometheus', 'type': 'datasource',
                          'pluginId': 'prometheus', 'pluginName': 'Prometheus'}],
            '__requires': [{'type': 'grafana', 'id': 'grafana', 'name': 'Grafana', 'version': '10.0.0'},
                           {'type': 'datasource', 'id': 'prometheus', 'name': 'Prometheus', 'version': '1.0.0'}],
            'uid': self.uid, 'title': self.title, 'description': self.description,
            'tags': ['yunshao'], 'timezone': 'browser', 'editable': True, 'graphTooltip': 1,
            'schemaVersion': 39, 'version': 1, 'refresh': '30s',
            'time': {'from': 'now-6h', 'to': 'now'},
            'templating': {'list': [
                {'name': 'datasource', 'label': 'Prometheus', 'type': 'datasource', 'query': 'prometheus',
                 'current': {}, 'hide': 0, 'refresh': 1},
                {'name': 'instance', 'label': 'Instance', 'type': 'query', 'datasource': DS,
                 'query': {'query': 'label_values(%s, instance)' % self.job_metric, 'refId': 'vars'},
                 'definition': 'label_values(%s, instance)' % self.job_metric,
                 'multi': True, 'includeAll': True, 'current': {}, 'refresh': 2, 'sort': 1, 'hide': 0},
            ]},
            'annotations': {'list': []},
            'links': [],
            'panels': self.panels,
        }


def sensor():
    b = Board('yunshao-sensor', 'Yunshao sensor', 'Per-rack sensor health: traffic, drops, flows, memory, '
              'detection, Kafka delivery and the write-ahead spool.', 'yunshao_sensor_up')
    sel = '{instance=~"$instance"}'
    b.row('Overview')
    b.panel('stat', 'Sensors up', [('sum(yunshao_sensor_up%s)' % sel, 'up')], w=4, h=4,
            thresholds=[(None, 'red'), (1, 'green')])
    b.panel('stat', 'Uptime', [('min(yunshao_sensor_uptime_seconds%s)' % sel, 'uptime')], unit='s', w=4, h=4)
    b.panel('stat', 'Packets/s', [('sum(rate(yunshao_sensor_packets_total%s[$__rate_interval]))' % sel, 'pps')],
            unit='pps', w=4, h=4)
    b.panel('stat', 'Throughput', [('sum(rate(yunshao_sensor_bytes_total%s[$__rate_interval])) * 8' % sel, 'bps')],
            unit='bps', w=4, h=4)
    b.panel('stat', 'Kernel drop ratio',
            [('sum(rate(yunshao_sensor_kernel_drops_total%s[$__rate_interval])) / clamp_min(sum(rate('
              'yunshao_sensor_packets_total%s[$__rate_interval])) + sum(rate(yunshao_sensor_kernel_drops_total%s'
              '[$__rate_interval])), 1)' % (sel, sel, sel), 'drops')],
            unit='percentunit', w=4, h=4, thresholds=[(None, 'green'), (0.001, 'orange'), (0.01, 'red')])
    b.panel('stat', 'Spool backlog', [('sum(yunshao_sensor_spool_records%s)' % sel, 'records')], w=4, h=4,
            thresholds=[(None, 'green'), (1000, 'orange'), (100000, 'red')])

    b.row('Traffic and drops')
    b.panel('timeseries', 'Packets/s per worker',
            [('sum by (instance, worker) (rate(yunshao_sensor_packets_total%s[$__rate_interval]))' % sel,
              '{{instance}} w{{worker}}')], unit='pps', stack=True)
    b.panel('timeseries', 'Throughput',
            [('sum by (instance) (rate(yunshao_sensor_bytes_total%s[$__rate_interval])) * 8' % sel, '{{instance}}')],
            unit='bps')
    b.panel('timeseries', 'Kernel drops/s per worker',
            [('sum by (instance, worker) (rate(yunshao_sensor_kernel_drops_total%s[$__rate_interval]))' % sel,
              '{{instance}} w{{worker}}')], unit='pps',
            description='Packets the kernel dropped before the sensor could read them (ring full).')
    b.panel('timeseries', 'Decode errors/s by kind',
            [('sum by (kind) (rate(yunshao_sensor_decode_errors_total%s[$__rate_interval]))' % sel, '{{kind}}')],
            unit='pps', stack=True)
    b.panel('timeseries', 'Policy: packets skipped in the kernel',
            [('sum by (reason) (rate(yunshao_sensor_policy_skipped_total%s[$__rate_interval]))' % sel, '{{reason}}')],
            unit='pps', stack=True, description='Ignored tenants, sampling and bypassed flows (XDP policy).')

    b.row('Flows and memory')
    b.panel('timeseries', 'Active flows', [('sum by (instance) (yunshao_sensor_flows_active%s)' % sel, '{{instance}}')])
    b.panel('timeseries', 'Flows created/s and memcap refusals',
            [('sum by (instance) (rate(yunshao_sensor_flows_total%s[$__rate_interval]))' % sel, 'created {{instance}}'),
             ('sum by (instance) (rate(yunshao_sensor_flow_memcap_refused_total%s[$__rate_interval]))' % sel,
              'refused {{instance}}'),
             ('sum by (instance) (rate(yunshao_sensor_stream_memcap_hits_total%s[$__rate_interval]))' % sel,
              'stream memcap {{instance}}')], unit='ops')
    b.panel('timeseries', 'Memory by pool',
            [('sum by (pool) (yunshao_sensor_memory_bytes%s)' % sel, '{{pool}}'),
             ('max(yunshao_sensor_peak_rss_bytes%s)' % sel, 'peak RSS')], unit='bytes', stack=False)
    b.panel('timeseries', 'Stream gaps/s',
            [('sum by (instance) (rate(yunshao_sensor_stream_gaps_total%s[$__rate_interval]))' % sel, '{{instance}}')],
            unit='ops')

    b.row('Detection')
    b.panel('timeseries', 'Alerts/s',
            [('sum by (instance) (rate(yunshao_sensor_alerts_total%s[$__rate_interval]))' % sel, '{{instance}}')],
            unit='ops')
    b.panel('timeseries', 'Rules loaded / failed',
            [('max by (instance) (yunshao_sensor_rules_loaded%s)' % sel, 'loaded {{instance}}'),
             ('max by (instance) (yunshao_sensor_rules_failed%s)' % sel, 'failed {{instance}}')])
    b.panel('timeseries', 'Rule reloads',
            [('sum by (result) (increase(yunshao_sensor_rule_reloads_total%s[$__rate_interval]))' % sel, '{{result}}')],
            w=24, h=6)

    b.row('Kafka and spool')
    b.panel('timeseries', 'Kafka producer queue',
            [('sum by (instance) (yunshao_sensor_kafka_queue_messages%s)' % sel, '{{instance}}')])
    b.panel('timeseries', 'Kafka delivered / failed per second',
            [('sum by (instance) (rate(yunshao_sensor_kafka_delivered_total%s[$__rate_interval]))' % sel,
              'delivered {{instance}}'),
             ('sum by (instance) (rate(yunshao_sensor_kafka_failed_total%s[$__rate_interval]))' % sel,
              'failed {{instance}}')], unit='ops')
    b.panel('timeseries', 'Spool depth',
            [('sum by (instance) (yunshao_sensor_spool_bytes%s)' % sel, 'bytes {{instance}}')], unit='bytes',
            description='Alerts written ahead and not yet acknowledged by Kafka.')
    b.panel('timeseries', 'Spool drops and output errors',
            [('sum by (instance) (increase(yunshao_sensor_spool_dropped_total%s[$__rate_interval]))' % sel,
              'spool dropped {{instance}}'),
             ('sum by (instance) (increase(yunshao_sensor_output_write_errors_total%s[$__rate_interval]))' % sel,
              'write errors {{instance}}')],
            description='Every alert the spool had to drop when full (oldest low-severity first).')
    return b


def ingest():
    b = Board('yunshao-ingest', 'Yunshao ingest', 'Central service: alerts stored, Kafka consumer lag, '
              'incidents by warning level, correlation, dead letters, end-to-end delay.',
              'yunshao_ingest_messages_consumed_total')
    sel = '{instance=~"$instance"}'
    b.row('Overview')
    b.panel('stat', 'Kafka reachable', [('min(yunshao_ingest_kafka_up%s)' % sel, 'kafka')], w=6, h=4,
            thresholds=[(None, 'red'), (1, 'green')])
    b.panel('stat', 'Alerts stored/s',
            [('sum(rate(yunshao_ingest_alerts_stored_total%s[$__rate_interval]))' % sel, 'alerts/s')], unit='ops',
            w=6, h=4)
    b.panel('stat', 'Consumer lag', [('sum(yunshao_ingest_consumer_lag%s)' % sel, 'lag')], w=6, h=4,
            thresholds=[(None, 'green'), (10000, 'orange'), (100000, 'red')])
    b.panel('stat', 'Dead letters (1 h)',
            [('sum(increase(yunshao_ingest_dead_letter_total%s[1h]))' % sel, 'dead')], w=6, h=4,
            thresholds=[(None, 'green'), (1, 'orange')])

    b.row('Alerts')
    b.panel('timeseries', 'Alerts stored/s by tenant',
            [('sum by (tenant) (rate(yunshao_ingest_alerts_stored_total%s[$__rate_interval]))' % sel, '{{tenant}}')],
            unit='ops', stack=True,
            description='One series per tenant once ingest labels the counter by tenant; until then the total.')
    b.panel('bargauge', 'Alerts by tenant (24 h)',
            [('sort_desc(sum by (tenant) (increase(yunshao_ingest_alerts_stored_total%s[24h])))' % sel,
              '{{tenant}}')])
    b.panel('timeseries', 'Messages consumed, duplicates, dead letters per second',
            [('sum(rate(yunshao_ingest_messages_consumed_total%s[$__rate_interval]))' % sel, 'consumed'),
             ('sum(rate(yunshao_ingest_alerts_duplicate_total%s[$__rate_interval]))' % sel,
              'duplicates (replays after a crash)'),
             ('sum(rate(yunshao_ingest_dead_letter_total%s[$__rate_interval]))' % sel, 'dead letters'),
             ('sum(rate(yunshao_ingest_sensor_stats_total%s[$__rate_interval]))' % sel, 'sensor heartbeats')],
            unit='ops')
    b.panel('timeseries', 'Delay from Kafka to store and to incident (p50, p99)',
            [('max(yunshao_ingest_alert_to_store_seconds{quantile="0.5",instance=~"$instance"})', 'store p50'),
             ('max(yunshao_ingest_alert_to_store_seconds{quantile="0.99",instance=~"$instance"})', 'store p99'),
             ('max(yunshao_ingest_alert_to_incident_seconds{quantile="0.99",instance=~"$instance"})',
              'incident p99')], unit='s')

    b.row('Kafka and batches')
    b.panel('timeseries', 'Consumer lag by partition',
            [('max by (topic, partition) (yunshao_ingest_consumer_lag%s)' % sel, '{{topic}}/{{partition}}')])
    b.panel('timeseries', 'Store batches and failures',
            [('sum(rate(yunshao_ingest_batches_total%s[$__rate_interval]))' % sel, 'batches/s'),
             ('sum(increase(yunshao_ingest_batch_failures_total%s[$__rate_interval]))' % sel, 'rolled back'),
             ('sum(increase(yunshao_ingest_kafka_commit_failures_total%s[$__rate_interval]))' % sel,
              'offset commit failures')])

    b.row('Incidents and correlation')
    b.panel('timeseries', 'Incidents raised by warning level',
            [('sum by (level) (increase(yunshao_ingest_incidents_total%s[$__rate_interval]))' % sel, '{{level}}')],
            stack=True)
    b.panel('timeseries', 'Correlation',
            [('sum(rate(yunshao_ingest_correlated_alerts_total%s[$__rate_interval]))' % sel, 'alerts correlated/s'),
             ('sum(rate(yunshao_ingest_incident_updates_total%s[$__rate_interval]))' % sel, 'incident updates/s'),
             ('sum(yunshao_ingest_correlation_groups%s)' % sel, 'live groups'),
             ('sum(increase(yunshao_ingest_correlation_evicted_total%s[$__rate_interval]))' % sel,
              'groups evicted')])
    b.panel('timeseries', 'Cross-tenant repartition (by-source topic)',
            [('sum(rate(yunshao_ingest_by_source_produced_total%s[$__rate_interval]))' % sel, 'produced'),
             ('sum(rate(yunshao_ingest_by_source_consumed_total%s[$__rate_interval]))' % sel, 'consumed')],
            unit='ops')
    b.panel('timeseries', 'Retention purge', [
        ('sum(increase(yunshao_ingest_purged_alerts_total%s[1h]))' % sel, 'alerts purged per hour')])
    # Level colours as in the console: the four grades of the national emergency plan.
    for p in b.panels:
        if p.get('title') == 'Incidents raised by warning level':
            p['fieldConfig']['overrides'] = [
                {'matcher': {'id': 'byName', 'options': lv},
                 'properties': [{'id': 'color', 'value': {'mode': 'fixed', 'fixedColor': c}}]}
                for lv, c in (('red', 'red'), ('orange', 'orange'), ('yellow', 'yellow'), ('blue', 'blue'))]
    return b


def main():
    for board, name in ((sensor(), 'yunshao-sensor.json'), (ingest(), 'yunshao-ingest.json')):
        with open(os.path.join(HERE, name), 'w') as f:
            json.dump(board.json(), f, indent=2, sort_keys=False)
            f.write('\n')
        print('wrote', name, len(board.panels), 'panels')


if __name__ == '__main__':
    main()
