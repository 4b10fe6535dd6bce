// Writes docs/performance.md and docs/performance.svg from the raw results of bench/run.sh.
//
//   node bench/report.mjs --raw DIR --out docs/performance.md [--command CMD] [--elapsed S]
//        [--models "a b"] [--types "q8_0 f32"] [--reps N] [--trial 0|1] [--chromium PATH]
//        [--date "YYYY-MM-DD HH:MM"] (the run's date when the report is written again later)
//
// DIR holds one JSONL file per model, type and tinylm engine (MODEL-TYPE.native.jsonl,
// .wasm-node.jsonl, .wasm-chromium.jsonl: one line per repetition, `tinylm bench --json`),
// peers.jsonl (../shared/bench/peers/bench_peers.sh) and tjs.jsonl (transformers.js).
// tinylm figures are medians over the repetitions; the peers' are the means their harness
// reports (pp/tg t/s), transformers.js's the medians its harness reports.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const raw = args.raw;
const out = args.out;
const models = (args.models || '').split(/\s+/).filter(Boolean);
const types = (args.types || '').split(/\s+/).filter(Boolean);
const trial = args.trial === '1';
const MIB = 1048576;

// The targets of issue #9, checked against the table: {text, engine, vs, metric, min, type?}.
// `min` is the least ratio engine/vs of `metric` (a median over the models of `type`, or all).
// bench/targets.json: {"source": "...", "targets": [{text, engine, vs, metric: "tg"|"pp"|"load"|"mem", min, type}]}.
const targetFile = JSON.parse(fs.readFileSync(new URL('./targets.json', import.meta.url), 'utf8'));
const targets = targetFile.targets;

const readLines = (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l)) : []);
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null;
};

// One row per engine and model file: {engine, label, pp, tg, load, mem, memNote, gbs, error}.
const rows = {};  // key "model-type" -> [row]
const add = (key, row) => (rows[key] ||= []).push(row);
const ENGINES = [
  ['native', 'tinylm native'], ['wasm-node', 'tinylm wasm, Node'], ['wasm-chromium', 'tinylm wasm, Chromium'],
];
for (const m of models) {
  for (const t of types) {
    const key = `${m}-${t}`;
    for (const [engine, label] of ENGINES) {
      const lines = readLines(path.join(raw, `${key}.${engine}.jsonl`));
      const err = lines.find((l) => l.error);
      const reps = lines.filter((l) => !l.error);
      if (err || !reps.length) { add(key, { engine, label, error: err ? err.error : 'no result' }); continue; }
      const med = (f) => median(reps.map((r) => r[f]));
      add(key, {
        engine, label: `${label}${reps[0].kernels ? ` (${reps[0].kernels})` : ''}`, pp: med('prompt_tokens_per_s'),
        tg: med('decode_tokens_per_s'), load: med('load_ms'), gbs: med('decode_gb_per_s'), n: reps.length,
        mem: engine === 'wasm-chromium' ? med('page_memory_bytes') / MIB : med('peak_memory_bytes') / MIB,
        wasmMem: engine === 'native' ? null : med('peak_memory_bytes') / MIB,
      });
    }
  }
}
const peerName = (p) => (p.startsWith('wllama') ? 'wllama' : p);
for (const r of readLines(path.join(raw, 'peers.jsonl'))) {
  const key = path.basename(r.model || '').replace(/\.gguf$/, '');
  if (!rows[key]) continue;
  const engine = peerName(r.peer || '?');
  if (r.error) { add(key, { engine, label: r.peer, error: r.error.split('\n')[0] }); continue; }
  add(key, {
    engine, label: `${r.peer}${engine === 'wllama' ? ', Chromium' : ''}`, pp: r.pp_tps?.mean, tg: r.tg_tps?.mean,
    load: r.load_ms, mem: r.peak_rss_mib, n: r.pp_tps?.n,
    decodeOnly: r.internal ? { pp: r.internal.pp_tps, tg: r.internal.tg_tps } : null,
  });
}
const tjs = readLines(path.join(raw, 'tjs.jsonl'));
const tjsSkipped = tjs.find((r) => r.skipped);
for (const r of tjs.filter((x) => !x.skipped)) {
  if (!rows['stories15M-f32']) continue;
  const engine = `transformers.js-${r.where}`;
  if (r.error) { add('stories15M-f32', { engine, label: `${r.peer} (${r.where})`, error: String(r.error).split('\n')[0] }); continue; }
  add('stories15M-f32', { engine, label: `${r.peer}, ${r.where === 'node' ? 'Node' : 'Chromium'}`,
    pp: r.pp_tps?.median, tg: r.tg_tps?.median, load: r.load_ms, mem: r.peak_rss_mib, n: r.pp_tps?.n });
}

