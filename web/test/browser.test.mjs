// The demo page in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core;
// never a downloaded browser): loads stories260K.slm through the page, generates greedily,
// checks ids and text equal the native run, saves a screenshot, and stops a long
// generation mid-stream with the Stop button.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const web = path.join(root, 'web');
const model = path.join(root, 'build', 'release', 'stories260K.slm');
const native = path.join(root, 'build', 'release', 'tinylm');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css',
  '.wasm': 'application/wasm', '.slm': 'application/octet-stream' };

function serve() {
  const server = http.createServer((req, res) => {
    const p = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let file = p === '/demo/stories260K.slm' ? model : path.resolve(web, '.' + (p.endsWith('/') ? p + 'index.html' : p));
    if (file !== model && !file.startsWith(web + path.sep)) file = null;
    if (!file || !fs.existsSync(file) || fs.statSync(file).isDirectory()) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream',
      'content-length': fs.statSync(file).size });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

const skip = !fs.existsSync(chromiumPath) ? `no Chromium at ${chromiumPath}` : null;

test('demo page: greedy story equals the native run; Stop stops', { ...(skip ? { skip } : {}), timeout: 60000 }, async () => {
  const { chromium } = await import('playwright-core');
  const server = await serve();
  const udd = fs.mkdtempSync(path.join(os.tmpdir(), 'tinylm-browser-'));
  const context = await chromium.launchPersistentContext(udd, {
    executablePath: chromiumPath, headless: true, timeout: 30000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const errors = [];
  try {
    const page = context.pages()[0] || await context.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${server.address().port}/demo/?autoload`);
    await page.waitForSelector('#generate:not([disabled])', { timeout: 20000 });
    assert.match(await page.textContent('#info'), /llama.*fits the 33\.50 MB budget/s);

    const prompt = 'Once upon a time';
    await page.fill('#prompt', prompt);
    await page.fill('#temperature', '0');
    await page.fill('#max-tokens', '60');
    await page.click('#generate');
    await page.waitForFunction(() => !['running', 'idle'].includes(document.querySelector('#output').dataset.state));
    const ids = await page.getAttribute('#output', 'data-ids');
    const text = await page.textContent('#output');
    const run = (extra) => execFileSync(native, ['run', '-m', model, '-p', prompt, '-n', '60', '--temp', '0', ...extra],
      { stdio: ['pipe', 'pipe', 'pipe'] }).toString();
    assert.equal(JSON.parse(ids).join(', '), run(['--print-ids']).trim().slice(1, -1));
    assert.equal(text + '\n', run([]));
    fs.mkdirSync(path.join(root, 'build', 'wasm'), { recursive: true });
    await page.screenshot({ path: path.join(root, 'build', 'wasm', 'demo.png'), fullPage: true });

    // A long sampled generation, stopped after a few tokens: the page stays responsive.
    await page.fill('#temperature', '1');
    await page.fill('#seed', '1');
    await page.fill('#max-tokens', '4096');
    // The Stop click happens inside the page as soon as the third token shows (a tiny model
    // can finish a whole story before a round trip from here would land).
    const stopped = page.evaluate(() => new Promise((resolve) => {
      const out = document.querySelector('#output');
      const o = new MutationObserver(() => {
        if (out.dataset.state === 'running' && JSON.parse(out.dataset.ids).length >= 3) {
          o.disconnect();
          document.querySelector('#stop').click();
          resolve(JSON.parse(out.dataset.ids).length);
        }
      });
      o.observe(out, { attributes: true });
    }));
    await page.click('#generate');
    assert.ok((await stopped) < 4096);
    await page.waitForFunction(() => document.querySelector('#output').dataset.state !== 'running');
    assert.equal(await page.getAttribute('#output', 'data-state'), 'aborted');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    server.close();
    fs.rmSync(udd, { recursive: true, force: true });
  }
});
