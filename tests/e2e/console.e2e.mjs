/*
 * End-to-end test of the SOC console in Debian's Chromium, driven by
 * playwright-core (which never downloads a browser here: executablePath is
 * /usr/bin/chromium). It plays an analyst's and an auditor's day against a
 * running yunshao-ingest:
 *   sign in · see the situation · open an incident · raw EVE of an alert ·
 *   acknowledge, assign, comment, close · the audit entries of those actions ·
 *   a tenant-scoped token gets "not found" for another tenant's incident by URL
 *   (page and API) · an auditor sees no action buttons · zh/en switch.
 * A screenshot of each page goes to YS_E2E_SHOTS.
 *
 * Environment: YS_E2E_URL (http://127.0.0.1:8088), YS_E2E_ANALYST_TOKEN (an
 * analyst token scoped to some tenants), YS_E2E_AUDITOR_TOKEN (auditor or
 * admin, all tenants), YS_E2E_SHOTS (folder). Prints one line per check and
 * "N passed, N failed"; exits 1 when a check fails.
 */
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const BASE = process.env.YS_E2E_URL || 'http://127.0.0.1:8088';
const ANALYST = process.env.YS_E2E_ANALYST_TOKEN;
const AUDITOR = process.env.YS_E2E_AUDITOR_TOKEN;
const SHOTS = process.env.YS_E2E_SHOTS || 'e2e-shots';
const CHROMIUM = process.env.YS_E2E_CHROMIUM || '/usr/bin/chromium';

if (!ANALYST || !AUDITOR) {
	console.error('YS_E2E_ANALYST_TOKEN and YS_E2E_AUDITOR_TOKEN must be set');
	process.exit(2);
}
mkdirSync(SHOTS, { recursive: true });

let passed = 0;
let failed = 0;
function check(name, cond, detail) {
	if (cond) {
		passed++;
		console.log('ok - ' + name);
	} else {
		failed++;
		console.log('not ok - ' + name + (detail !== undefined ? ': ' + detail : ''));
	}
}

async function apiGet(token, path) {
	const res = await fetch(BASE + path, { headers: { Authorization: 'Bearer ' + token } });
	let body = null;
	try {
		body = await res.json();
	} catch {
		body = null;
	}
	return { status: res.status, body };
}

async function shot(page, name) {
	await page.waitForTimeout(300); /* let charts and fonts settle */
	await page.screenshot({ path: join(SHOTS, name + '.png'), fullPage: true });
}

async function signIn(page, token) {
	await page.goto(BASE + '/#/login');
	await page.fill('[data-testid=token]', token);
	await page.click('[data-testid=signin]');
	await page.waitForSelector('[data-testid=whoami]', { timeout: 10000 });
}

const profile = mkdtempSync(join(tmpdir(), 'yunshao-e2e-chromium-'));
/* A fresh profile per run (--user-data-dir, which playwright takes as the
 * persistent-context folder). */
const ctx = await chromium.launchPersistentContext(profile, {
	executablePath: CHROMIUM,
	headless: true,
	viewport: { width: 1440, height: 900 },
	locale: 'en-US',
	args: [
		'--headless',
		'--no-sandbox',
		'--disable-gpu',
		'--disable-quic',
		'--no-first-run',
		'--disable-background-networking',
		'--disable-component-update',
		'--disable-sync'
	]
});

