// `tinylm-wasm bench`: the native `tinylm bench` contract (tools/cli/cmd_bench.cpp) on the
// WebAssembly module, in Node or, with --browser, in headless Chromium through the package's
// Web Worker, as a page uses it.
//
//   tinylm-wasm bench -m MODEL.slm [-p 64] [-n 128] [-t 1] [--reps 3] [--warmup 0] [--json]
//                     [--no-verify] [--browser [--chromium /usr/bin/chromium]] [--wasm PATH]
//
// After a first load, each repetition frees the model, loads it again into the module's memory
// and creates a session with context -p + -n (load_ms), evaluates the prompt -- BOS, then ids
// (1 + i * 7919) % vocab -- (prompt_tokens_per_s), then decodes -n tokens one forward step
// each, greedy, end-of-text ignored (decode_tokens_per_s).
// --json prints one object per repetition with the native fields plus:
//   engine            "wasm-node" or "wasm-chromium"
//   timing            where the clock runs: "direct" (Node: around the C API calls) or
//                     "worker" (Chromium: the package worker's own prompt/decode timers,
//                     so no page<->worker round trip is inside the figures)
//   compile_ms, instantiate_ms, first_load_ms
//                     Node: WebAssembly.compile and .instantiate of tinylm.wasm, and the first
//                     load of the model, which also grows the module's memory (none in load_ms)
//   startup_ms        Chromium: TinyLM.load(): worker start, fetch, compile and instantiation
//                     of tinylm.wasm, first model load (not in load_ms)
//   fetch_ms          Chromium: the loopback fetch of the model into page memory (once)
//   prompt_batch      tokens per forward call of the C API's session (32): the native
//                     bench evaluates the whole prompt in one call
//   peak_memory_bytes the size of the module's linear memory after the run
//   page_memory_bytes Chromium: VmHWM of the renderer process hosting the page and worker, for
//                     a page that loads the model by URL and generates once (MEMORY_PAGE)
//   timing_page_memory_bytes  the same for the timing page, which also holds the fetched file
//                     and a copy per repetition in page memory
// load_ms starts with the model's bytes already in memory (Node: a Buffer; Chromium: an
// ArrayBuffer the page fetched) and ends with a session ready.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../src/core.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const webRoot = path.resolve(here, '..');
const C_API_PROMPT_BATCH = 32;  // SessionOptions::batch_size, which tinylm_session_create keeps

// The native bench's prompt: BOS (when the tokenizer has one), then ids spread over the vocab.
export function benchPrompt(n, vocab, bos) {
  const ids = Array.from({ length: n }, (_, i) => (1 + i * 7919) % vocab);
  if (bos >= 0) ids[0] = bos;
  return ids;
}

