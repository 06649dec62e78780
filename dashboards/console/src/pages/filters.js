/*
 * Shared filter-bar helpers: filters live in the route's query string
 * (#/incidents?status=open&tenant=acme) so a filtered view can be linked and
 * survives a language switch; submitting the bar navigates to the new query.
 */
import { h } from '../dom.js';
import { t } from '../i18n.js';

export function field(label, input) {
	return h('label', { class: 'field' }, h('span', null, label), input);
}

export function textInput(name, value, attrs = {}) {
	return h('input', { name, value: value || '', 'data-filter': name, ...attrs });
}

export function select(name, value, options) {
	const el = h(
		'select',
		{ name, 'data-filter': name },
		options.map(([v, label]) => h('option', { value: v }, label))
	);
	el.value = value || '';
	return el;
}

/* A select of the caller's tenants, or a free text box for a "*" token. */
export function tenantInput(who, value) {
	if (who.tenants.includes('*')) return textInput('tenant', value, { placeholder: t('filter.any') });
	return select('tenant', value, [['', t('filter.any')], ...who.tenants.map((x) => [x, x])]);
}

export function filterBar(base, inputs, ctx) {
	const form = h(
		'form',
		{
			class: 'filters',
			'data-testid': 'filters',
			onsubmit: (ev) => {
				ev.preventDefault();
				const q = new URLSearchParams();
				for (const el of form.querySelectorAll('[data-filter]')) {
					if (el.value.trim() !== '') q.set(el.name, el.value.trim());
				}
				const s = q.toString();
				ctx.navigate(base + (s ? '?' + s : ''));
			}
		},
		inputs,
		h('button', { type: 'submit', class: 'primary', 'data-testid': 'apply' }, t('filter.apply')),
		h('button', { type: 'button', onclick: () => ctx.navigate(base) }, t('filter.reset'))
	);
	return form;
}

/* Convert a datetime-local value or RFC 3339 text to what the API accepts. */
export function toApiTime(v) {
	if (!v) return '';
	if (/^\d+$/.test(v)) return v;
	const d = new Date(v);
	return Number.isNaN(d.getTime()) ? v : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
