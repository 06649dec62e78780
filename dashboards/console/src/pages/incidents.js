/*
 * Incident queue: filter (tenant, status, level, since), sort, page with the
 * API's cursor, and acknowledge straight from the row when the role may.
 * Sorting applies to the rows loaded so far; the API's own order is newest
 * first, so "load more" extends the list the analyst is sorting.
 */
import { api } from '../api.js';
import { h, clear, table, levelBadge, changedSince } from '../dom.js';
import { t, fmtTime, fmtNum } from '../i18n.js';
import { field, select, tenantInput, textInput, filterBar, toApiTime } from './filters.js';

const LEVEL_RANK = { red: 4, orange: 3, yellow: 2, blue: 1 };
const SORTS = {
	last_seen: (a, b) => String(b.last_seen).localeCompare(String(a.last_seen)),
	first_seen: (a, b) => String(b.first_seen).localeCompare(String(a.first_seen)),
	level: (a, b) => (LEVEL_RANK[b.level] || 0) - (LEVEL_RANK[a.level] || 0) || SORTS.last_seen(a, b),
	alert_count: (a, b) => (b.alert_count || 0) - (a.alert_count || 0) || SORTS.last_seen(a, b)
};

export function statusText(s) {
	return ['open', 'acknowledged', 'closed'].includes(s) ? t('status.' + s) : s;
}

export function levelText(l) {
	return ['blue', 'yellow', 'orange', 'red'].includes(l) ? t('level.' + l) : t('level.none');
}

export function mount(root, ctx) {
	const q = ctx.query;
	const filters = {
		tenant: q.get('tenant') || '',
		status: q.get('status') || '',
		level: q.get('level') || '',
		since: q.get('since') || ''
	};
	const sortSel = select('sort', q.get('sort') || 'last_seen', [
		['last_seen', t('sort.lastSeen')],
		['first_seen', t('sort.firstSeen')],
		['level', t('sort.level')],
		['alert_count', t('sort.alertCount')]
	]);
	sortSel.addEventListener('change', render);
	const bar = filterBar(
		'/incidents',
		[
			field(t('filter.tenant'), tenantInput(ctx.who, filters.tenant)),
			field(
				t('filter.status'),
				select('status', filters.status, [
					['', t('filter.any')],
					['open', t('status.open')],
					['acknowledged', t('status.acknowledged')],
					['closed', t('status.closed')]
				])
			),
			field(
				t('filter.level'),
				select('level', filters.level, [['', t('filter.any')], ...['red', 'orange', 'yellow', 'blue'].map((l) => [l, t('level.' + l)])])
			),
			field(t('filter.since'), textInput('since', filters.since, { placeholder: '2026-11-01T00:00:00Z' })),
			field(t('filter.sort'), sortSel)
		],
		ctx
	);
	const list = h('div', { class: 'panel' });
	const foot = h('div', { class: 'pager' });
	root.append(h('div', { class: 'page-head' }, h('h2', null, t('inc.title'))), bar, list, foot);

	let rows = [];
	let cursor = null;
	let extraPages = 0;
	const seen = {};

	function render() {
		const sorted = rows.slice().sort(SORTS[sortSel.value] || SORTS.last_seen);
		const cols = [
			{ label: t('col.id'), cell: (r) => h('a', { href: '#/incidents/' + encodeURIComponent(r.id) }, String(r.id)) },
			{ label: t('col.tenant'), cell: (r) => r.tenant },
			{ label: t('col.level'), cell: (r) => levelBadge(r.level, levelText(r.level)) },
			{ label: t('col.title'), cell: (r) => r.title },
			{ label: t('col.severity'), cell: (r) => String(r.severity ?? '—'), class: 'num' },
			{ label: t('col.status'), cell: (r) => h('span', { class: 'status status-' + r.status, 'data-status': r.status }, statusText(r.status)) },
			{ label: t('col.assignee'), cell: (r) => r.assignee || '—' },
			{ label: t('col.alertCount'), cell: (r) => fmtNum(r.alert_count), class: 'num' },
			{ label: t('col.lastSeen'), cell: (r) => fmtTime(r.last_seen) }
		];
		if (ctx.can('act')) {
			cols.push({
				label: '',
				cell: (r) =>
					r.status === 'open'
						? h(
								'button',
								{
									class: 'small',
									'data-testid': 'row-ack',
									onclick: async (ev) => {
										ev.stopPropagation();
										try {
											await api.incidentAction(r.id, 'acknowledge', {});
											ctx.error(null);
											await refresh();
										} catch (e) {
											ctx.error(e);
										}
									}
								},
								t('inc.acknowledge')
							)
						: null
			});
		}
		clear(list).append(
			sorted.length
				? table(cols, sorted, {
						testid: 'incident-table',
						rowData: (r) => ({ id: r.id, tenant: r.tenant }),
						rowClass: (r) => 'row-level-' + (r.level || 'none'),
						onRow: (r) => ctx.navigate('/incidents/' + encodeURIComponent(r.id))
					})
				: h('p', { class: 'muted' }, t('empty'))
		);
		clear(foot).append(
			h('span', { class: 'muted' }, t('page.count', { n: rows.length })),
			cursor ? h('button', { onclick: more, 'data-testid': 'more' }, t('page.more')) : h('span', { class: 'muted' }, t('page.end'))
		);
	}

	function params(cur) {
		return { ...filters, since: toApiTime(filters.since), limit: 100, cursor: cur };
	}

	async function more() {
		try {
			const r = await api.incidents(params(cursor));
			rows = rows.concat(r.incidents || []);
			cursor = r.next_cursor || null;
			extraPages++;
			render();
		} catch (e) {
			ctx.error(e);
		}
	}

	/* Live refresh reloads the first page only while the analyst has not paged on,
	 * so the list does not jump under them while they read page three. */
	async function refresh() {
		if (extraPages > 0) return;
		const r = await api.incidents(params(null));
		if (!changedSince(seen, r)) return;
		rows = r.incidents || [];
		cursor = r.next_cursor || null;
		render();
	}

	return { refresh };
}
