/*
 * The console's only door to data: the ingest HTTP API v1. The bearer token
 * lives in sessionStorage (dies with the tab, never in localStorage or a
 * cookie), and every request carries it. The server enforces roles and
 * tenants; the console only mirrors them to hide what a role cannot do.
 */
const TOKEN_KEY = 'yunshao.token';

export class ApiError extends Error {
	constructor(status, message) {
		super(message);
		this.status = status;
	}
}

export function getToken() {
	return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(tok) {
	if (tok) sessionStorage.setItem(TOKEN_KEY, tok);
	else sessionStorage.removeItem(TOKEN_KEY);
}

/* Build a query string from an object, leaving out empty values. */
export function qs(params) {
	const u = new URLSearchParams();
	for (const [k, v] of Object.entries(params || {})) {
		if (v === undefined || v === null || v === '') continue;
		u.set(k, String(v));
	}
	const s = u.toString();
	return s ? '?' + s : '';
}

async function request(method, path, body, opts = {}) {
	const headers = { Authorization: 'Bearer ' + (opts.token || getToken() || '') };
	if (body !== undefined) headers['Content-Type'] = 'application/json';
	let res;
	try {
		res = await fetch(path, {
			method,
			headers,
			body: body !== undefined ? JSON.stringify(body) : undefined,
			cache: 'no-store'
		});
	} catch (e) {
		throw new ApiError(0, e.message || 'network');
	}
	if (opts.raw) {
		if (!res.ok) throw new ApiError(res.status, await errorText(res));
		return res;
	}
	if (!res.ok) throw new ApiError(res.status, await errorText(res));
	const text = await res.text();
	return text ? JSON.parse(text) : {};
}

async function errorText(res) {
	try {
		const j = await res.json();
		if (j && typeof j.error === 'string') return j.error;
	} catch {
		/* not JSON: fall through to the status line */
	}
	return res.status + ' ' + res.statusText;
}

export const api = {
	whoami: (token) => request('GET', '/api/v1/whoami', undefined, { token }),
	situation: (p) => request('GET', '/api/v1/situation' + qs(p)),
	incidents: (p) => request('GET', '/api/v1/incidents' + qs(p)),
	incident: (id) => request('GET', '/api/v1/incidents/' + encodeURIComponent(id)),
	incidentAction: (id, action, body) =>
		request('POST', '/api/v1/incidents/' + encodeURIComponent(id) + '/' + action, body || {}),
	alerts: (p) => request('GET', '/api/v1/alerts' + qs(p)),
	alert: (id) => request('GET', '/api/v1/alerts/' + encodeURIComponent(id)),
	sensors: () => request('GET', '/api/v1/sensors'),
	audit: (p) => request('GET', '/api/v1/audit' + qs(p)),
	auditVerify: () => request('GET', '/api/v1/audit/verify'),
	report: (p) => request('GET', '/api/reports/mlps' + qs(p), undefined, { raw: true })
};

/* What a role may do, mirroring the API's rules (the server still decides). */
export function can(who, what) {
	const role = who && who.role;
	switch (what) {
		case 'act':
			return role === 'admin' || role === 'analyst';
		case 'audit':
		case 'report':
			return role === 'admin' || role === 'auditor';
		default:
			return false;
	}
}
