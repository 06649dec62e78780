/*
 * Situation overview: one card per tenant the token may see, with the current
 * early-warning level in its colour (blue/yellow/orange/red, the four grades of
 * the national emergency plan), 24 h counts, an hourly trend chart, top
 * signatures and sources; below, every sensor grouped by rack with silent ones
 * marked. Data: /api/v1/situation and /api/v1/sensors.
 */
import { api } from '../api.js';
import { h, clear, table, levelBadge } from '../dom.js';
import { t, fmtNum, fmtTime } from '../i18n.js';
import { trendChart } from '../chart.js';

function levelText(level) {
	return ['blue', 'yellow', 'orange', 'red'].includes(level) ? t('level.' + level) : t('level.none');
}

export function mount(root, ctx) {
	const gen = h('span', { class: 'muted' });
	const cards = h('div', { class: 'cards', 'data-testid': 'tenant-cards' });
	const rackMap = h('div', { class: 'racks', 'data-testid': 'sensor-map' });
	root.append(
		h('div', { class: 'page-head' }, h('h2', null, t('sit.title')), gen),
		cards,
		h('section', { class: 'panel' }, h('h3', null, t('sit.sensorMap')), rackMap)
	);
	const charts = new Map(); /* tenant -> {chart, card parts} */

	function card(ten) {
		const chartEl = h('div', { class: 'chart' });
		const parts = {
			level: h('div', { class: 'card-level' }),
			stats: h('div', { class: 'stats' }),
			sigs: h('div'),
			srcs: h('div')
		};
		const el = h(
			'section',
			{ class: 'panel tenant-card', 'data-tenant': ten.tenant, 'data-testid': 'tenant-card' },
			h('div', { class: 'card-head' }, h('h3', null, ten.tenant), parts.level),
			parts.stats,
			h('h4', null, t('sit.trend')),
			chartEl,
			h('div', { class: 'two-col' }, h('div', null, h('h4', null, t('sit.topSignatures')), parts.sigs), h('div', null, h('h4', null, t('sit.topSources')), parts.srcs))
		);
		cards.appendChild(el);
		/* Size the canvas to its card now it is laid out; window resizes follow. */
		return { el, parts, chartEl, chart: trendChart(chartEl, ten.trend, Math.max(280, chartEl.clientWidth)) };
	}

	function fill(c, ten) {
		c.el.dataset.level = ten.level || 'none';
		c.el.className = 'panel tenant-card border-' + (ten.level || 'none');
		clear(c.parts.level).append(h('span', { class: 'muted' }, t('level.label') + ' '), levelBadge(ten.level, levelText(ten.level)));
		const s = ten.sensors || {};
		clear(c.parts.stats).append(
			stat(t('sit.alerts24h'), fmtNum(ten.alerts_24h), 'alerts_24h'),
			stat(t('sit.incidentsOpen'), fmtNum(ten.incidents_open), 'incidents_open'),
			stat(t('sit.sensors'), fmtNum(s.reporting) + ' / ' + fmtNum(s.silent), 'sensors', s.silent > 0 ? 'warn' : null)
		);
		clear(c.parts.sigs).append(
			(ten.top_signatures || []).length
				? table(
						[
							{ label: t('col.sid'), cell: (r) => String(r.sid), class: 'num' },
							{ label: t('col.signature'), cell: (r) => r.signature },
							{ label: t('col.count'), cell: (r) => fmtNum(r.count), class: 'num' }
						],
						ten.top_signatures,
						{ onRow: (r) => ctx.navigate('/alerts?tenant=' + encodeURIComponent(ten.tenant) + '&sid=' + r.sid) }
					)
				: h('p', { class: 'muted' }, t('empty'))
		);
		clear(c.parts.srcs).append(
			(ten.top_sources || []).length
				? table(
						[
							{ label: t('col.ip'), cell: (r) => h('code', null, r.ip) },
							{ label: t('col.count'), cell: (r) => fmtNum(r.count), class: 'num' }
						],
						ten.top_sources,
						{ onRow: (r) => ctx.navigate('/alerts?tenant=' + encodeURIComponent(ten.tenant) + '&src_ip=' + encodeURIComponent(r.ip)) }
					)
				: h('p', { class: 'muted' }, t('empty'))
		);
		c.chart.update(ten.trend);
	}

	function stat(label, value, key, cls) {
		return h('div', { class: 'stat ' + (cls || ''), 'data-stat': key }, h('div', { class: 'stat-value' }, value), h('div', { class: 'stat-label' }, label));
	}

	function renderRacks(list) {
		const byRack = new Map();
		for (const s of list) {
			const r = s.rack || t('sensors.noRack');
			if (!byRack.has(r)) byRack.set(r, []);
			byRack.get(r).push(s);
		}
		clear(rackMap);
		if (!list.length) {
			rackMap.append(h('p', { class: 'muted' }, t('empty')));
			return;
		}
		for (const [rack, ss] of [...byRack.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
			rackMap.append(
				h(
					'div',
					{ class: 'rack', 'data-rack': rack },
					h('div', { class: 'rack-name' }, rack),
					ss
						.sort((a, b) => String(a.id).localeCompare(String(b.id)))
						.map((s) =>
							h(
								'div',
								{
									class: 'sensor-dot ' + (s.status === 'ok' ? 'ok' : 'silent'),
									'data-sensor': s.id,
									'data-status': s.status,
									title: s.host + ' · ' + fmtTime(s.last_seen)
								},
								h('span', { class: 'dot' }),
								s.id,
								s.status === 'ok' ? null : h('span', { class: 'tag' }, t('status.silent'))
							)
						)
				)
			);
		}
	}

	async function refresh() {
		const [sit, sens] = await Promise.all([api.situation({}), api.sensors()]);
		gen.textContent = t('sit.generated', { time: fmtTime(sit.generated_at) });
		const tenants = (sit.tenants || []).slice().sort((a, b) => a.tenant.localeCompare(b.tenant));
		const seen = new Set(tenants.map((x) => x.tenant));
		for (const [name, c] of charts) {
			if (!seen.has(name)) {
				c.chart.destroy();
				c.el.remove();
				charts.delete(name);
			}
		}
		if (!tenants.length) {
			if (!cards.querySelector('.muted')) cards.append(h('p', { class: 'muted' }, t('sit.noTenants')));
		} else {
			const empty = cards.querySelector(':scope > p.muted');
			if (empty) empty.remove();
		}
		for (const ten of tenants) {
			let c = charts.get(ten.tenant);
			if (!c) {
				c = card(ten);
				charts.set(ten.tenant, c);
			}
			fill(c, ten);
		}
		renderRacks(sens.sensors || []);
	}

	function onResize() {
		for (const c of charts.values()) c.chart.resize(Math.max(280, c.chartEl.clientWidth));
	}
	window.addEventListener('resize', onResize);

	return {
		refresh,
		unmount: () => {
			window.removeEventListener('resize', onResize);
			for (const c of charts.values()) c.chart.destroy();
		}
	};
}