function argmax(logits) {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

const round = (x, d) => (x == null ? null : Number(x.toFixed(d)));

// One line per repetition, the native field order first.
function line(common, r) {
  return {
    rep: r.rep, model: common.model, engine: common.engine, kernels: common.kernels,
    threads: 1, prompt_tokens: common.p, decode_tokens: common.n, load_ms: round(r.load_ms, 3),
    prompt_tokens_per_s: round(r.prompt_tokens_per_s, 2), decode_tokens_per_s: round(r.decode_tokens_per_s, 2),
    peak_memory_bytes: r.peak_memory_bytes, kv_cache_bytes: common.kv_cache_bytes,
    weight_bytes_per_token: common.weight_bytes_per_token,
    decode_gb_per_s: round(common.weight_bytes_per_token * r.decode_tokens_per_s / 1e9, 3),
    timing: common.timing, prompt_batch: C_API_PROMPT_BATCH, ...common.extra, ...r.extra,
  };
}

function printer(json, common) {
  if (!json) {
    console.log(`model ${common.model}, ${common.engine}, kernels ${common.kernels}, 1 thread, ` +
      `prompt ${common.p}, decode ${common.n}, timing ${common.timing}`);
    console.log(['rep', 'load ms', 'prompt t/s', 'decode t/s', 'GB/s', 'peak MiB'].map((h, i) => h.padStart(i ? 12 : 4)).join(''));
  }
  return (r) => {
    const o = line(common, r);
    if (json) { process.stdout.write(JSON.stringify(o) + '\n'); return; }
    console.log([String(o.rep).padStart(4), o.load_ms.toFixed(2), o.prompt_tokens_per_s.toFixed(1),
      o.decode_tokens_per_s.toFixed(1), o.decode_gb_per_s.toFixed(2),
      (o.peak_memory_bytes / 1048576).toFixed(1)].map((c, i) => (i ? c.padStart(12) : c)).join(''));
  };
}

// Model facts every repetition shares, from one load in this process: the decode traffic,
// the kernels the module picks, the KV cache of a session of context p + n.
function modelFacts(module, bytes, p, n, verify) {
  return Engine.create(module).then((engine) => {
    const x = engine.x;
    if (!x.tinylm_model_weight_bytes_per_token || !x.tinylm_kernels) {
      throw new Error('this tinylm.wasm lacks tinylm_model_weight_bytes_per_token / tinylm_kernels: rebuild it (cmake --preset wasm)');
    }
    const info = engine.loadModelBytes(bytes, { verify });
    if (p + n > info.context_length) {
      throw new Error(`-p ${p} plus -n ${n} exceed the model's context length ${info.context_length}`);
    }
    const session = engine.createSession(p + n);
    const facts = {
      kernels: engine.cstring(x.tinylm_kernels()),
      weight_bytes_per_token: Number(x.tinylm_model_weight_bytes_per_token(engine.model)),
      kv_cache_bytes: session.memoryBytes, vocab: info.vocab_size, bos: info.tokenizer ? info.tokenizer.bos_id : -1,
    };
    session.free();
    engine.unloadModel();
    return facts;
  });
}

// Node: the module on this thread, the C API called directly (as cmd_bench.cpp calls Session).
// As in the page below: one instance; its first load (which also grows the memory) is
// first_load_ms; each repetition frees the model and loads it again from the bytes in memory.
async function runNode(opts, common, emit, module, bytes) {
  const { p, n, reps, warmup, verify } = opts;
  let t = performance.now();
  const engine = await Engine.create(module);
  const instantiateMs = performance.now() - t;
  const x = engine.x;
  let session = null;
  const load = () => {
    if (session) session.free();
    engine.unloadModel();
    const t0 = performance.now();
    const ptr = engine.alloc(bytes.byteLength);
    engine.bytes(ptr, bytes.byteLength).set(bytes);
    engine.loadModel(ptr, bytes.byteLength, { verify });
    session = engine.createSession(p + n);
    return performance.now() - t0;
  };
  const firstLoadMs = load();
  const ids = benchPrompt(p, common.vocab, common.bos);
  const idsPtr = engine.alloc(ids.length * 4);
  for (let rep = -warmup; rep < reps; rep++) {
    const loadMs = load();
    new Int32Array(x.memory.buffer, idsPtr, ids.length).set(ids);
    t = performance.now();
    let out = x.tinylm_session_eval(session.h, idsPtr, ids.length, 0);
    if (!out) throw engine.error('eval');
    const promptS = (performance.now() - t) / 1000;
    t = performance.now();
    for (let i = 0; i < n; i++) {
      const next = argmax(new Float32Array(x.memory.buffer, out, common.vocab));
      new Int32Array(x.memory.buffer, idsPtr, 1)[0] = next;
      out = x.tinylm_session_eval(session.h, idsPtr, 1, 0);
      if (!out) throw engine.error('eval');
    }
    const decodeS = (performance.now() - t) / 1000;
    if (rep >= 0) {
      emit({ rep, load_ms: loadMs, prompt_tokens_per_s: p / promptS, decode_tokens_per_s: n / decodeS,
        peak_memory_bytes: x.memory.buffer.byteLength,
        extra: { instantiate_ms: round(instantiateMs, 3), first_load_ms: round(firstLoadMs, 3) } });
    }
  }
  session.free();
  engine.free(idsPtr);
  engine.unloadModel();
}

// The page: the package as an app imports it. Every repetition frees the model in the worker
// and loads it again from the ArrayBuffer the page fetched once; generation is the package's
// generate() with ids, greedy, ignoreEos, maxTokens n + 1 (the first token is sampled from the
// prompt's logits, the next n each take one forward step), timed by the worker itself.
const PAGE = `<!doctype html><meta charset="utf-8"><title>tinylm bench</title><script type="module">
import { TinyLM } from '/index.js';
const q = Object.fromEntries(new URLSearchParams(location.search));
const p = Number(q.p), n = Number(q.n), reps = Number(q.reps), warmup = Number(q.warmup);
const verify = q.verify === '1';
const prompt = JSON.parse(q.prompt);
try {
  let t = performance.now();
  const fetched = await (await fetch('/model.slm')).arrayBuffer();
  const fetchMs = performance.now() - t;
  const options = { contextLength: p + n, verify };
  t = performance.now();
  const lm = await TinyLM.load(fetched.slice(0), options);
  const startupMs = performance.now() - t;
  const runs = [];
  for (let rep = -warmup; rep < reps; rep++) {
    await lm.call('dispose');  // free the model, keep the worker and its module
    const copy = fetched.slice(0);
    t = performance.now();
    await lm.loadModel(copy, options);
    const loadMs = performance.now() - t;
    let generated = 0;
    for await (const _ of lm.generate(prompt, { temperature: 0, maxTokens: n + 1, ignoreEos: true,
      onToken: () => { generated++; } })) { /* text pieces: not needed */ }
    const s = lm.lastStats;
    if (generated !== n + 1) throw new Error('generated ' + generated + ' tokens, not ' + (n + 1) + ' (' + s.reason + ')');
    if (rep >= 0) runs.push({ rep, load_ms: loadMs, prompt_ms: s.promptMs, decode_ms: s.decodeMs,
      memory_bytes: await lm.memoryBytes() });
  }
  await lm.dispose();
  window.__result = { runs, fetch_ms: fetchMs, startup_ms: startupMs };
} catch (e) {
  window.__result = { error: String(e && e.stack || e) };
}
</script>`;

// The memory page: a page as an app writes it, which loads the model by URL (the worker streams
// the response into wasm memory, so the weights exist once) and generates p + n tokens once.
// page_memory_bytes is the VmHWM of this page's renderer, in a fresh browser profile. (The
// timing page above keeps the fetched file and a copy per repetition in page memory, to time
// loads from bytes in memory; its VmHWM is reported as timing_page_memory_bytes.)
const MEMORY_PAGE = `<!doctype html><meta charset="utf-8"><title>tinylm memory</title><script type="module">
import { TinyLM } from '/index.js';
const q = Object.fromEntries(new URLSearchParams(location.search));
const p = Number(q.p), n = Number(q.n);
try {
  const lm = await TinyLM.load('/model.slm', { contextLength: p + n, verify: q.verify === '1' });
  let generated = 0;
  for await (const _ of lm.generate(JSON.parse(q.prompt), { temperature: 0, maxTokens: n + 1,
    ignoreEos: true, onToken: () => { generated++; } })) { /* text pieces: not needed */ }
  if (generated !== n + 1) throw new Error('generated ' + generated + ' tokens, not ' + (n + 1));
  window.__result = { memory_bytes: await lm.memoryBytes() };
  await lm.dispose();
} catch (e) {
  window.__result = { error: String(e && e.stack || e) };
}
</script>`;

// Cross-origin isolation: performance.now() then ticks in 5 us instead of 100 us (the module
// itself uses no SharedArrayBuffer or threads).
const ISOLATED = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };

