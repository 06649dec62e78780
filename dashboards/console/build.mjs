/*
 * Build the console into dist/ with esbuild: one bundled, minified ES module
 * (assets/app.js), one stylesheet (assets/app.css) and index.html. The output
 * is committed so `make demo` needs no npm; `node build.mjs --check` builds
 * into a temporary folder and fails when the committed dist/ differs, which
 * the e2e suite runs so a source change without a rebuild cannot land.
 */
import * as esbuild from 'esbuild';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, copyFileSync, statSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const check = process.argv.includes('--check');

async function build(out) {
	rmSync(out, { recursive: true, force: true });
	mkdirSync(join(out, 'assets'), { recursive: true });
	await esbuild.build({
		entryPoints: { app: join(here, 'src/main.js') },
		outdir: join(out, 'assets'),
		bundle: true,
		format: 'esm',
		minify: true,
		sourcemap: false,
		target: ['chrome110', 'firefox115', 'safari16'],
		legalComments: 'eof',
		logLevel: 'warning'
	});
	copyFileSync(join(here, 'src/index.html'), join(out, 'index.html'));
}

function files(dir) {
	const out = [];
	for (const name of readdirSync(dir)) {
		const p = join(dir, name);
		if (statSync(p).isDirectory()) out.push(...files(p));
		else out.push(p);
	}
	return out.sort();
}

if (check) {
	const tmp = mkdtempSync(join(tmpdir(), 'yunshao-console-'));
	try {
		await build(tmp);
		const want = files(tmp).map((p) => relative(tmp, p));
		const have = files(join(here, 'dist')).map((p) => relative(join(here, 'dist'), p));
		const diff = [];
		if (want.join('\n') !== have.join('\n')) diff.push('file list: built [' + want + '] committed [' + have + ']');
		for (const f of want) {
			if (!have.includes(f)) continue;
			if (!readFileSync(join(tmp, f)).equals(readFileSync(join(here, 'dist', f)))) diff.push(f);
		}
		if (diff.length) {
			console.error('dist/ is stale, run `npm run build` in dashboards/console: ' + diff.join(', '));
			process.exit(1);
		}
		console.log('dist/ matches a fresh build (' + want.length + ' files)');
	} finally {
		rmSync(tmp, { recursive: true, force: true });
	}
} else {
	await build(join(here, 'dist'));
	console.log('built ' + relative(process.cwd(), join(here, 'dist')) || '.');
}
