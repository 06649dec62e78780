/*
 * Sign-in: the user pastes a bearer token; the console checks it with
 * /api/v1/whoami before keeping it in sessionStorage.
 */
import { api, setToken, ApiError } from '../api.js';
import { h } from '../dom.js';
import { t, setLang, getLang } from '../i18n.js';

export function mount(root, ctx) {
	const input = h('input', {
		type: 'password',
		id: 'token',
		name: 'token',
		autocomplete: 'off',
		'data-testid': 'token',
		required: true
	});
	const err = h('p', { class: 'error', 'data-testid': 'login-error', role: 'alert' });
	const form = h(
		'form',
		{
			class: 'login-card',
			onsubmit: async (ev) => {
				ev.preventDefault();
				err.textContent = '';
				const tok = input.value.trim();
				if (!tok) return;
				try {
					const who = await api.whoami(tok);
					setToken(tok);
					ctx.onSignedIn(who);
				} catch (e) {
					if (e instanceof ApiError && e.status === 401) err.textContent = t('login.bad');
					else if (e instanceof ApiError && e.status === 0) err.textContent = t('err.network');
					else err.textContent = e.message;
				}
			}
		},
		h('div', { class: 'login-brand' }, h('span', { class: 'brand-mark big' }, '哨'), h('h1', null, t('app.title'))),
		h('label', { for: 'token' }, t('login.token')),
		input,
		h('button', { type: 'submit', class: 'primary', 'data-testid': 'signin' }, t('login.submit')),
		err,
		h('p', { class: 'hint' }, t('login.hint')),
		h(
			'button',
			{
				type: 'button',
				class: 'link',
				'data-testid': 'lang',
				onclick: () => {
					const next = getLang() === 'zh' ? 'en' : 'zh';
					setLang(next);
					localStorage.setItem('yunshao.lang', next);
					document.title = t('app.title');
					root.replaceChildren();
					mount(root, ctx);
				}
			},
			t('lang.switch')
		)
	);
	root.appendChild(h('div', { class: 'login-wrap' }, form));
	input.focus();
	return {};
}
