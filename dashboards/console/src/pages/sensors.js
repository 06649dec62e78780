/*
 * Sensors: every sensor that ever reported, by rack, with its status (silent
 * after three missed heartbeats, decided by ingest) and its latest counters
 * from the yunshao.sensor-stats topic.
 */
import { api } from '../api.js';
import { h, clear, table, changedSince } from '../dom.js';
import { t, fmtTime, fmtNum } from '../i18n.js';

/* The stats object is whatever the sensor last sent; pick the usual counters
 * by the names the sensor uses and show the rest on demand. */
function pick(stats, ...keys) {
	for (const k of keys) {
		const path = k.split('.');
		let v = stats;
		for (const p of path) v = v && typeof v === 'object' ? v[p] : undefined;
		if (typeof v === 'number') return v;
	}
	return null;
}

export function mount(root, ctx) {
	const list = h('div', { class: 'panel' });
	root.append(h('div', { class: 'page-head' }, h('h2', null, t('sensors.title'))), list);
	const open = new Set();
	let sensors = [];
	const seen = {};

	function render() {
		const rows = sensors.slice().sort((a, b) => String(a.rack).localeCompare(String(b.rack)) || String(a.id).localeCompare(String(b.id)));
		clear(list).append(
			rows.length
				? table(
						[
							{ label: t('col.sensor'), cell: (s) => s.id },
							{ label: t('col.rack'), cell: (s) => s.rack || t('sensors.noRack') },
							{ label: t('col.host'), cell: (s) => s.host || '—' },
							{ label: t('col.status'), cell: (s) => h('span', { class: 'status status-' + (s.status === 'ok' ? 'ok' : 'silent'), 'data-status': s.status }, s.status === 'ok' ? t('status.ok') : t('status.silent')) },
							{ label: t('col.lastSeenSensor'), cell: (s) => fmtTime(s.last_seen) },
							{ label: t('col.packets'), cell: (s) => fmtNum(pick(s.stats, 'packets', 'capture.packets', 'decoder.pkts')), class: 'num' },
							{ label: t('col.drops'), cell: (s) => fmtNum(pick(s.stats, 'drops', 'kernel_drops', 'capture.kernel_drops')), class: 'num' },
							{ label: t('col.alerts'), cell: (s) => fmtNum(pick(s.stats, 'alerts', 'detect.alerts')), class: 'num' },
							{
								label: '',
								cell: (s) =>
									h('button', {
										class: 'small',
										onclick: () => {
											if (open.has(s.id)) open.delete(s.id);
											else open.add(s.id);
											render();
										}
									}, open.has(s.id) ? t('alert.hideRaw') : t('sensors.stats'))
							}
						],
						rows,
						{ testid: 'sensor-table', rowData: (s) => ({ sensor: s.id, status: s.status }), rowClass: (s) => (s.status === 'ok' ? null : 'row-silent') }
					)
				: h('p', { class: 'muted' }, t('empty'))
		);
		for (const id of open) {
			const s = sensors.find((x) => x.id === id);
			if (s) list.append(h('h4', null, id), h('pre', { class: 'raw' }, JSON.stringify(s.stats ?? {}, null, 2)));
		}
	}

	async function refresh() {
		const r = await api.sensors();
		if (!changedSince(seen, r)) return;
		sensors = r.sensors || [];
		render();
	}
	return { refresh };
}
