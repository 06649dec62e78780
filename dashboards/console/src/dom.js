/*
 * A tiny element builder. Every value from the API reaches the page through
 * textContent or attributes set one by one, never through innerHTML, so an
 * alert payload or a comment cannot inject markup into the analyst's console.
 */
export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	if (attrs) {
		for (const [k, v] of Object.entries(attrs)) {
			if (v === null || v === undefined || v === false) continue;
			if (k === 'class') el.className = v;
			else if (k === 'dataset') Object.assign(el.dataset, v);
			else if (k.startsWith('on') && typeof v === 'function')
				el.addEventListener(k.slice(2).toLowerCase(), v);
			else if (k === 'value') el.value = v;
			else if (v === true) el.setAttribute(k, '');
			else el.setAttribute(k, String(v));
		}
	}
	append(el, children);
	return el;
}

function append(el, children) {
	for (const c of children) {
		if (c === null || c === undefined || c === false) continue;
		if (Array.isArray(c)) append(el, c);
		else if (c instanceof Node) el.appendChild(c);
		else el.appendChild(document.createTextNode(String(c)));
	}
}

export function clear(el) {
	while (el.firstChild) el.removeChild(el.firstChild);
	return el;
}

/* A table from column specs [{label, cell: row => Node|string, class}] and rows. */
export function table(columns, rows, opts = {}) {
	const thead = h('thead', null, h('tr', null, columns.map((c) => h('th', { class: c.class }, c.label))));
	const tbody = h(
		'tbody',
		null,
		rows.map((r) =>
			h(
				'tr',
				{
					class: opts.rowClass ? opts.rowClass(r) : null,
					onclick: opts.onRow ? () => opts.onRow(r) : null,
					dataset: opts.rowData ? opts.rowData(r) : null
				},
				columns.map((c) => h('td', { class: c.class }, c.cell(r)))
			)
		)
	);
	return h('table', { class: 'grid' + (opts.onRow ? ' clickable' : ''), 'data-testid': opts.testid }, thead, tbody);
}

/* A coloured warning-level badge; level is blue|yellow|orange|red or empty. */
export function levelBadge(level, text) {
	const l = ['blue', 'yellow', 'orange', 'red'].includes(level) ? level : 'none';
	return h('span', { class: 'level level-' + l, 'data-level': l }, text);
}

/*
 * Live refresh guard: true when DATA differs from what this holder last saw.
 * Pages skip re-rendering unchanged data so a poll never resets the scroll of
 * a raw EVE block or a half-read table.
 */
export function changedSince(holder, data) {
	const key = JSON.stringify(data);
	if (holder.last === key) return false;
	holder.last = key;
	return true;
}
