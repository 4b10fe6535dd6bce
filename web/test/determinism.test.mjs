// The WebAssembly build (web/tinylm.wasm under Node, through web/bin/tinylm-wasm.mjs) gives
// bit-identical logits and identical greedy and seeded ids (also with every sampling
// control) to the native build (build/release/tinylm), for every model fixture in
// ../shared/fixtures/models (converted with the native `tinylm convert`) and the built-in
// stories260K.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const native = path.join(root, 'build', 'release', 'tinylm');
const cli = path.join(root, 'web', 'bin', 'tinylm-wasm.mjs');
const fixtures = path.join(root, '..', 'shared', 'fixtures', 'models');
const out = path.join(root, 'build', 'wasm', 'test-tmp');
fs.mkdirSync(out, { recursive: true });

const sha = (f) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
const runNative = (args) => execFileSync(native, args, { stdio: ['pipe', 'pipe', 'pipe'] }).toString();
const runWasm = (args) => execFileSync(process.execPath, [cli, ...args], { stdio: ['pipe', 'pipe', 'pipe'] }).toString();

function vocabSize(model) {
  const m = runNative(['info', model, '--no-verify']).match(/vocab (\d+)/);
  return Number(m[1]);
}

function checkModel(model) {
  const vocab = vocabSize(model);
  const ids = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89].map((x) => x % vocab).join(',');
  const a = path.join(out, path.basename(model) + '.native.bin');
  const b = path.join(out, path.basename(model) + '.wasm.bin');
  runNative(['eval', '-m', model, '--ids', ids, '-o', a]);
  runWasm(['eval', '-m', model, '--ids', ids, '-o', b]);
  assert.equal(fs.statSync(b).size, fs.statSync(a).size);
  assert.equal(sha(b), sha(a), `logits of ${model} differ between native and wasm`);
  const everyControl = ['--temp', '0.9', '--top-k', '20', '--min-p', '0.02', '--typical-p', '0.95',
    '--repeat-penalty', '1.2', '--presence-penalty', '0.2', '--frequency-penalty', '0.1',
    '--logit-bias', '5=-inf', '--seed', '9'];
  for (const flags of [['--temp', '0'], ['--temp', '1', '--top-p', '0.9', '--seed', '7'], everyControl]) {
    const args = ['run', '-m', model, '--ids', ids, '-n', '24', '--print-ids', '--ignore-eos', ...flags];
    assert.equal(runWasm(args), runNative(args), `ids of ${model} differ (${flags.join(' ')})`);
  }
}

test('stories260K: wasm logits and ids equal native', () => {
  checkModel(path.join(root, 'build', 'release', 'stories260K.slm'));
});

const dirs = fs.existsSync(fixtures)
  ? fs.readdirSync(fixtures).filter((d) => fs.statSync(path.join(fixtures, d)).isDirectory()) : [];
if (!dirs.length) test('model fixtures', (t) => t.skip(`no fixtures at ${fixtures}`));
for (const d of dirs) {
  test(`fixture ${d}: wasm logits and ids equal native`, (t) => {
    const slm = path.join(out, `${d}.slm`);
    try {
      runNative(['convert', path.join(fixtures, d), '-o', slm, '--quiet']);
    } catch (e) {
      t.skip(`not convertible to a model: ${String(e.stderr).trim()}`);
      return;
    }
    checkModel(slm);
  });
}
for (const type of ['q8_0', 'q4_0', 'f16']) {
  test(`stories260K ${type}: wasm logits and ids equal native`, () => {
    const slm = path.join(out, `stories260K-${type}.slm`);
    runNative(['convert', path.join(root, 'models', 'stories260K.bin'), '--tokenizer',
      path.join(root, 'models', 'tok512.bin'), '--type', type, '--quiet', '-o', slm]);
    checkModel(slm);
  });
}
