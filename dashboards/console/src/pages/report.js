/*
 * MLPS 2.0 (GB/T 22239-2019 level 3) evidence report for auditors: pick a
 * tenant and period, see the printable HTML in a sandboxed frame (no scripts,
 * the token never leaves this page) or download the PDF. The API needs the
 * bearer token, so both are fetched here and shown from blob URLs.
 */
import { api } from '../api.js';
import { h, clear } from '../dom.js';
import { t } from '../i18n.js';
import { field, tenantInput, toApiTime } from './filters.js';

function isoDay(d) {
	return d.toISOString().slice(0, 10);
}

export function mount(root, ctx) {
	const now = new Date();
	const from = h('input', { type: 'date', name: 'from', 'data-testid': 'report-from', value: isoDay(new Date(now.getTime() - 30 * 86400e3)) });
	const to = h('input', { type: 'date', name: 'to', 'data-testid': 'report-to', value: isoDay(new Date(now.getTime() + 86400e3)) });
	const tenant = tenantInput(ctx.who, ctx.who.tenants.includes('*') ? '' : ctx.who.tenants[0]);
	const out = h('div', { class: 'panel report-out' });
	let url = null;

	function params(format) {
		return { tenant: tenant.value.trim(), from: toApiTime(from.value + 'T00:00:00Z'), to: toApiTime(to.value + 'T00:00:00Z'), format };
	}

	async function fetchBlob(format) {
		ctx.error(null);
		const res = await api.report(params(format));
		const blob = await res.blob();
		if (url) URL.revokeObjectURL(url);
		url = URL.createObjectURL(blob);
		return url;
	}

	root.append(
		h('div', { class: 'page-head' }, h('h2', null, t('report.title'))),
		h(
			'div',
			{ class: 'filters' },
			field(t('filter.tenant'), tenant),
			field(t('report.from'), from),
			field(t('report.to'), to),
			h('button', {
				class: 'primary',
				'data-testid': 'report-html',
				onclick: async () => {
					try {
						const u = await fetchBlob('html');
						clear(out).append(h('iframe', { src: u, sandbox: '', class: 'report-frame', title: t('report.title'), 'data-testid': 'report-frame' }));
					} catch (e) {
						ctx.error(e);
					}
				}
			}, t('report.html')),
			h('button', {
				'data-testid': 'report-pdf',
				onclick: async () => {
					try {
						const u = await fetchBlob('pdf');
						const a = h('a', { href: u, download: 'mlps-' + (tenant.value || 'all') + '-' + from.value + '-' + to.value + '.pdf' });
						document.body.append(a);
						a.click();
						a.remove();
					} catch (e) {
						ctx.error(e);
					}
				}
			}, t('report.pdf'))
		),
		h('p', { class: 'muted' }, t('report.hint')),
		out
	);
	return {
		unmount: () => {
			if (url) URL.revokeObjectURL(url);
		}
	};
}
