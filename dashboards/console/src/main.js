/*
 * The console shell: sign-in, navigation, hash routing and live updates.
 *
 * Routes are URL fragments (#/incidents/42) so the console is a set of static
 * files ingest can serve from one directory, and a link to an incident can be
 * shared. Each page module exports mount(root, ctx, args) returning an object
 * with refresh(); the shell calls refresh() every POLL_MS while the tab is
 * visible, which gives live updates without reloading or losing what the
 * analyst is typing (pages re-render only their data regions).
 */
import './style.css';
import { api, can, getToken, setToken, ApiError } from './api.js';
import { h, clear } from './dom.js';
import { t, setLang, getLang } from './i18n.js';
import * as login from './pages/login.js';
import * as situation from './pages/situation.js';
import * as incidents from './pages/incidents.js';
import * as incident from './pages/incident.js';
import * as alerts from './pages/alerts.js';
import * as sensors from './pages/sensors.js';
import * as audit from './pages/audit.js';
import * as report from './pages/report.js';

const POLL_MS = 5000;
const LANG_KEY = 'yunshao.lang';

const ROUTES = [
	{ re: /^\/situation$/, page: situation, nav: 'situation' },
	{ re: /^\/incidents$/, page: incidents, nav: 'incidents' },
	{ re: /^\/incidents\/([^/]+)$/, page: incident, nav: 'incidents' },
	{ re: /^\/alerts$/, page: alerts, nav: 'alerts' },
	{ re: /^\/alerts\/([^/]+)$/, page: alerts, nav: 'alerts' },
	{ re: /^\/sensors$/, page: sensors, nav: 'sensors' },
	{ re: /^\/audit$/, page: audit, nav: 'audit', need: 'audit' },
	{ re: /^\/report$/, page: report, nav: 'report', need: 'report' }
];

const state = { who: null, current: null, timer: null, lastOk: null, lastErr: null };

function parseHash() {
	const raw = location.hash.replace(/^#/, '') || '/situation';
	const [path, query] = raw.split('?');
	return { path, query: new URLSearchParams(query || '') };
}

export function navigate(path) {
	if (location.hash !== '#' + path) location.hash = path;
	else route();
}

function signOut() {
	setToken(null);
	state.who = null;
	navigate('/login');
}

/* An API error on a page: an expired token sends the user back to sign-in. */
function handleError(e) {
	if (e instanceof ApiError && e.status === 401) {
		setToken(null);
		state.who = null;
		navigate('/login');
		return t('err.session');
	}
	if (e instanceof ApiError && e.status === 403) return t('err.forbidden');
	if (e instanceof ApiError && e.status === 404) return t('err.notFound');
	if (e instanceof ApiError && e.status === 0) return t('err.network');
	return e.message || String(e);
}

function liveText() {
	if (state.lastErr) return t('live.error', { msg: state.lastErr });
	if (state.lastOk) return t('live.updated', { time: state.lastOk.toLocaleTimeString(getLang() === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false }) });
	return '';
}

function header(active) {
	const who = state.who;
	const items = [
		['situation', '/situation', true],
		['incidents', '/incidents', true],
		['alerts', '/alerts', true],
		['sensors', '/sensors', true],
		['audit', '/audit', can(who, 'audit')],
		['report', '/report', can(who, 'report')]
	];
	return h(
		'header',
		{ class: 'topbar' },
		h('a', { class: 'brand', href: '#/situation' }, h('span', { class: 'brand-mark' }, '哨'), t('app.brand')),
		h(
			'nav',
			null,
			items
				.filter(([, , show]) => show)
				.map(([key, href]) =>
					h('a', { href: '#' + href, class: key === active ? 'active' : null, 'data-nav': key }, t('nav.' + key))
				)
		),
		h('span', { class: 'live', id: 'live', 'data-testid': 'live' }, liveText()),
		h(
			'span',
			{ class: 'who', 'data-testid': 'whoami' },
			h('b', null, who.name),
			' · ',
			t('role.' + who.role),
			' · ',
			who.tenants.includes('*') ? t('tenants.all') : who.tenants.join(', ')
		),
		h('button', { class: 'link', 'data-testid': 'lang', onclick: toggleLang }, t('lang.switch')),
		h('button', { class: 'link', 'data-testid': 'signout', onclick: signOut }, t('nav.signout'))
	);
}

function toggleLang() {
	const next = getLang() === 'zh' ? 'en' : 'zh';
	setLang(next);
	localStorage.setItem(LANG_KEY, next);
	document.title = t('app.title');
	route();
}

function stopPolling() {
	if (state.timer) clearInterval(state.timer);
	state.timer = null;
}

async function poll() {
	if (document.hidden || !state.current || !state.current.refresh) return;
	try {
		await state.current.refresh();
		state.lastOk = new Date();
		state.lastErr = null;
	} catch (e) {
		state.lastErr = handleError(e);
	}
	const live = document.getElementById('live');
	if (live) live.textContent = liveText();
}

async function route() {
	stopPolling();
	if (state.current && state.current.unmount) state.current.unmount();
	state.current = null;
	const app = clear(document.getElementById('app'));
	const { path, query } = parseHash();

	if (path === '/login' || !getToken()) {
		state.who = null;
		login.mount(app, {
			onSignedIn: (who) => {
				state.who = who;
				navigate('/situation');
			}
		});
		return;
	}
	if (!state.who) {
		try {
			state.who = await api.whoami();
		} catch (e) {
			if (!(e instanceof ApiError) || e.status === 401) setToken(null);
			navigate('/login');
			return;
		}
	}
	let match = null;
	let args = [];
	for (const r of ROUTES) {
		const m = path.match(r.re);
		if (m) {
			match = r;
			args = m.slice(1).map(decodeURIComponent);
			break;
		}
	}
	if (!match || (match.need && !can(state.who, match.need))) {
		navigate('/situation');
		return;
	}
	app.appendChild(header(match.nav));
	const main = h('main', { 'data-page': match.nav });
	const msg = h('div', { class: 'page-error', role: 'alert', 'data-testid': 'page-error', hidden: true });
	app.appendChild(msg);
	app.appendChild(main);
	const ctx = {
		who: state.who,
		query,
		navigate,
		can: (what) => can(state.who, what),
		error: (e) => {
			const text = e ? handleError(e) : '';
			msg.textContent = text;
			msg.hidden = !text;
		}
	};
	const page = match.page.mount(main, ctx, ...args);
	state.current = page;
	state.lastErr = null;
	try {
		if (page.refresh) await page.refresh();
		state.lastOk = new Date();
	} catch (e) {
		ctx.error(e);
	}
	const live = document.getElementById('live');
	if (live) live.textContent = liveText();
	if (page.refresh && page.live !== false) state.timer = setInterval(poll, POLL_MS);
}

function start() {
	const saved = localStorage.getItem(LANG_KEY);
	setLang(saved || (navigator.language && navigator.language.startsWith('zh') ? 'zh' : 'en'));
	document.title = t('app.title');
	window.addEventListener('hashchange', route);
	document.addEventListener('visibilitychange', () => {
		if (!document.hidden) poll();
	});
	route();
}

start();
