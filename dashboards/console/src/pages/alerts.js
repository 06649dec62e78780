/*
 * Alert search over /api/v1/alerts with every filter the API offers, paging
 * by cursor, and the raw EVE of any alert. #/alerts/<event_id> opens one alert
 * by its id (links from elsewhere, or pasted by a colleague).
 */
import { api, ApiError } from '../api.js';
import { h, clear, changedSince } from '../dom.js';
import { t } from '../i18n.js';
import { field, select, tenantInput, textInput, filterBar, toApiTime } from './filters.js';
import { alertTable, rawEve } from './eve.js';

function mountOne(root, ctx, eventId) {
	const box = h('div', { class: 'panel' });
	root.append(h('div', { class: 'page-head' }, h('a', { href: '#/alerts', class: 'back' }, '← ' + t('alert.title')), h('h2', null, eventId)), box);
	async function refresh() {
		try {
			const a = await api.alert(eventId);
			clear(box).append(rawEve(a));
		} catch (e) {
			if (e instanceof ApiError && e.status === 404) {
				clear(box).append(h('p', { class: 'error', 'data-testid': 'not-found' }, t('alert.notFound')));
				return;
			}
			throw e;
		}
	}
	return { refresh, live: false };
}

export function mount(root, ctx, eventId) {
	if (eventId) return mountOne(root, ctx, eventId);
	const q = ctx.query;
	const names = ['tenant', 'since', 'until', 'severity', 'sid', 'src_ip', 'dest_ip', 'sensor', 'q'];
	const f = Object.fromEntries(names.map((n) => [n, q.get(n) || '']));
	const bar = filterBar(
		'/alerts',
		[
			field(t('filter.tenant'), tenantInput(ctx.who, f.tenant)),
			field(t('filter.since'), textInput('since', f.since, { placeholder: '2026-11-01T00:00:00Z' })),
			field(t('filter.until'), textInput('until', f.until, { placeholder: 'RFC 3339 / epoch' })),
			field(t('filter.severity'), select('severity', f.severity, [['', t('filter.any')], ['1', '1'], ['2', '2'], ['3', '3'], ['4', '4']])),
			field(t('filter.sid'), textInput('sid', f.sid, { inputmode: 'numeric', size: 9 })),
			field(t('filter.srcIp'), textInput('src_ip', f.src_ip, { size: 15 })),
			field(t('filter.destIp'), textInput('dest_ip', f.dest_ip, { size: 15 })),
			field(t('filter.sensor'), textInput('sensor', f.sensor, { size: 10 })),
			field(t('filter.q'), textInput('q', f.q))
		],
		ctx
	);
	const list = h('div', { class: 'panel' });
	const foot = h('div', { class: 'pager' });
	root.append(h('div', { class: 'page-head' }, h('h2', null, t('alert.title'))), bar, list, foot);

	let rows = [];
	let cursor = null;
	let paged = false;
	const open = new Set();
	const seen = {};

	function params(cur) {
		return { ...f, since: toApiTime(f.since), until: toApiTime(f.until), limit: 100, cursor: cur };
	}

	function render() {
		clear(list).append(
			rows.length
				? alertTable(rows, open, (eid) => {
						if (open.has(eid)) open.delete(eid);
						else open.add(eid);
						render();
					}, 'alert-table')
				: h('p', { class: 'muted' }, t('empty'))
		);
		clear(foot).append(
			h('span', { class: 'muted', 'data-testid': 'alert-count' }, t('page.count', { n: rows.length })),
			cursor
				? h(
						'button',
						{
							'data-testid': 'more',
							onclick: async () => {
								try {
									const r = await api.alerts(params(cursor));
									rows = rows.concat(r.alerts || []);
									cursor = r.next_cursor || null;
									paged = true;
									render();
								} catch (e) {
									ctx.error(e);
								}
							}
						},
						t('page.more')
					)
				: h('span', { class: 'muted' }, t('page.end'))
		);
	}

	async function refresh() {
		if (paged) return;
		const r = await api.alerts(params(null));
		if (!changedSince(seen, r)) return;
		rows = r.alerts || [];
		cursor = r.next_cursor || null;
		render();
	}
	return { refresh };
}
