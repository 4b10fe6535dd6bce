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
// Sessions by id (0: the default one, made by each load) and adapters by id; all are freed
// when another model is loaded (they belong to the model).
let sessions = new Map();
let adapters = new Map();
let nextHandle = 1;
const aborted = new Set();
let chatUrl = null;  // tinylm-chat.wasm, loaded on the first chat

async function ensureChat() {
  if (engine.chat) return;
  if (!chatUrl) throw new Error('no URL for tinylm-chat.wasm (TinyLM.load option chatWasmUrl)');
  await engine.loadChat(await wasmBytes(chatUrl));
}

function freeAll() {
  for (const s of sessions.values()) s.free();
  for (const a of adapters.values()) a.free();
  sessions = new Map();
  adapters = new Map();
}
function session(id = 0) {
  const s = sessions.get(id);
  if (!s) throw new Error(id ? `session ${id} was closed` : 'no model is loaded');
  return s;
}
function adapter(id) {
  const a = adapters.get(id);
  if (!a) throw new Error(`adapter ${id} was freed`);
  return a;
}

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
  freeAll();
  sessions.set(0, engine.createSession(options?.contextLength || 0));
  return info;
}

// The bytes of a source: a URL (fetch, or a file: URL in Node), a Blob, or bytes.
async function sourceBytes(source) {
  if (typeof source === 'string') {
    if (source.startsWith('file:') && typeof process !== 'undefined' && process.versions?.node) {
      const { readFile } = await import('node:fs/promises');
      return new Uint8Array(await readFile(new URL(source)));
    }
    const res = await fetch(source);
    if (!res.ok) throw new Error(`cannot fetch ${source}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) return new Uint8Array(await source.arrayBuffer());
  return source instanceof Uint8Array ? source : new Uint8Array(source);
}

const REASONS = { stop_string: 'stop_sequence', cancelled: 'aborted' };

// Streams one generation on session `s` (the prompt ids appended to what it holds): every
// token as {id, token: {id}}, text as {id, token: {text}}; checks for aborts between tokens.
async function stream(id, s, ids, o) {
  if (s.position + ids.length > s.contextLength) {
    throw new Error(`the prompt (${ids.length} tokens) does not fit the context (${s.contextLength - s.position} of ${s.contextLength} tokens left)`);
  }
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 32);
  const t0 = performance.now();
  s.begin(ids, { ...o, seed });
  const promptMs = performance.now() - t0;
  const maxTokens = o.maxTokens ?? 256;
  let reason = 'max_tokens';
  let n = 0;
  let lastYield = performance.now();
  const t1 = performance.now();
  const text = (t) => { if (t) post({ id, token: { text: t } }); };
  for (;;) {
    if (n >= maxTokens) { text(s.end()); break; }
    if (performance.now() - lastYield > 8) {
      await yieldNow();
      lastYield = performance.now();
      if (aborted.has(id)) { reason = 'aborted'; text(s.end()); break; }
    }
    const t = s.next();
    if (t.id < 0) { reason = REASONS[t.reason] || t.reason; text(t.text); break; }
    n++;
    post({ id, token: { id: t.id } });
    text(t.text);
  }
  aborted.delete(id);
  const decodeMs = performance.now() - t1;
  const stats = s.stats();
  return { reason, promptTokens: ids.length, generatedTokens: n, promptMs, decodeMs,
    tokensPerSecond: n / (decodeMs / 1000 || 1), memoryBytes: engine.memory.buffer.byteLength,
    seed, contextShifts: stats.contextShifts, position: s.position };
}

// generate: text (tokenized with BOS) or ids. Without a session id, the default session
// starts over; with one, the prompt continues that session.
async function generate(id, { prompt, options, session: sid }) {
  const s = session(sid || 0);
  chatting.delete(s);
  if (!sid) s.reset();
  const ids = Array.isArray(prompt) ? prompt : engine.tokenize(prompt, { addBos: true });
  return stream(id, s, ids, options || {});
}

// Sessions whose last generation was a chat turn (their random state continues the chat).
const chatting = new WeakSet();

// chat: renders the conversation with the generation prompt, keeps the session's common
// prefix (the KV cache of earlier turns), stops at the template's end of turn.
async function chat(id, { messages, options, session: sid }) {
  await ensureChat();
  const o = options || {};
  const s = session(sid || 0);
  const prompt = engine.renderChat(messages, { addGenerationPrompt: true, template: o.template, now: o.now, variables: o.variables });
  const ids = engine.tokenize(prompt, { addBos: 'once', special: true });
  const marker = engine.chatEndMarker(o.template);
  const stop = [...(o.stop || [])];
  const stopIds = [...(o.stopIds || [])];
  if (marker) {
    stop.push(marker);
    const markerId = engine.pieceId(marker);
    if (markerId >= 0) stopIds.push(markerId);
  }
  const kept = s.position ? s.keepPrefix(ids) : 0;
  // One random stream for the whole conversation, as `tinylm chat` draws it: a turn that
  // continues the session's chat starts from the state the last turn left; `seed` seeds the
  // first turn.
  const seed = kept > 0 && chatting.has(s) ? s.rngState() : o.seed;
  chatting.delete(s);
  const stats = await stream(id, s, ids.slice(kept), { ...o, seed, stop, stopIds });
  chatting.add(s);
  return { ...stats, reusedTokens: kept, promptTokens: ids.length };
}

const ops = {
  async init(_, { wasmUrl, wasmModule, chatWasmUrl }) {
    engine = await Engine.create(wasmModule || await wasmBytes(wasmUrl));
    engine.onModelChange = freeAll;
    chatUrl = chatWasmUrl || (wasmUrl && new URL('tinylm-chat.wasm', wasmUrl).href);
    return engine.version();
  },
  load,
  info: () => engine.info(),
  tokenize: (_, { text, addBos, special }) => engine.tokenize(text, { addBos, special }),
  detokenize: (_, { ids }) => engine.detokenize(ids),
  generate,
  chat,
  async renderChat(_, { messages, options }) {
    await ensureChat();
    return engine.renderChat(messages, options);
  },
  sample: (_, { logits, options, history, state }) => engine.sample(logits, options, history, state),
  memory: () => engine.memory.buffer.byteLength,
  createSession(_, { contextLength }) {
    engine.requireModel();
    const h = nextHandle++;
    sessions.set(h, engine.createSession(contextLength || 0));
    return h;
  },
  freeSession(_, { session: sid }) { session(sid).free(); sessions.delete(sid); return true; },
  session(_, { session: sid, call, args = [] }) {
    const s = session(sid || 0);
    switch (call) {
      case 'position': return s.position;
      case 'contextLength': return s.contextLength;
      case 'tokens': return s.tokens();
      case 'reset': return s.reset();
      case 'truncate': return s.truncate(args[0]);
      case 'eval': return s.eval(args[0], args[1]);
      case 'save': return s.save();
      case 'restore': return s.restore(args[0]);
      case 'attach': return s.attachAdapter(adapter(args[0]), args[1] ?? 1);
      case 'detach': return s.detachAdapter(adapter(args[0]));
      default: throw new Error(`unknown session call ${call}`);
    }
  },
  async loadAdapter(_, { source }) {
    const a = engine.loadAdapter(await sourceBytes(source));
    const h = nextHandle++;
    adapters.set(h, a);
    return h;
  },
  freeAdapter(_, { adapter: aid }) {
    const a = adapter(aid);
    for (const s of sessions.values()) s.detachAdapter(a);
    a.free();
    adapters.delete(aid);
    return true;
  },
  dispose() { freeAll(); engine.unloadModel(); return true; },
};

onMessage(async (msg) => {
  if (msg.op === 'abort') { aborted.add(msg.target); return; }
  try {
    const fn = ops[msg.op];
    if (!fn) throw new Error(`unknown operation ${msg.op}`);
    if (!engine && msg.op !== 'init') throw new Error('the module is not initialized');
    const value = await fn(msg.id, msg);
    post({ id: msg.id, ok: true, value });
  } catch (e) {
    post({ id: msg.id, ok: false, error: e?.message || String(e) });
  }
});
