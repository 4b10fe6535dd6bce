// `tinylm-wasm bench --json` (web/bin/bench.mjs) on the built-in stories260K: one JSON line
// per repetition with the fields of the native `tinylm bench --json` (tools/cli/cmd_bench.cpp),
// in Node and, when Chromium is installed, through the package worker in headless Chromium.
// The speeds are not checked (CI machines vary); the decode traffic must equal the native
// figure when the native build has the bench command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const model = path.join(root, 'build', 'release', 'stories260K.slm');
const native = process.env.TINYLM_NATIVE || path.join(root, 'build', 'release', 'tinylm');
const cli = path.join(root, 'web', 'bin', 'tinylm-wasm.mjs');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const wasm = process.env.TINYLM_WASM ? ['--wasm', process.env.TINYLM_WASM] : [];  // default web/tinylm.wasm
const NATIVE_FIELDS = ['rep', 'model', 'kernels', 'threads', 'prompt_tokens', 'decode_tokens', 'load_ms',
  'prompt_tokens_per_s', 'decode_tokens_per_s', 'peak_memory_bytes', 'kv_cache_bytes',
  'weight_bytes_per_token', 'decode_gb_per_s'];

function benchLines(extra) {
  const out = execFileSync('node', [cli, 'bench', '-m', model, '-p', '8', '-n', '8', '--reps', '2', '--json', ...wasm, ...extra],
    { stdio: ['pipe', 'pipe', 'pipe'], timeout: 120000 }).toString();
  return out.trim().split('\n').map((l) => JSON.parse(l));
}

// The native weight_bytes_per_token, or null when this build has no bench command yet.
function nativeWeightBytes() {
  try {
    const out = execFileSync(native, ['bench', '-m', model, '-p', '8', '-n', '8', '--reps', '1', '--json'],
      { stdio: ['pipe', 'pipe', 'pipe'] }).toString();
    return JSON.parse(out.trim().split('\n')[0]).weight_bytes_per_token;
  } catch { return null; }
}

function checkLines(lines, engine, timing) {
  assert.deepEqual(lines.map((l) => l.rep), [0, 1]);
  for (const l of lines) {
    for (const f of NATIVE_FIELDS) assert.ok(f in l, `field ${f} missing`);
    assert.equal(l.engine, engine);
    assert.equal(l.timing, timing);
    assert.equal(l.threads, 1);
    assert.equal(l.prompt_tokens, 8);
    assert.equal(l.decode_tokens, 8);
    for (const f of ['load_ms', 'prompt_tokens_per_s', 'decode_tokens_per_s', 'decode_gb_per_s']) {
      assert.ok(Number.isFinite(l[f]) && l[f] > 0, `${f} = ${l[f]}`);
    }
    assert.ok(l.peak_memory_bytes >= fs.statSync(model).size + l.kv_cache_bytes);
    assert.ok(l.kv_cache_bytes > 0);
    assert.ok(l.weight_bytes_per_token > 0 && l.weight_bytes_per_token <= fs.statSync(model).size);
  }
  const expected = nativeWeightBytes();
  if (expected !== null) assert.equal(lines[0].weight_bytes_per_token, expected);
}

test('bench --json in Node: one line per repetition with the native fields', () => {
  const lines = benchLines([]);
  checkLines(lines, 'wasm-node', 'direct');
  assert.ok(lines.every((l) => l.instantiate_ms >= 0 && l.compile_ms >= 0));
});

test('bench --pp/--tg stay aliases of -p/-n', () => {
  const out = execFileSync('node', [cli, 'bench', '-m', model, '--pp', '4', '--tg', '2', '--reps', '1', '--json', ...wasm],
    { stdio: ['pipe', 'pipe', 'pipe'] }).toString();
  const l = JSON.parse(out);
  assert.equal(l.prompt_tokens, 4);
  assert.equal(l.decode_tokens, 2);
});

const skip = !fs.existsSync(chromiumPath) ? `no Chromium at ${chromiumPath}` : null;
test('bench --json --browser: the package worker in headless Chromium', { ...(skip ? { skip } : {}), timeout: 120000 }, () => {
  const lines = benchLines(['--browser', '--chromium', chromiumPath]);
  checkLines(lines, 'wasm-chromium', 'worker');
  assert.ok(lines.every((l) => l.page_memory_bytes > l.peak_memory_bytes && l.startup_ms > 0));
  // The timing page holds the fetched file and copies of it besides the module's memory.
  assert.ok(lines.every((l) => l.timing_page_memory_bytes > l.peak_memory_bytes));
});
