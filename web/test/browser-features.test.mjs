// The package's features in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core; never a downloaded browser), through the Web Worker: sampling controls
// and stop strings against the native run, renderChat and a chat turn against render-chat
// and tinylm chat, a session saved and restored, and a LoRA adapter loaded from bytes and
// attached, detached and swapped against the native `tinylm eval --lora` logits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const web = path.join(root, 'web');
const model = path.join(root, 'build', 'release', 'stories260K.slm');
const native = path.join(root, 'build', 'release', 'tinylm');
const shared = path.join(root, '..', 'shared', 'fixtures', 'models');
const tmp = path.join(root, 'build', 'wasm', 'test-tmp');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm' };

const run = (args, input) => execFileSync(native, args, { input, stdio: ['pipe', 'pipe', 'pipe'] }).toString();

// web/ at /, and the files of `extra` at /files/<name>.
function serve(extra) {
  const server = http.createServer((req, res) => {
    const p = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let file = p.startsWith('/files/') ? extra[p.slice(7)] : path.resolve(web, '.' + p);
    if (p === '/') {
      res.writeHead(200, { 'content-type': TYPES['.html'] });
      res.end('<!doctype html><title>tinylm</title>');
      return;
    }
    if (file && !p.startsWith('/files/') && !file.startsWith(web + path.sep)) file = null;
    if (!file || !fs.existsSync(file)) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream',
      'content-length': fs.statSync(file).size });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

const skip = !fs.existsSync(chromiumPath) ? `no Chromium at ${chromiumPath}`
  : !fs.existsSync(path.join(shared, 'llama-lora')) ? `no fixtures at ${shared}` : null;

test('in Chromium: sampling, stop strings, chat, sessions and LoRA through the worker', { ...(skip ? { skip } : {}), timeout: 90000 }, async () => {
  fs.mkdirSync(tmp, { recursive: true });
  const slm = path.join(tmp, 'browser-mha.slm');
  const slma = path.join(tmp, 'browser-lora.slma');
  run(['convert', path.join(shared, 'llama-mha'), '--quiet', '-o', slm]);
  run(['convert', path.join(shared, 'llama-lora', 'adapter'), '--base', slm, '-o', slma]);
  const logitsOf = (extra) => {
    const out = path.join(tmp, `browser-native-${extra.length}.bin`);
    run(['eval', '-m', slm, '--ids', '1,2,3,4,5', '-o', out, ...extra]);
    return crypto.createHash('sha256').update(fs.readFileSync(out)).digest('hex');
  };
  const flags = ['--temp', '0.9', '--top-k', '30', '--min-p', '0.02', '--typical-p', '0.95',
    '--repeat-penalty', '1.2', '--presence-penalty', '0.2', '--logit-bias', '13=-inf', '--seed', '5'];
  const expected = {
    ids: run(['run', '-m', model, '--ids', '1,403', '-n', '40', '--ignore-eos', '--print-ids', ...flags]).trim(),
    stopped: run(['run', '-m', model, '-p', 'Once upon a time', '-n', '60', '--temp', '0', '--stop', 'girl named']),
    prompt: run(['render-chat', '--template', 'chatml'], JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }], add_generation_prompt: true })),
    reply: run(['chat', '-m', model, '--template', 'chatml', '--temp', '0', '-n', '10'], 'Hi\n'),
    base: logitsOf([]),
    adapted: logitsOf(['--lora', slma]),
    half: logitsOf(['--lora', `${slma}:0.5`]),
  };

  const { chromium } = await import('playwright-core');
  const server = await serve({ 'stories260K.slm': model, 'mha.slm': slm, 'lora.slma': slma });
  const udd = fs.mkdtempSync(path.join(os.tmpdir(), 'tinylm-browser-'));
  const context = await chromium.launchPersistentContext(udd, {
    executablePath: chromiumPath, headless: true, timeout: 30000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = context.pages()[0] || await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    const got = await page.evaluate(async () => {
      const { TinyLM } = await import('/index.js');
      const collect = async (it) => { let s = ''; for await (const p of it) s += p; return s; };
      const sha = async (f32) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', f32)))
        .map((b) => b.toString(16).padStart(2, '0')).join('');
      const out = {};
      const lm = await TinyLM.load('/files/stories260K.slm');
      const ids = [];
      await collect(lm.generate([1, 403], { temperature: 0.9, topK: 30, minP: 0.02, typicalP: 0.95,
        repeatPenalty: 1.2, presencePenalty: 0.2, logitBias: { 13: -Infinity }, seed: 5,
        maxTokens: 40, ignoreEos: true, onToken: (t) => ids.push(t.id) }));
      out.ids = `[${ids.join(', ')}]`;
      out.stopped = 'Once upon a time' + await collect(lm.generate('Once upon a time', { temperature: 0, maxTokens: 60, stop: ['girl named'] })) + '\n';
      out.prompt = await lm.renderChat([{ role: 'user', content: 'Hi' }], { template: 'chatml', addGenerationPrompt: true });
      out.reply = await collect(lm.chat([{ role: 'user', content: 'Hi' }], { template: 'chatml', temperature: 0, maxTokens: 10 })) + '\n';
      const s = await lm.createSession();
      await collect(s.generate('Once upon a time', { temperature: 0, maxTokens: 5 }));
      const saved = await s.save();
      const a = await collect(s.generate([13], { temperature: 0, maxTokens: 8 }));
      await s.restore(saved);
      out.restored = a === await collect(s.generate([13], { temperature: 0, maxTokens: 8 }));
      await lm.dispose();

      const base = await TinyLM.load('/files/mha.slm');
      const adapter = await base.loadAdapter('/files/lora.slma');
      const session = await base.createSession();
      const evalAll = async () => { await session.reset(); return sha(await session.eval([1, 2, 3, 4, 5], { allLogits: true })); };
      out.base = await evalAll();
      await session.attachAdapter(adapter, 1);
      out.adapted = await evalAll();
      await session.attachAdapter(adapter, 0.5);
      out.half = await evalAll();
      await session.detachAdapter(adapter);
      out.detached = await evalAll();
      await adapter.dispose();
      await base.dispose();
      return out;
    });
    assert.equal(got.ids, expected.ids);
    assert.equal(got.stopped, expected.stopped);
    assert.equal(got.prompt, expected.prompt);
    assert.equal(got.reply, expected.reply);
    assert.equal(got.restored, true);
    assert.equal(got.base, expected.base);
    assert.equal(got.adapted, expected.adapted);
    assert.equal(got.half, expected.half);
    assert.equal(got.detached, expected.base);
    assert.notEqual(expected.adapted, expected.base);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    server.close();
    fs.rmSync(udd, { recursive: true, force: true });
  }
});
