/*
 * Trend charts with uPlot (small, fast, canvas). One chart per tenant card
 * showing hourly alerts and incidents; update() swaps the data in place so
 * a live refresh does not rebuild the canvas.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { t, getLang } from './i18n.js';

/* Hour ticks in the reader's language and 24-hour clock (uPlot's default is US English). */
function hourTicks(u, splits) {
	const loc = getLang() === 'zh' ? 'zh-CN' : 'en-GB';
	return splits.map((v) =>
		new Date(v * 1000).toLocaleTimeString(loc, { hour: '2-digit', minute: '2-digit', hour12: false })
	);
}

export function trendData(trend) {
	const xs = [];
	const a = [];
	const i = [];
	for (const p of trend || []) {
		const ms = Date.parse(p.t);
		if (Number.isNaN(ms)) continue;
		xs.push(ms / 1000);
		a.push(Number(p.alerts) || 0);
		i.push(Number(p.incidents) || 0);
	}
	return [xs, a, i];
}

export function trendChart(el, trend, width) {
	const opts = {
		width: width || 520,
		height: 180,
		legend: { show: true, live: false },
		cursor: { drag: { x: false, y: false } },
		scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
		axes: [
			{ stroke: '#9aa6b2', grid: { stroke: '#243040' }, values: hourTicks },
			{ stroke: '#9aa6b2', grid: { stroke: '#243040' } }
		],
		series: [
			{},
			{ label: t('series.alerts'), stroke: '#4aa3ff', fill: 'rgba(74,163,255,0.15)', width: 2 },
			{ label: t('series.incidents'), stroke: '#ff7a45', width: 2, points: { show: true } }
		]
	};
	const u = new uPlot(opts, trendData(trend), el);
	return {
		update: (tr) => u.setData(trendData(tr)),
		resize: (w) => u.setSize({ width: w, height: 180 }),
		destroy: () => u.destroy()
	};
}