const consoleErrors = [];
try {
	const page = await ctx.newPage();
	page.on('pageerror', (e) => consoleErrors.push(String(e)));
	page.on('console', (m) => {
		if (m.type() === 'error' && !/status of 40[134]/.test(m.text())) consoleErrors.push(m.text());
	});

	/* --- what the analyst token may see, from the API itself --- */
	const who = await apiGet(ANALYST, '/api/v1/whoami');
	check('whoami for the analyst token', who.status === 200 && who.body && who.body.role, JSON.stringify(who));
	const scoped = who.body.tenants;
	const allInc = await apiGet(AUDITOR, '/api/v1/incidents?limit=1000');
	check('auditor lists incidents', allInc.status === 200 && Array.isArray(allInc.body.incidents), allInc.status);
	const mine = allInc.body.incidents.filter((i) => scoped.includes('*') || scoped.includes(i.tenant));
	const foreign = allInc.body.incidents.find((i) => !scoped.includes('*') && !scoped.includes(i.tenant));
	const target = mine.find((i) => i.status === 'open') || null;
	check('an open incident exists in the analyst\'s tenants', !!target, 'incidents: ' + allInc.body.incidents.length);

	/* --- sign-in: a bad token is refused, a good one lands on the situation --- */
	await page.goto(BASE + '/');
	await page.fill('[data-testid=token]', 'definitely-not-a-token');
	await page.click('[data-testid=signin]');
	await page.waitForFunction(() => document.querySelector('[data-testid=login-error]').textContent.length > 0);
	check('bad token refused at sign-in', (await page.textContent('[data-testid=login-error]')).length > 0);
	await shot(page, '01-login');
	await signIn(page, ANALYST);
	check('token kept in sessionStorage only', await page.evaluate(() => !!sessionStorage.getItem('yunshao.token') && !localStorage.getItem('yunshao.token')));

	/* --- situation --- */
	await page.waitForSelector('[data-testid=tenant-card]', { timeout: 15000 });
	const sit = await apiGet(ANALYST, '/api/v1/situation');
	const cards = await page.$$eval('[data-testid=tenant-card]', (els) =>
		els.map((e) => ({
			tenant: e.dataset.tenant,
			level: e.dataset.level,
			alerts: e.querySelector('[data-stat=alerts_24h] .stat-value').textContent,
			badge: getComputedStyle(e.querySelector('.card-level .level')).backgroundColor
		}))
	);
	check('one card per visible tenant', cards.length === sit.body.tenants.length, cards.length + ' vs ' + sit.body.tenants.length);
	check('cards show only the token\'s tenants', cards.every((c) => scoped.includes('*') || scoped.includes(c.tenant)), JSON.stringify(cards.map((c) => c.tenant)));
	for (const ten of sit.body.tenants) {
		const c = cards.find((x) => x.tenant === ten.tenant);
		check('situation ' + ten.tenant + ': level ' + ten.level + ' and alert count shown', c && c.level === (ten.level || 'none') && c.alerts.replace(/\D/g, '') === String(ten.alerts_24h), JSON.stringify(c));
		const colours = { blue: 'rgb(47, 128, 237)', yellow: 'rgb(242, 201, 76)', orange: 'rgb(242, 153, 74)', red: 'rgb(235, 87, 87)' };
		if (ten.level) check('level colour for ' + ten.level, c && c.badge === colours[ten.level], c && c.badge);
	}
	check('trend charts drawn', (await page.$$('[data-testid=tenant-card] canvas')).length >= cards.length);
	const sensorDots = await page.$$eval('[data-testid=sensor-map] [data-sensor]', (els) => els.map((e) => e.dataset.status));
	const sens = await apiGet(ANALYST, '/api/v1/sensors');
	check('sensor map shows every sensor', sensorDots.length === sens.body.sensors.length, sensorDots.length + ' vs ' + sens.body.sensors.length);
	await shot(page, '02-situation');

	/* --- incident queue and one incident --- */
	await page.click('[data-nav=incidents]');
	await page.waitForSelector('[data-testid=incident-table], main p.muted', { timeout: 10000 });
	const rows = await page.$$eval('[data-testid=incident-table] tbody tr', (els) => els.map((e) => e.dataset.tenant));
	check('queue lists only the token\'s tenants', rows.every((t) => scoped.includes('*') || scoped.includes(t)) && rows.length === Math.min(mine.length, 100), rows.length + ' rows, ' + mine.length + ' expected');
	await shot(page, '03-incidents');

	/* Live updates: a change made elsewhere (here: through the API) shows up in the open
	 * queue without reloading or navigating. */
	if (target) {
		/* A marker on window: a reload would wipe it. */
		await page.evaluate(() => {
			window.__ysLiveMarker = true;
		});
		const res = await fetch(BASE + '/api/v1/incidents/' + encodeURIComponent(target.id) + '/assign', {
			method: 'POST',
			headers: { Authorization: 'Bearer ' + ANALYST, 'Content-Type': 'application/json' },
			body: JSON.stringify({ assignee: 'live-check' })
		});
		let seen = false;
		try {
			await page.waitForFunction(
				(id) => {
					const row = document.querySelector(`[data-testid=incident-table] tbody tr[data-id="${id}"]`);
					return row && row.textContent.includes('live-check');
				},
				String(target.id),
				{ timeout: 15000 }
			);
			seen = true;
		} catch {
			seen = false;
		}
		const sameDoc = await page.evaluate(() => window.__ysLiveMarker === true);
		check('queue shows a change made elsewhere within 15 s, without a reload', res.ok && seen && sameDoc, res.status);
	}

	if (target) {
		await page.click(`[data-testid=incident-table] tbody tr[data-id="${target.id}"] td:nth-child(4)`);
		await page.waitForSelector('[data-testid=incident-title]');
		check('incident page opened by clicking its row', page.url().endsWith('#/incidents/' + encodeURIComponent(target.id)), page.url());
		const detail = await apiGet(ANALYST, '/api/v1/incidents/' + encodeURIComponent(target.id));
		const tl = await page.$$eval('[data-testid=timeline] tbody tr[data-event-id]', (els) => els.map((e) => e.dataset.eventId));
		check('timeline shows the incident\'s alerts in order', JSON.stringify(tl) === JSON.stringify(detail.body.alerts.map((a) => a.event_id)), tl.length + ' vs ' + detail.body.alerts.length);
		if (tl.length) {
			await page.click('[data-testid=timeline] [data-testid=raw-toggle] >> nth=0');
			const raw = await page.textContent('[data-testid=raw-eve]');
			let parsed = null;
			try {
				parsed = JSON.parse(raw);
			} catch {
				parsed = null;
			}
			check('raw EVE of the first alert is its JSON', parsed && parsed.event_id === tl[0] && parsed.event_type === 'alert', raw && raw.slice(0, 80));
		}
		await shot(page, '04-incident');

		await page.click('[data-testid=ack]');
		await page.waitForSelector('[data-testid=incident-status][data-status=acknowledged]', { timeout: 10000 });
		check('acknowledge changes the status', true);
		await page.fill('[data-testid=assignee]', 'e2e-analyst');
		await page.click('[data-testid=assign]');
		await page.waitForFunction(() => document.querySelector('[data-field=assignee] .v').textContent === 'e2e-analyst', null, { timeout: 10000 });
		check('assign shows the assignee', true);
		const note = 'checked by e2e <b>not bold</b>';
		await page.fill('[data-testid=comment-text]', note);
		await page.click('[data-testid=comment]');
		await page.waitForSelector('[data-testid=comments] li', { timeout: 10000 });
		check('comment shown as text, never markup', (await page.textContent('[data-testid=comments]')).includes(note) && (await page.$('[data-testid=comments] b:text("not bold")')) === null);
		await page.fill('[data-testid=close-reason]', 'false positive: e2e');
		await page.click('[data-testid=close]');
		await page.waitForSelector('[data-testid=incident-status][data-status=closed]', { timeout: 10000 });
		const after = await apiGet(ANALYST, '/api/v1/incidents/' + encodeURIComponent(target.id));
		check('close is stored (API says closed, assignee kept)', after.body.status === 'closed' && after.body.assignee === 'e2e-analyst', JSON.stringify({ s: after.body.status, a: after.body.assignee }));
		await shot(page, '05-incident-closed');
	}

	/* --- alert search and sensors --- */
	await page.click('[data-nav=alerts]');
	await page.waitForSelector('[data-testid=alert-table], main p.muted', { timeout: 10000 });
	const apiAlerts = await apiGet(ANALYST, '/api/v1/alerts?limit=100');
	const shown = await page.$$eval('[data-testid=alert-table] tbody tr[data-event-id]', (els) => els.length);
	check('alert search shows the first page', shown === apiAlerts.body.alerts.length, shown + ' vs ' + apiAlerts.body.alerts.length);
	await shot(page, '06-alerts');

	/* One alert by its event_id (a link from elsewhere), and another tenant's alert by URL. */
	if (apiAlerts.body.alerts.length) {
		const eid = apiAlerts.body.alerts[0].event_id;
		await page.goto(BASE + '/#/alerts/' + encodeURIComponent(eid));
		await page.waitForSelector('[data-testid=raw-eve], [data-testid=not-found]', { timeout: 10000 });
		let one = null;
		try {
			one = JSON.parse(await page.textContent('[data-testid=raw-eve]'));
		} catch {
			one = null;
		}
		check('#/alerts/<event_id> shows that alert\'s EVE', one && one.event_id === eid);
	}
	const allAlerts = await apiGet(AUDITOR, '/api/v1/alerts?limit=1000');
	const foreignAlert = (allAlerts.body.alerts || []).find((a) => !scoped.includes('*') && !scoped.includes(a.tenant));
	if (foreignAlert) {
		await page.goto(BASE + '/#/alerts/' + encodeURIComponent(foreignAlert.event_id));
		await page.waitForSelector('[data-testid=not-found]', { timeout: 10000 });
		check('another tenant\'s alert by URL is not found', (await page.$('[data-testid=raw-eve]')) === null);
	}
	await page.goto(BASE + '/#/situation');
	await page.waitForSelector('[data-testid=tenant-card]', { timeout: 15000 });
	await page.click('[data-nav=sensors]');
	await page.waitForSelector('[data-testid=sensor-table], main p.muted', { timeout: 10000 });
	await shot(page, '07-sensors');

	/* --- tenant scoping by URL: another tenant's incident is "not found" --- */
	if (foreign) {
		await page.goto(BASE + '/#/incidents/' + encodeURIComponent(foreign.id));
		await page.waitForSelector('[data-testid=not-found]', { timeout: 10000 });
		const leaked = await page.$('[data-testid=incident-title]');
		check('foreign incident by URL shows not-found, nothing of it', leaked === null && !(await page.textContent('main')).includes(foreign.title));
		const direct = await apiGet(ANALYST, '/api/v1/incidents/' + encodeURIComponent(foreign.id));
		check('API answers 404 (not 403) for a foreign incident', direct.status === 404, direct.status);
		const act = await fetch(BASE + '/api/v1/incidents/' + encodeURIComponent(foreign.id) + '/close', {
			method: 'POST',
			headers: { Authorization: 'Bearer ' + ANALYST, 'Content-Type': 'application/json' },
			body: '{"reason":"x"}'
		});
		check('closing a foreign incident is refused with 404', act.status === 404, act.status);
		await shot(page, '08-foreign-incident');
	} else {
		check('a foreign incident exists to test scoping (analyst token must not cover every tenant)', false);
	}

	/* --- the analyst role has no audit log or report: hidden, and the route refuses --- */
	if (who.body.role === 'analyst') {
		check('analyst sees no audit or report navigation', (await page.$('[data-nav=audit]')) === null && (await page.$('[data-nav=report]')) === null);
		await page.goto(BASE + '/#/audit');
		await page.waitForSelector('main[data-page=situation]', { timeout: 10000 });
		check('analyst sent from #/audit to the situation', (await page.$('[data-testid=audit-table]')) === null);
		const audit = await apiGet(ANALYST, '/api/v1/audit');
		check('API refuses the audit log to an analyst with 403', audit.status === 403, audit.status);
	}

	/* --- language switch --- */
	const before = await page.textContent('[data-nav=situation]');
	await page.click('header [data-testid=lang]');
	await page.waitForFunction((b) => document.querySelector('[data-nav=situation]').textContent !== b, before);
	const afterLang = await page.textContent('[data-nav=situation]');
	check('language switch changes the navigation', new Set([before, afterLang]).size === 2 && [before, afterLang].includes('态势总览') && [before, afterLang].includes('Situation'), before + ' / ' + afterLang);
	await shot(page, '09-language');
	await page.click('[data-testid=signout]');
	await page.waitForSelector('[data-testid=token]');
	check('sign-out forgets the token', await page.evaluate(() => sessionStorage.getItem('yunshao.token') === null));

	/* --- the auditor: audit trail of the actions above, no action buttons --- */
	await signIn(page, AUDITOR);
	const aw = await apiGet(AUDITOR, '/api/v1/whoami');
	if (target && aw.body.role === 'auditor') {
		await page.goto(BASE + '/#/incidents/' + encodeURIComponent(target.id));
		await page.waitForSelector('[data-testid=incident-title]');
		check('auditor sees no action buttons', (await page.$('[data-testid=ack]')) === null && (await page.$('[data-testid=readonly]')) !== null);
		const forbidden = await fetch(BASE + '/api/v1/incidents/' + encodeURIComponent(target.id) + '/comment', {
			method: 'POST',
			headers: { Authorization: 'Bearer ' + AUDITOR, 'Content-Type': 'application/json' },
			body: '{"text":"x"}'
		});
		check('the API refuses an auditor\'s comment with 403', forbidden.status === 403, forbidden.status);
	}
	/* The all-tenant view: every tenant's card, the whole rack map. */
	await page.click('[data-nav=situation]');
	await page.waitForSelector('[data-testid=tenant-card]', { timeout: 15000 });
	const allSit = await apiGet(AUDITOR, '/api/v1/situation');
	check('all-tenant token sees every tenant\'s card', (await page.$$('[data-testid=tenant-card]')).length === allSit.body.tenants.length);
	await shot(page, '12-situation-all-tenants');
	await page.click('[data-nav=audit]');
	await page.waitForSelector('[data-testid=audit-verify][data-ok]', { timeout: 10000 });
	check('audit chain verified in the console', (await page.getAttribute('[data-testid=audit-verify]', 'data-ok')) === 'true');
	if (target) {
		const actions = await page.$$eval('[data-testid=audit-table] tbody tr', (els) => els.map((e) => ({ action: e.dataset.action, target: e.dataset.target })));
		/* The target names the incident ("incident/<id>"): match its id exactly. */
		const mentions = actions.filter((a) => String(a.target).split('/').pop() === String(target.id)).map((a) => a.action);
		check('audit entries for acknowledge, assign, comment and close of the incident', ['ack', 'assign', 'comment', 'close'].every((w) => mentions.some((a) => a.toLowerCase().includes(w))), JSON.stringify(mentions));
	}
	await shot(page, '10-audit');
	await page.click('[data-nav=report]');
	await page.click('[data-testid=report-html]');
	await page.waitForSelector('[data-testid=report-frame]', { timeout: 60000 });
	await page.waitForTimeout(800);
	check('report shown in the console', true);
	await shot(page, '11-report');

	check('no script errors in the page', consoleErrors.length === 0, consoleErrors.join(' | '));
} catch (e) {
	check('e2e run completed', false, e.stack || String(e));
} finally {
	await ctx.close();
	rmSync(profile, { recursive: true, force: true });
}
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
