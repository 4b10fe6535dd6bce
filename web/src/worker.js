// The worker that owns the WebAssembly module (browser Web Worker or Node worker_threads).
// Requests: {id, op, ...args}; replies: {id, ok, value | error}; generation streams
// {id, token} messages, and checks for {op: 'abort'} between tokens.
import { Engine } from './core.js';

let post;
let onMessage;
if (typeof self !== 'undefined' && typeof self.postMessage === 'function') {
  post = (m, transfer) => self.postMessage(m, transfer || []);
  onMessage = (fn) => { self.onmessage = (e) => fn(e.data); };
} else {
  const { parentPort } = await import('node:worker_threads');
  post = (m, transfer) => parentPort.postMessage(m, transfer || []);
  onMessage = (fn) => parentPort.on('message', fn);
}

let engine = null;
let session = null;
const aborted = new Set();

// Yields to the event loop without setTimeout's clamping, so abort messages get through.
const channel = new MessageChannel();
const waiters = [];
channel.port1.onmessage = () => waiters.shift()?.();
if (channel.port1.unref) channel.port1.unref();
const yieldNow = typeof setImmediate === 'function'
  ? () => new Promise((r) => setImmediate(r))  // Node: lets parentPort messages in
  : () => new Promise((r) => { waiters.push(r); channel.port2.postMessage(0); });

async function wasmBytes(url) {
  if (typeof process !== 'undefined' && process.versions?.node && url.startsWith('file:')) {
    const { readFile } = await import('node:fs/promises');
    return readFile(new URL(url));
  }
  return (await fetch(url)).arrayBuffer();
}

// Writes a stream of chunks into one allocation in wasm memory (the weights live once).
async function loadStream(id, stream, size, options) {
  if (!size) {
    // No length known: gather first (one extra transient copy), then load.
    const chunks = [];
    let total = 0;
    for await (const c of stream) { chunks.push(c); total += c.byteLength; post({ id, progress: { loaded: total, total: 0 } }); }
    const ptr = engine.alloc(total);
    let off = 0;
    for (const c of chunks) { engine.bytes(ptr + off, c.byteLength).set(c); off += c.byteLength; }
    return engine.loadModel(ptr, total, options);
  }
  const ptr = engine.alloc(size);
  let off = 0;
  try {
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (off + value.byteLength > size) throw new Error(`the model is larger than announced (${size} bytes)`);
      engine.bytes(ptr + off, value.byteLength).set(value);
      off += value.byteLength;
      post({ id, progress: { loaded: off, total: size } });
    }
  } catch (e) {
    engine.free(ptr);
    throw e;
  }
  return engine.loadModel(ptr, off, options);
}

// Loads a model; the previous one stays loaded when this fails.
async function load(id, { source, options }) {
  let info;
  if (typeof source === 'string') {
    if (source.startsWith('file:') && typeof process !== 'undefined' && process.versions?.node) {
      const fs = await import('node:fs');
      const { Readable } = await import('node:stream');
      const p = new URL(source);
      info = await loadStream(id, Readable.toWeb(fs.createReadStream(p)), fs.statSync(p).size, options);
    } else {
      const res = await fetch(source);
      if (!res.ok) throw new Error(`cannot fetch ${source}: HTTP ${res.status}`);
      const size = Number(res.headers.get('content-length')) || 0;
      const encoded = res.headers.get('content-encoding');
      info = await loadStream(id, res.body, encoded ? 0 : size, options);
    }
  } else if (typeof Blob !== 'undefined' && source instanceof Blob) {
    info = await loadStream(id, source.stream(), source.size, options);
  } else {
    const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
    info = engine.loadModelBytes(bytes, options);
  }
  if (session) session.free();
  session = null;
  session = engine.createSession(options?.contextLength || 0);
  return info;
}

// Holds back the end of `text` that could still become a stop sequence.
function safeLength(text, stops) {
  let keep = text.length;
  for (const s of stops) {
    for (let k = Math.min(s.length - 1, text.length); k > 0; k--) {
      if (s.startsWith(text.slice(text.length - k))) { keep = Math.min(keep, text.length - k); break; }
    }
  }
  return keep;
}

async function generate(id, { prompt, options }) {
  const o = options || {};
  session.reset();
  const ids = Array.isArray(prompt) ? prompt : engine.tokenize(prompt, { addBos: true });
  if (ids.length >= session.contextLength) {
    throw new Error(`the prompt (${ids.length} tokens) does not fit the context (${session.contextLength} tokens)`);
  }
  const t0 = performance.now();
  session.begin(ids, { temperature: o.temperature ?? 0.8, topK: o.topK ?? 0, topP: o.topP ?? 0.9,
    seed: o.seed ?? Math.floor(Math.random() * 2 ** 32), ignoreStop: !!o.ignoreEos });
  const promptMs = performance.now() - t0;
  const maxTokens = o.maxTokens ?? 256;
  const stops = o.stop || [];
  let pending = '';
  let reason = 'max_tokens';
  let n = 0;
  let lastYield = performance.now();
  const t1 = performance.now();
  const flush = (text, final) => {
    pending += text;
    for (const s of stops) {
      const at = pending.indexOf(s);
      if (at >= 0) { if (at) post({ id, token: { text: pending.slice(0, at) } }); pending = ''; return true; }
    }
    const keep = final ? pending.length : safeLength(pending, stops);
    if (keep) { post({ id, token: { text: pending.slice(0, keep) } }); pending = pending.slice(keep); }
    return false;
  };
  for (;;) {
    if (n >= maxTokens) { flush(session.end(), true); break; }
    if (performance.now() - lastYield > 8) {
      await yieldNow();
      lastYield = performance.now();
      if (aborted.has(id)) { reason = 'aborted'; flush(session.end(), true); break; }
    }
    const t = session.next();
    if (t.id < 0) { reason = t.reason; flush(t.text, true); break; }
    n++;
    post({ id, token: { id: t.id } });
    if (flush(t.text, false)) { reason = 'stop_sequence'; session.end(); break; }
  }
  aborted.delete(id);
  const decodeMs = performance.now() - t1;
  return { reason, promptTokens: ids.length, generatedTokens: n, promptMs, decodeMs,
    tokensPerSecond: n / (decodeMs / 1000 || 1), memoryBytes: engine.memory.buffer.byteLength };
}

const ops = {
  async init(_, { wasmUrl, wasmModule }) {
    engine = await Engine.create(wasmModule || await wasmBytes(wasmUrl));
    return engine.version();
  },
  load,
  info: () => engine.info(),
  tokenize: (_, { text, addBos }) => engine.tokenize(text, { addBos }),
  detokenize: (_, { ids }) => engine.detokenize(ids),
  generate,
  memory: () => engine.memory.buffer.byteLength,
  dispose() { if (session) session.free(); session = null; engine.unloadModel(); return true; },
};

onMessage(async (msg) => {
  if (msg.op === 'abort') { aborted.add(msg.target); return; }
  try {
    const fn = ops[msg.op];
    if (!fn) throw new Error(`unknown operation ${msg.op}`);
    if (!engine && msg.op !== 'init') throw new Error('the module is not initialized');
    if (!session && ['generate'].includes(msg.op)) throw new Error('no model is loaded');
    const value = await fn(msg.id, msg);
    post({ id: msg.id, ok: true, value });
  } catch (e) {
    post({ id: msg.id, ok: false, error: e?.message || String(e) });
  }
});