// Which row each tinylm row is compared with.
const COMPARE = { native: 'node-llama-cpp', 'wasm-node': 'native', 'wasm-chromium': 'wllama' };
const find = (key, engine) => (rows[key] || []).find((r) => r.engine === engine && !r.error);
const ratio = (a, b) => (a != null && b ? a / b : null);

const f = (x, d = 0) => (x == null || !Number.isFinite(x) ? '—' : x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));
const fr = (x) => (x == null ? '—' : `${x.toFixed(2)}×`);

// ---- the machine ----
const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
const cpu = (/^model name\s*:\s*(.*)$/m.exec(cpuinfo) || [])[1] || '?';
const flags = ((/^flags\s*:\s*(.*)$/m.exec(cpuinfo) || [])[1] || '').split(' ');
const simd = ['avx2', 'fma', 'avx512f', 'avx512_vnni'].filter((x) => flags.includes(x)).join(', ');
let chromiumVersion = '?';
try {
  chromiumVersion = execFileSync(args.chromium || '/usr/bin/chromium', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] })
    .toString().trim().replace(/ built on .*/, '');
} catch { /* absent */ }
const osName = (() => { try { return (/^PRETTY_NAME="?([^"\n]*)/m.exec(fs.readFileSync('/etc/os-release', 'utf8')) || [])[1]; } catch { return '?'; } })();

// ---- markdown ----
const md = [];
md.push('# Performance');
md.push('');
if (trial) {
  md.push('> **Trial run, not the benchmark.** This page was written by a partial run of `bench/run.sh`');
  md.push('> (one small model, on a busy shared machine) to show that the harness works end to end. Its');
  md.push('> numbers are noise; the full run on an idle machine replaces this page.');
  md.push('');
}
md.push(`Written by \`bench/report.mjs\` from one run of \`bench/run.sh\` (${f(Number(args.elapsed) / 60, 1)} minutes). ` +
  'Every number below comes from that run; rerun it to regenerate this page and the chart.');
md.push('');
md.push(`- **Date**: ${args.date || new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`);
md.push(`- **Command**: \`${args.command || 'bench/run.sh'}\``);
md.push(`- **Machine**: ${cpu}, ${os.cpus().length} cores (${simd || 'no AVX2'}), ${f(os.totalmem() / 2 ** 30, 1)} GiB RAM, ${osName}, kernel ${os.release()}`);
md.push(`- **Runtimes**: Node ${process.version}, ${chromiumVersion}`);
md.push(`- **Settings**: 1 thread everywhere, prompt 64 tokens, decode 128 tokens, greedy, end-of-text ignored, ${args.reps} timed repetitions per engine and model`);
md.push('');
md.push('![decode tokens/s per engine, q8_0](performance.svg)');
md.push('');
md.push('## How the numbers are taken');
md.push('');
md.push('- **tinylm** (native `tinylm bench --json`; WebAssembly `node web/bin/tinylm-wasm.mjs bench --json`, with `--browser` in headless Chromium): ' +
  'each repetition loads the model and creates a session (**load**), evaluates a fixed 64-token prompt (BOS, then ids `(1 + i·7919) % vocab`) ' +
  '(**prompt t/s** = 64 / time), then 128 single-token forward steps with greedy argmax (**decode t/s** = 128 / time). Median over the repetitions. ' +
  'Native load = mmap + checksum + binding + session; WebAssembly load = a reload from the file\'s bytes in JS memory into the module (copy + checksum + binding + session), ' +
  'after a first load that grew the module\'s memory (that first load, and the module\'s compilation and instantiation, are in the raw JSON as `first_load_ms`, `instantiate_ms`, `startup_ms`). ' +
  'In Chromium the model runs in the package\'s Web Worker (`TinyLM.loadModel`, `generate` with ids), timed by the worker itself, so the page↔worker messages are not inside the figures. ' +
  'The WebAssembly C API evaluates the prompt in batches of 32 tokens, the native bench in one batch of 64. ' +
  'WebAssembly runs have one untimed warm-up repetition first (V8 tiers the module up).');
