// The JS API in Node (worker_threads): loading from a path and bytes, streaming, stop
// sequences, and bad input rejected with a clear message while the worker stays usable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TinyLM } from '../index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const model = path.join(root, 'build', 'release', 'stories260K.slm');
const native = path.join(root, 'build', 'release', 'tinylm');

async function collect(it) { let s = ''; for await (const p of it) s += p; return s; }

test('greedy text and ids through the worker equal the native run', async () => {
  const lm = await TinyLM.load(model);
  try {
    const ids = [];
    const text = await collect(lm.generate('Once upon a time', { temperature: 0, maxTokens: 40, onToken: (t) => ids.push(t.id) }));
    const expectedIds = execFileSync(native, ['run', '-m', model, '-p', 'Once upon a time', '-n', '40', '--temp', '0', '--print-ids'], { stdio: ['pipe', 'pipe', 'pipe'] }).toString().trim();
    assert.equal(JSON.stringify(ids).replaceAll(',', ', '), expectedIds);
    const expectedText = execFileSync(native, ['run', '-m', model, '-p', 'Once upon a time', '-n', '40', '--temp', '0'], { stdio: ['pipe', 'pipe', 'pipe'] }).toString();
    assert.equal('Once upon a time' + text + '\n', expectedText);
    assert.equal(await lm.detokenize(await lm.tokenize('Once upon a time')), 'Once upon a time');
    const info = await lm.info();
    assert.equal(info.architecture, 'llama');
    assert.equal(info.license, 'MIT');
    assert.equal(info.fits_budget, true);
  } finally { await lm.dispose(); }
});

test('a stop sequence ends generation before it', async () => {
  const lm = await TinyLM.load(fs.readFileSync(model));
  try {
    const text = await collect(lm.generate('Once upon a time', { temperature: 0, maxTokens: 60, stop: ['Lily'] }));
    assert.equal(text, ', there was a little girl named ');
    assert.equal(lm.lastStats.reason, 'stop_sequence');
  } finally { await lm.dispose(); }
});

test('an AbortSignal stops generation between tokens', async () => {
  const lm = await TinyLM.load(model);
  try {
    const ac = new AbortController();
    let n = 0;
    for await (const _ of lm.generate('Once', { temperature: 1, seed: 3, maxTokens: 100000, ignoreEos: true, signal: ac.signal })) {
      if (++n === 3) ac.abort();
    }
    assert.equal(lm.lastStats.reason, 'aborted');
    assert.ok(lm.lastStats.generatedTokens < 500);
  } finally { await lm.dispose(); }
});

test('bad input is a rejected promise with a clear message; the worker stays usable', async () => {
  await assert.rejects(TinyLM.load(new Uint8Array(1000).buffer), /not a usable \.slm model: .*magic/);
  const bytes = fs.readFileSync(model);
  const lm = await TinyLM.load(model);
  try {
    await assert.rejects(lm.loadModel(bytes.subarray(0, bytes.length >> 1).slice()), /not a usable \.slm model/);
    await assert.rejects(collect(lm.generate('x '.repeat(2000), { temperature: 0 })), /does not fit the context/);
    await assert.rejects(lm.detokenize([100000]), /detokenize/);
    // Still usable: reload and generate.
    await lm.loadModel(model);
    const text = await collect(lm.generate('Once upon a time', { temperature: 0, maxTokens: 5 }));
    assert.equal(text, ', there was a little');
  } finally { await lm.dispose(); }
});

test('out of memory in the module is an Error, not an abort', async () => {
  const { Engine } = await import('../src/core.js');
  const wasm = fs.readFileSync(path.join(root, 'web', 'tinylm.wasm'));
  const engine = await Engine.create(wasm);
  assert.throws(() => engine.alloc(3_900_000_000), /out of memory allocating 3900000000 bytes/);
  // The module still works afterwards.
  assert.equal(engine.loadModelBytes(fs.readFileSync(model)).architecture, 'llama');
});
