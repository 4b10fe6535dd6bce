#!/usr/bin/env node
// The native CLI's `run`, `eval`, `tokenize` and `bench` contract on the WebAssembly build,
// so that golden tests can run on both (see README.md "Usage" for the options):
//   tinylm-wasm run -m MODEL.slm [-p PROMPT | --ids 1,2,3] [-n N] [--temp T] [--top-k K]
//                   [--top-p P] [--seed S] [--print-ids] [--ctx N] [--ignore-eos] [--no-verify]
//                   [--min-p P] [--typical-p P] [--repeat-penalty X] [--repeat-last-n N]
//                   [--presence-penalty X] [--frequency-penalty X] [--logit-bias ID=VALUE]...
//                   [--stop STRING]... [--context-shift [--keep N]]
//   tinylm-wasm eval -m MODEL.slm --ids 1,2,3 -o LOGITS.bin
//   tinylm-wasm tokenize -m MODEL.slm [--no-bos] < text      (JSON array of ids)
//   tinylm-wasm bench -m MODEL.slm [-p 64] [-n 128] [--reps 3] [--json] [--browser]
//                     (`tinylm bench`'s measurement and JSON; see bench.mjs)
// --wasm PATH picks the module (default: tinylm.wasm beside this package).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../src/core.js';
import { bench } from './bench.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const FLAGS = new Set(['--print-ids', '--ignore-eos', '--no-verify', '--no-bos', '--json', '--browser', '--context-shift']);
const REPEATED = new Set(['--logit-bias', '--stop']);

function parse(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (FLAGS.has(a)) opts[a] = true;
    else if (REPEATED.has(a) && i + 1 < argv.length) (opts[a] ??= []).push(argv[++i]);
    else if (a.startsWith('-') && i + 1 < argv.length) opts[a] = argv[++i];
    else throw new Error(`unexpected argument '${a}'`);
  }
  return opts;
}
function num(opts, key, fallback) {
  if (opts[key] === undefined) return fallback;
  const v = Number(opts[key]);
  if (!Number.isFinite(v)) throw new Error(`${key}: not a number: '${opts[key]}'`);
  return v;
}
function parseIds(s) {
  return s.split(',').filter((x) => x.trim() !== '').map((x) => {
    const v = Number(x);
    if (!Number.isInteger(v)) throw new Error(`--ids: not an integer: '${x}'`);
    return v;
  });
}

async function load(opts) {
  const wasm = opts['--wasm'] || path.join(here, '..', 'tinylm.wasm');
  const engine = await Engine.create(fs.readFileSync(wasm));
  const file = opts['-m'];
  if (!file) throw new Error('give the model with -m MODEL.slm');
  // Read the file straight into the module's memory: one copy of the weights.
  const size = fs.statSync(file).size;
  const ptr = engine.alloc(size);
  const fd = fs.openSync(file, 'r');
  try {
    for (let off = 0; off < size;) {
      const n = fs.readSync(fd, engine.bytes(ptr + off, Math.min(size - off, 1 << 24)), 0, Math.min(size - off, 1 << 24), off);
      if (n <= 0) throw new Error(`short read from '${file}'`);
      off += n;
    }
  } finally { fs.closeSync(fd); }
  engine.loadModel(ptr, size, { verify: !opts['--no-verify'] });
  return engine;
}

async function run(opts) {
  const engine = await load(opts);
  const session = engine.createSession(num(opts, '--ctx', 0));
  const printIds = !!opts['--print-ids'];
  let prompt;
  if (opts['--ids']) prompt = parseIds(opts['--ids']);
  else {
    // As the native run: BOS as the tokenizer says; an empty prompt is BOS alone.
    prompt = engine.tokenize(opts['-p'] ?? '');
    if (!prompt.length && engine.bosId() >= 0) prompt = [engine.bosId()];
  }
  const write = (s) => { if (!printIds && s) process.stdout.write(s); };
  if (!printIds && opts['-p'] !== undefined) write(opts['-p']);
  const seed = opts['--seed'] !== undefined ? BigInt(opts['--seed']) : BigInt(Date.now());
  const temperature = num(opts, '--temp', 0.8);
  if (opts['--seed'] === undefined && temperature !== 0) console.error(`tinylm: seed ${seed}`);
  const logitBias = (opts['--logit-bias'] || []).map((b) => {
    const [id, value] = b.split('=');
    return [Number(id), value === '-inf' ? -Infinity : Number(value)];
  });
  session.begin(prompt, { temperature, topK: num(opts, '--top-k', 0), topP: num(opts, '--top-p', 0.9),
    minP: num(opts, '--min-p', 0), typicalP: num(opts, '--typical-p', 1),
    repeatPenalty: num(opts, '--repeat-penalty', 1), repeatLastN: num(opts, '--repeat-last-n', 64),
    presencePenalty: num(opts, '--presence-penalty', 0), frequencyPenalty: num(opts, '--frequency-penalty', 0),
    logitBias, stop: opts['--stop'] || [], contextShift: !!opts['--context-shift'], keep: num(opts, '--keep', 0),
    seed, ignoreEos: !!opts['--ignore-eos'] });
  const maxTokens = num(opts, '-n', 256);
  const ids = [];
  let reason = 'max_tokens';
  const t0 = performance.now();
  for (let i = 0; i < maxTokens; i++) {
    const t = session.next();
    if (t.id < 0) { write(t.text); reason = t.reason; break; }
    ids.push(t.id);
    write(t.text);
  }
  if (reason === 'max_tokens') write(session.end());
  if (!printIds) write('\n');
  else process.stdout.write(`[${ids.join(', ')}]\n`);
  const s = (performance.now() - t0) / 1000;
  console.error(`tinylm: ${ids.length} tokens, ${(ids.length / s).toFixed(1)} tokens/s (${reason})`);
}

async function evalCommand(opts) {
  const engine = await load(opts);
  if (!opts['--ids'] || !opts['-o']) throw new Error('usage: tinylm-wasm eval -m MODEL.slm --ids 1,2,3 -o LOGITS.bin');
  const ids = parseIds(opts['--ids']);
  const session = engine.createSession(num(opts, '--ctx', 0));
  const logits = session.eval(ids, true);
  fs.writeFileSync(opts['-o'], new Uint8Array(logits.buffer, logits.byteOffset, logits.byteLength));
  console.error(`tinylm: wrote ${ids.length} x ${session.vocab} float32 logits to ${opts['-o']}`);
}

async function tokenize(opts) {
  const engine = await load(opts);
  const text = fs.readFileSync(0, 'utf8');
  const ids = engine.tokenize(text, { addBos: !opts['--no-bos'] });
  process.stdout.write(`[${ids.join(', ')}]\n`);
}

const commands = { run, eval: evalCommand, tokenize, bench: (opts) => bench(opts, num) };
const [cmd, ...rest] = process.argv.slice(2);
try {
  if (!commands[cmd]) throw new Error('usage: tinylm-wasm run|eval|tokenize|bench -m MODEL.slm ...');
  await commands[cmd](parse(rest));
} catch (e) {
  console.error(`tinylm: error: ${e.message}`);
  process.exitCode = 1;
}
