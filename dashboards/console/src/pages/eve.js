/*
 * Rendering of EVE alerts shared by the incident timeline and alert search:
 * a one-line summary row and the raw EVE JSON (pretty-printed, as text).
 */
import { h } from '../dom.js';
import { t, fmtTime } from '../i18n.js';

export function endpoint(ip, port) {
	if (!ip) return '—';
	if (port === undefined || port === null) return ip;
	return ip.includes(':') ? '[' + ip + ']:' + port : ip + ':' + port;
}

/* Severity 1 is the most severe (Suricata's priority scale). */
export function sevPill(sev) {
	if (sev === undefined || sev === null) return '—';
	return h('span', { class: 'sev sev-' + (sev <= 1 ? 'high' : sev === 2 ? 'med' : 'low') }, String(sev));
}

export function alertColumns(openSet, onToggle) {
	return [
		{ label: t('col.time'), cell: (a) => fmtTime(a.timestamp) },
		{ label: t('col.tenant'), cell: (a) => a.tenant || String(a.tenant_id ?? '—') },
		{ label: t('col.sid'), cell: (a) => String(a.alert?.signature_id ?? '—'), class: 'num' },
		{ label: t('col.signature'), cell: (a) => a.alert?.signature || '—' },
		{ label: t('col.severity'), cell: (a) => sevPill(a.alert?.severity), class: 'num' },
		{ label: t('col.src'), cell: (a) => h('code', null, endpoint(a.src_ip, a.src_port)) },
		{ label: t('col.dest'), cell: (a) => h('code', null, endpoint(a.dest_ip, a.dest_port)) },
		{ label: t('col.proto'), cell: (a) => [a.proto, a.app_proto].filter(Boolean).join('/') },
		{ label: t('col.sensor'), cell: (a) => a.sensor?.id || '—' },
		{
			label: '',
			cell: (a) =>
				h(
					'button',
					{
						class: 'small',
						'data-testid': 'raw-toggle',
						onclick: (ev) => {
							ev.stopPropagation();
							onToggle(a.event_id);
						}
					},
					openSet.has(a.event_id) ? t('alert.hideRaw') : t('alert.raw')
				)
		}
	];
}

/* Table of alerts where a raw-EVE row follows each alert the user opened. */
export function alertTable(alerts, openSet, onToggle, testid) {
	const cols = alertColumns(openSet, onToggle);
	const body = h('tbody');
	for (const a of alerts) {
		body.append(
			h(
				'tr',
				{ 'data-event-id': a.event_id, class: 'sev-' + (a.alert?.severity ?? 'x') },
				cols.map((c) => h('td', { class: c.class }, c.cell(a)))
			)
		);
		if (openSet.has(a.event_id)) {
			body.append(h('tr', { class: 'raw-row' }, h('td', { colspan: cols.length }, rawEve(a))));
		}
	}
	return h(
		'table',
		{ class: 'grid', 'data-testid': testid },
		h('thead', null, h('tr', null, cols.map((c) => h('th', { class: c.class }, c.label)))),
		body
	);
}

export function rawEve(a) {
	return h('pre', { class: 'raw', 'data-testid': 'raw-eve' }, JSON.stringify(a, null, 2));
}