function serve(modelPath, wasmPath) {
  const server = http.createServer((req, res) => {
    const p = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (p === '/' || p === '/bench.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...ISOLATED });
      res.end(PAGE);
      return;
    }
    if (p === '/memory.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...ISOLATED });
      res.end(MEMORY_PAGE);
      return;
    }
    let file = null;
    if (p === '/model.slm') file = modelPath;
    else if (p === '/tinylm.wasm') file = wasmPath;
    else if (p === '/index.js' || p.startsWith('/src/')) {
      const f = path.resolve(webRoot, '.' + p);
      if (f.startsWith(webRoot + path.sep)) file = f;
    }
    if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream',
      'content-length': fs.statSync(file).size, 'cache-control': 'no-store', ...ISOLATED });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

// VmHWM in bytes of the renderer processes of the browser whose profile is `udd` (the page
// and its dedicated worker live in one renderer), as ../shared/bench/peers/wllama_bench.mjs.
function rendererPeakBytes(udd) {
  let peak = null;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes(udd) || !cmd.includes('--type=renderer')) continue;
      const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak ?? 0, Number(m[1]) * 1024);
    } catch { /* the process is gone */ }
  }
  return peak;
}

// Opens `page` (with query q) in headless Chromium with a fresh profile and waits for its
// window.__result; returns it with the peak memory (VmHWM) of the page's renderer.
async function runPage(opts, server, page, q) {
  const { chromium } = await import('playwright-core');
  const udd = fs.mkdtempSync(path.join(os.tmpdir(), 'tinylm-bench-profile-'));
  let context = null;
  const errors = [];
  try {
    context = await chromium.launchPersistentContext(udd, {
      executablePath: opts.chromium, headless: true, timeout: 60000,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const tab = context.pages()[0] || await context.newPage();
    tab.on('pageerror', (e) => errors.push(String(e)));
    await tab.goto(`http://127.0.0.1:${server.address().port}/${page}?${q}`);
    await tab.waitForFunction(() => window.__result !== undefined, null, { timeout: opts.timeout * 1000, polling: 200 });
    const result = await tab.evaluate(() => window.__result);
    if (result.error) throw new Error(`in the page: ${result.error}`);
    return { result, peak: rendererPeakBytes(udd), browser: `Chromium ${context.browser()?.version() ?? '?'}` };
  } catch (e) {
    if (errors.length) e.message += ` (page errors: ${errors.join('; ')})`;
    throw e;
  } finally {
    if (context) await context.close().catch(() => {});
    fs.rmSync(udd, { recursive: true, force: true });
  }
}

async function runBrowser(opts, common, emit) {
  const server = await serve(path.resolve(opts.model), path.resolve(opts.wasm));
  try {
    const q = new URLSearchParams({ p: opts.p, n: opts.n, reps: opts.reps, warmup: opts.warmup,
      verify: opts.verify ? '1' : '0', prompt: JSON.stringify(benchPrompt(opts.p, common.vocab, common.bos)) });
    const timing = await runPage(opts, server, 'bench.html', q);
    const memory = await runPage(opts, server, 'memory.html', q);
    const extra = { startup_ms: round(timing.result.startup_ms, 3), fetch_ms: round(timing.result.fetch_ms, 3),
      page_memory_bytes: memory.peak, timing_page_memory_bytes: timing.peak, browser: timing.browser };
    for (const r of timing.result.runs) {
      emit({ rep: r.rep, load_ms: r.load_ms, prompt_tokens_per_s: opts.p / (r.prompt_ms / 1000),
        decode_tokens_per_s: opts.n / (r.decode_ms / 1000), peak_memory_bytes: r.memory_bytes, extra });
    }
  } finally {
    server.close();
  }
}

// opts: the parsed command line of tinylm-wasm (keys as typed: '-m', '--reps', ...).
export async function bench(opts, num) {
  const o = {
    model: opts['-m'], p: num(opts, '-p', num(opts, '--pp', 64)), n: num(opts, '-n', num(opts, '--tg', 128)),
    reps: num(opts, '--reps', 3), warmup: num(opts, '--warmup', 0), verify: !opts['--no-verify'],
    wasm: opts['--wasm'] || path.join(webRoot, 'tinylm.wasm'), chromium: opts['--chromium'] || '/usr/bin/chromium',
    timeout: num(opts, '--timeout', 600),
  };
  if (!o.model) throw new Error('give the model with -m MODEL.slm');
  for (const [k, v, min] of [['-p', o.p, 1], ['-n', o.n, 1], ['--reps', o.reps, 1], ['--warmup', o.warmup, 0]]) {
    if (!Number.isInteger(v) || v < min) throw new Error(`${k}: expected an integer >= ${min}, got ${v}`);
  }
  if (num(opts, '-t', 1) !== 1) throw new Error('-t: the WebAssembly module runs one thread');
  let t = performance.now();
  const module = await WebAssembly.compile(fs.readFileSync(o.wasm));
  const compileMs = performance.now() - t;
  const bytes = fs.readFileSync(o.model);
  const facts = await modelFacts(module, bytes, o.p, o.n, o.verify);
  const common = { ...facts, model: o.model, p: o.p, n: o.n,
    engine: opts['--browser'] ? 'wasm-chromium' : 'wasm-node', timing: opts['--browser'] ? 'worker' : 'direct',
    extra: opts['--browser'] ? {} : { compile_ms: round(compileMs, 3), runtime: `Node ${process.version}` } };
  const emit = printer(!!opts['--json'], common);
  if (opts['--browser']) await runBrowser(o, common, emit);
  else await runNode(o, common, emit, module, bytes);
}