md.push('- **GB/s** = weight bytes one decode step reads × decode t/s.');
md.push('- **Memory**: native = peak RSS (VmHWM) of the process; Node = the module\'s linear memory (the wasm heap, not the Node process); ' +
  'Chromium = VmHWM of the renderer process that hosts the page and its worker, for a page that loads the model by URL as an app does ' +
  '(`TinyLM.load(url)`: the worker streams the file into wasm memory, so the weights exist once) and generates the same tokens once, ' +
  'in a fresh browser profile (the wasm heap in parentheses; the timing page, which keeps the fetched file and a copy per repetition ' +
  'in page memory to time loads from bytes in memory, is in the raw JSON as `timing_page_memory_bytes`); ' +
  'peers = VmHWM of the node process (node-llama-cpp, transformers.js in Node) or of the renderer (wllama, transformers.js in Chromium).');
md.push('- **Peers** (`../shared/bench/peers/`, their own harnesses, same GGUF files): the same prompt length, token count and greedy decoding, ' +
  'but their prompt is text that maps to 64 tokens, and their t/s are measured from the request to the first sampled token (prompt) and over the 127 steps after it (decode), ' +
  'including the JS API around llama.cpp; node-llama-cpp\'s own decode timers are in the note under each table. transformers.js runs an ONNX export of the same stories15M weights (f32 only).');
md.push('- **Ratios**: tinylm native ÷ node-llama-cpp, tinylm in Node ÷ tinylm native, tinylm in Chromium ÷ wllama; above 1 = tinylm faster.');
md.push('');

md.push('## Targets of issue #9');
md.push('');
if (!targets.length) {
  md.push(`_No targets are configured in \`bench/targets.json\` (${targetFile.source})._`);
} else {
  md.push('| target | measured | |');
  md.push('|---|---|---|');
  for (const t of targets) {
    const vals = [];
    for (const [key, list] of Object.entries(rows)) {
      if (t.type && !key.endsWith(`-${t.type}`)) continue;
      const a = list.find((r) => r.engine === t.engine && !r.error);
      const b = t.vs ? list.find((r) => r.engine === t.vs && !r.error) : null;
      const v = t.vs ? ratio(a?.[t.metric], b?.[t.metric]) : a?.[t.metric];
      if (v != null) vals.push(v);
    }
    const m = median(vals);
    const shown = m == null ? 'not measured' : t.vs ? `${fr(m)} (median of ${vals.length})` : `${f(m, 1)} (median of ${vals.length})`;
    md.push(`| ${t.text} | ${shown} | ${m == null ? '—' : m >= t.min ? '**met**' : '**not met**'} |`);
  }
}
md.push('');

md.push('## Results');
for (const m of models) {
  for (const t of types) {
    const key = `${m}-${t}`;
    md.push('');
    md.push(`### ${m} ${t}`);
    md.push('');
    md.push('| engine | prompt t/s | decode t/s | load ms | memory MiB | decode GB/s | compared with | decode ratio | prompt ratio |');
    md.push('|---|--:|--:|--:|--:|--:|---|--:|--:|');
    for (const r of rows[key] || []) {
      if (r.error) { md.push(`| ${r.label} | error: ${r.error.replace(/\|/g, '/').slice(0, 100)} | | | | | | | |`); continue; }
      const vs = COMPARE[r.engine];
      const other = vs && find(key, vs);
      const mem = r.wasmMem != null && r.engine === 'wasm-chromium' ? `${f(r.mem, 1)} (${f(r.wasmMem, 1)})` : f(r.mem, 1);
      md.push(`| ${r.label} | ${f(r.pp)} | ${f(r.tg, 1)} | ${f(r.load, 1)} | ${mem} | ${r.gbs == null ? '—' : f(r.gbs, 2)} | ` +
        `${other ? other.label.replace(/ \(.*\)$/, '') : '—'} | ${fr(other ? ratio(r.tg, other.tg) : null)} | ${fr(other ? ratio(r.pp, other.pp) : null)} |`);
    }
    const nlc = find(key, 'node-llama-cpp');
    if (nlc?.decodeOnly) {
      md.push('');
      md.push(`node-llama-cpp, llama.cpp's own decode timers: prompt ${f(nlc.decodeOnly.pp)} t/s, decode ${f(nlc.decodeOnly.tg, 1)} t/s.`);
    }
  }
}
if (tjsSkipped) { md.push(''); md.push(`transformers.js: not run — ${tjsSkipped.skipped}.`); }
md.push('');
// A hand-written reading of the results, kept beside the script (bench/analysis.md).
const analysis = new URL('./analysis.md', import.meta.url);
if (fs.existsSync(analysis)) {
  md.push(fs.readFileSync(analysis, 'utf8').trim());
  md.push('');
}
md.push('## Reproduce');
md.push('');
md.push('```sh');
md.push('cmake --preset release && cmake --build --preset release');
md.push('cmake --preset wasm && cmake --build --preset wasm && (cd web && npm ci)');
md.push(args.command || 'bench/run.sh');
md.push('```');
md.push('');
md.push('Raw results (one JSON line per repetition) stay in the work directory (`WORK`, default `/tmp/tinylm-bench/raw`).');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, md.join('\n') + '\n');

