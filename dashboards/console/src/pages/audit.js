/*
 * The audit log (admin, auditor): every analyst action and configuration
 * change, newest first, each record chained to the previous by SHA-256, and
 * the server's verification of that chain.
 */
import { api } from '../api.js';
import { h, clear, table, changedSince } from '../dom.js';
import { t, fmtTime } from '../i18n.js';

export function mount(root, ctx) {
	const verdict = h('div', { class: 'panel verdict', 'data-testid': 'audit-verify' });
	const list = h('div', { class: 'panel' });
	const foot = h('div', { class: 'pager' });
	root.append(h('div', { class: 'page-head' }, h('h2', null, t('audit.title'))), verdict, list, foot);
	let records = [];
	let cursor = null;
	let paged = false;
	const seen = {};

	function render() {
		clear(list).append(
			records.length
				? table(
						[
							{ label: t('col.seq'), cell: (r) => String(r.seq), class: 'num' },
							{ label: t('col.time'), cell: (r) => fmtTime(r.time) },
							{ label: t('col.actor'), cell: (r) => r.actor },
							{ label: t('col.action'), cell: (r) => r.action },
							{ label: t('col.target'), cell: (r) => r.target ?? '—' },
							{ label: t('col.detail'), cell: (r) => (typeof r.detail === 'string' ? r.detail : JSON.stringify(r.detail ?? '')) },
							{ label: t('col.hash'), cell: (r) => h('code', { title: r.hash }, String(r.hash || '').slice(0, 12)) }
						],
						records,
						{ testid: 'audit-table', rowData: (r) => ({ seq: r.seq, action: r.action, target: r.target ?? '' }) }
					)
				: h('p', { class: 'muted' }, t('empty'))
		);
		clear(foot).append(
			cursor
				? h('button', {
						onclick: async () => {
							try {
								const r = await api.audit({ limit: 100, cursor });
								records = records.concat(r.records || []);
								cursor = r.next_cursor || null;
								paged = true;
								render();
							} catch (e) {
								ctx.error(e);
							}
						}
					}, t('page.more'))
				: h('span', { class: 'muted' }, t('page.end'))
		);
	}

	async function refresh() {
		const [v, r] = await Promise.all([api.auditVerify(), paged ? null : api.audit({ limit: 100 })]);
		verdict.className = 'panel verdict ' + (v.ok ? 'good' : 'bad');
		verdict.dataset.ok = String(!!v.ok);
		verdict.textContent = v.ok ? t('audit.ok', { n: v.records }) : t('audit.bad', { seq: v.first_bad, reason: v.reason || '' });
		if (r && changedSince(seen, r)) {
			records = r.records || [];
			cursor = r.next_cursor || null;
			render();
		}
	}
	return { refresh };
}
