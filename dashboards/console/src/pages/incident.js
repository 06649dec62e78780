/*
 * One incident: what it is, the actions an analyst takes on it (acknowledge,
 * assign, comment, close: shown only to roles that may, the server decides
 * anyway), the ascending timeline of the alerts behind it with the raw EVE of
 * any alert, comments and the action history.
 */
import { api, ApiError } from '../api.js';
import { h, clear, table, levelBadge, changedSince } from '../dom.js';
import { t, fmtTime, fmtNum } from '../i18n.js';
import { statusText, levelText } from './incidents.js';
import { alertTable } from './eve.js';

/* History details arrive as text, JSON text or objects; empty ones show as a dash. */
function detailText(d) {
	if (d === null || d === undefined) return '—';
	const s = typeof d === 'string' ? d : JSON.stringify(d);
	return s === '' || s === '""' || s === '{}' ? '—' : s;
}

export function mount(root, ctx, id) {
	const head = h('div', { class: 'panel incident-head', 'data-testid': 'incident-head' });
	const actions = h('div', { class: 'panel actions', 'data-testid': 'incident-actions' });
	const timeline = h('div', { class: 'panel' });
	const comments = h('div', { class: 'panel' });
	const history = h('div', { class: 'panel' });
	const note = h('p', { class: 'ok-note', 'data-testid': 'action-note', role: 'status' });
	const side = h('div', { class: 'two-col' }, comments, history);
	root.append(
		h('div', { class: 'page-head' }, h('a', { href: '#/incidents', class: 'back' }, '← ' + t('inc.back')), h('h2', null, t('inc.detail') + ' #' + id)),
		head,
		actions,
		note,
		timeline,
		side
	);
	const open = new Set();
	let inc = null;
	let built = false;
	const seen = {};

	const assignee = h('input', { name: 'assignee', 'data-testid': 'assignee', placeholder: t('inc.assignee') });
	const comment = h('textarea', { name: 'comment', rows: 2, 'data-testid': 'comment-text', placeholder: t('inc.comment') });
	const reason = h('input', { name: 'reason', 'data-testid': 'close-reason', placeholder: t('inc.closeReason') });

	async function act(action, body, label, input) {
		if (input && !input.value.trim()) {
			note.textContent = t('inc.required');
			input.focus();
			return;
		}
		try {
			await api.incidentAction(id, action, body);
			if (input) input.value = '';
			note.textContent = t('inc.done', { action: label });
			ctx.error(null);
			await refresh();
		} catch (e) {
			note.textContent = '';
			ctx.error(e);
		}
	}

	function buildActions() {
		clear(actions);
		if (!ctx.can('act')) {
			actions.append(h('p', { class: 'muted', 'data-testid': 'readonly' }, t('inc.readonly')));
			return;
		}
		actions.append(
			h('button', { class: 'primary', 'data-testid': 'ack', onclick: () => act('acknowledge', {}, t('inc.acknowledge')) }, t('inc.acknowledge')),
			h('span', { class: 'act-group' }, assignee, h('button', { 'data-testid': 'assign', onclick: () => act('assign', { assignee: assignee.value.trim() }, t('inc.assign'), assignee) }, t('inc.assign'))),
			h('span', { class: 'act-group' }, comment, h('button', { 'data-testid': 'comment', onclick: () => act('comment', { text: comment.value.trim() }, t('inc.comment'), comment) }, t('inc.addComment'))),
			h('span', { class: 'act-group' }, reason, h('button', { class: 'danger', 'data-testid': 'close', onclick: () => act('close', { reason: reason.value.trim() }, t('inc.close'), reason) }, t('inc.close')))
		);
	}

	function kv(label, value, key) {
		return h('div', { class: 'kv', 'data-field': key }, h('span', { class: 'k' }, label), h('span', { class: 'v' }, value));
	}

	function render() {
		clear(head).append(
			h('div', { class: 'card-head' }, h('h3', { 'data-testid': 'incident-title' }, inc.title), levelBadge(inc.level, levelText(inc.level))),
			h(
				'div',
				{ class: 'kvs' },
				kv(t('col.tenant'), inc.tenant, 'tenant'),
				kv(t('col.status'), h('span', { class: 'status status-' + inc.status, 'data-testid': 'incident-status', 'data-status': inc.status }, statusText(inc.status)), 'status'),
				kv(t('col.severity'), String(inc.severity ?? '—'), 'severity'),
				kv(t('col.assignee'), inc.assignee || '—', 'assignee'),
				kv(t('inc.rule'), inc.rule || '—', 'rule'),
				kv(t('col.firstSeen'), fmtTime(inc.first_seen), 'first_seen'),
				kv(t('col.lastSeen'), fmtTime(inc.last_seen), 'last_seen'),
				kv(t('col.alertCount'), fmtNum(inc.alert_count), 'alert_count'),
				kv(t('inc.srcIps'), (inc.src_ips || []).join(', ') || '—', 'src_ips'),
				kv(t('inc.destIps'), (inc.dest_ips || []).join(', ') || '—', 'dest_ips'),
				kv(t('inc.signatures'), (inc.signatures || []).join('; ') || '—', 'signatures'),
				kv(t('col.controls'), (inc.mlps_controls || []).join(', ') || '—', 'mlps_controls')
			)
		);
		/* Closed incidents take no more actions, but their record stays readable. */
		for (const b of actions.querySelectorAll('button[data-testid="ack"]')) b.disabled = inc.status !== 'open';
		for (const b of actions.querySelectorAll('button[data-testid="close"]')) b.disabled = inc.status === 'closed';
		renderTimeline();
		clear(comments).append(
			h('h3', null, t('inc.comments')),
			(inc.comments || []).length
				? h('ul', { class: 'comments', 'data-testid': 'comments' }, inc.comments.map((c) => h('li', null, h('div', { class: 'meta' }, h('b', null, c.author), ' · ', fmtTime(c.time)), h('div', null, c.text))))
				: h('p', { class: 'muted' }, t('empty'))
		);
		clear(history).append(
			h('h3', null, t('inc.history')),
			(inc.history || []).length
				? table(
						[
							{ label: t('col.time'), cell: (r) => fmtTime(r.time) },
							{ label: t('col.actor'), cell: (r) => r.actor },
							{ label: t('col.action'), cell: (r) => r.action },
							{ label: t('col.detail'), cell: (r) => detailText(r.detail) }
						],
						inc.history,
						{ testid: 'history' }
					)
				: h('p', { class: 'muted' }, t('empty'))
		);
	}

	function renderTimeline() {
		const list = inc.alerts || [];
		clear(timeline).append(
			h('h3', null, t('inc.timeline') + ' (' + fmtNum(list.length) + ')'),
			list.length
				? alertTable(list, open, (eid) => {
						if (open.has(eid)) open.delete(eid);
						else open.add(eid);
						renderTimeline();
					}, 'timeline')
				: h('p', { class: 'muted' }, t('empty'))
		);
	}

	async function refresh() {
		try {
			inc = await api.incident(id);
		} catch (e) {
			if (e instanceof ApiError && e.status === 404) {
				/* Same answer whether it does not exist or belongs to another tenant. */
				clear(head).append(h('p', { class: 'error', 'data-testid': 'not-found' }, t('inc.notFound')));
				for (const el of [actions, note, timeline, side]) el.hidden = true;
				return;
			}
			throw e;
		}
		if (!built) {
			buildActions();
			built = true;
		}
		if (changedSince(seen, inc)) render();
	}

	return { refresh };
}