// ---- chart: decode t/s per engine, grouped by model, q8_0 (or the first type run) ----
const chartType = types.includes('q8_0') ? 'q8_0' : types[0];
const series = [
  ['native', 'tinylm native', '#1f5fa8'], ['wasm-node', 'tinylm wasm (Node)', '#4f8fd8'],
  ['wasm-chromium', 'tinylm wasm (Chromium)', '#9cc3ee'], ['node-llama-cpp', 'node-llama-cpp', '#c2571a'],
  ['wllama', 'wllama (Chromium)', '#f0a35e'],
];
const groups = models.map((m) => ({ m, vals: series.map(([e]) => find(`${m}-${chartType}`, e)?.tg ?? null) }));
const all = groups.flatMap((g) => g.vals).filter((v) => v > 0);
const lo = 10 ** Math.floor(Math.log10(Math.min(...all, 10)));
const hi = 10 ** Math.ceil(Math.log10(Math.max(...all, 100)));
const W = Math.max(660, 120 + groups.length * 170), H = 380, top = 50, bottom = 300, left = 70;
const y = (v) => bottom - (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) * (bottom - top);
const svg = [];
svg.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
svg.push(`<rect width="${W}" height="${H}" fill="white"/>`);
svg.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">Decode tokens/s, ${chartType}, 1 thread${trial ? ' (TRIAL: not the benchmark)' : ''}</text>`);
for (let v = lo; v <= hi; v *= 10) {
  svg.push(`<line x1="${left}" x2="${W - 20}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
  svg.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${v.toLocaleString('en-US')}</text>`);
}
svg.push(`<text transform="translate(18 ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle" fill="#555">tokens/s (log scale)</text>`);
const bw = 26;
groups.forEach((g, gi) => {
  const x0 = left + 20 + gi * 170;
  g.vals.forEach((v, si) => {
    const x = x0 + si * (bw + 2);
    if (v > 0) {
      svg.push(`<rect x="${x}" y="${y(v)}" width="${bw}" height="${bottom - y(v)}" fill="${series[si][2]}"><title>${series[si][1]}: ${f(v, 1)}</title></rect>`);
      svg.push(`<text x="${x + bw / 2}" y="${y(v) - 4}" text-anchor="middle" font-size="10">${f(v)}</text>`);
    } else {
      svg.push(`<text x="${x + bw / 2}" y="${bottom - 4}" text-anchor="middle" font-size="10" fill="#999">n/a</text>`);
    }
  });
  svg.push(`<text x="${x0 + (series.length * (bw + 2)) / 2}" y="${bottom + 18}" text-anchor="middle" font-weight="bold">${g.m}</text>`);
});
svg.push(`<line x1="${left}" x2="${W - 20}" y1="${bottom}" y2="${bottom}" stroke="#333"/>`);
series.forEach(([, label, color], si) => {
  const x = left + (si % 3) * 190, yy = bottom + 40 + Math.floor(si / 3) * 18;
  svg.push(`<rect x="${x}" y="${yy - 10}" width="12" height="12" fill="${color}"/><text x="${x + 18}" y="${yy}">${label}</text>`);
});
svg.push('</svg>');
fs.writeFileSync(path.join(path.dirname(out), 'performance.svg'), svg.join('\n') + '\n');
console.error(`wrote ${out} and ${path.join(path.dirname(out), 'performance.svg')}`);
