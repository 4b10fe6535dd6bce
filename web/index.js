// tinylm: tiny language models in the browser and Node, from one WebAssembly module.
//
//   import { TinyLM } from 'tinylm';
//   const lm = await TinyLM.load('stories260K.slm', { onProgress: (p) => console.log(p) });
//   for await (const piece of lm.generate('Once upon a time', { maxTokens: 64 })) show(piece);
//   lm.dispose();
//
// The model runs in a Web Worker (browser) or a worker_threads Worker (Node), so the page
// never freezes; every call is a message to it. Errors from the C++ core reject with an
// Error carrying its message.

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';

async function startWorker() {
  const url = new URL('./src/worker.js', import.meta.url);
  if (isNode) {
    const { Worker } = await import('node:worker_threads');
    const w = new Worker(url);
    w.unref();
    return {
      post: (m, t) => w.postMessage(m, t),
      listen: (fn) => w.on('message', fn),
      onError: (fn) => w.on('error', fn),
      terminate: () => w.terminate(),
      ref: () => w.ref(),
      unref: () => w.unref(),
    };
  }
  const w = new Worker(url, { type: 'module' });
  return {
    post: (m, t) => w.postMessage(m, t),
    listen: (fn) => { w.onmessage = (e) => fn(e.data); },
    onError: (fn) => { w.onerror = (e) => fn(new Error(e.message || 'worker error')); },
    terminate: () => w.terminate(),
    ref() {},
    unref() {},
  };
}

function toUrl(source) {
  if (source instanceof URL) return source.href;
  if (typeof source !== 'string') return source;
  if (isNode && !/^[a-z]+:/i.test(source)) {
    // A file path in Node.
    return new URL(`file://${source.startsWith('/') ? '' : process.cwd() + '/'}${source}`).href;
  }
  return new URL(source, globalThis.location?.href).href;
}

export class TinyLM {
  // source: a URL (streamed fetch), an ArrayBuffer / Uint8Array, or a File/Blob. In Node a
  // path works too; an ArrayBuffer is transferred (detached). options: { onProgress({loaded, total}), wasmUrl, chatWasmUrl (tinylm-chat.wasm, loaded
  // on the first renderChat or chat), verify, contextLength }.
  static async load(source, options = {}) {
    const lm = new TinyLM(await startWorker());
    const wasmUrl = options.wasmUrl ? toUrl(options.wasmUrl) : new URL('./tinylm.wasm', import.meta.url).href;
    const chatWasmUrl = options.chatWasmUrl ? toUrl(options.chatWasmUrl) : new URL('./tinylm-chat.wasm', import.meta.url).href;
    await lm.call('init', { wasmUrl, chatWasmUrl });
    await lm.loadModel(source, options);
    return lm;
  }

  constructor(worker) {
    this.worker = worker;
    this.nextId = 1;
    this.pending = new Map();
    this.modelInfo = null;
    worker.listen((m) => this.receive(m));
    worker.onError((e) => { for (const p of this.pending.values()) p.reject(e); this.pending.clear(); });
  }

  receive(m) {
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.progress) { p.onProgress?.(m.progress); return; }
    if (m.token) { p.onToken?.(m.token); return; }
    this.pending.delete(m.id);
    if (!this.pending.size) this.worker.unref();
    if (m.ok) p.resolve(m.value); else p.reject(new Error(m.error));
  }

  call(op, args = {}, handlers = {}, transfer = []) {
    if (!this.worker) return Promise.reject(new Error('this model was disposed'));
    const id = this.nextId++;
    this.worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...handlers });
      this.worker.post({ id, op, ...args }, transfer);
    });
  }

  // Replaces the loaded model; resolves to its info().
  async loadModel(source, options = {}) {
    let transfer = [];
    if (source instanceof ArrayBuffer) transfer = [source];
    this.modelInfo = await this.call('load', { source: toUrl(source), options: {
      verify: options.verify ?? true, contextLength: options.contextLength || 0 } },
    { onProgress: options.onProgress }, transfer);
    return this.modelInfo;
  }

  // { architecture, parameters, bytes, fits_budget, budget_bytes, context_length,
  //   vocab_size, block, tensor_types: {type: bytes}, tokenizer, license, metadata }
  info() { return this.call('info'); }
  // addBos: true, false, or 'once' (unless the text starts with BOS); special: match special
  // tokens written in the text.
  tokenize(text, { addBos = true, special = false } = {}) { return this.call('tokenize', { text, addBos, special }); }
  detokenize(ids) { return this.call('detokenize', { ids: Array.from(ids) }); }
  memoryBytes() { return this.call('memory'); }

  // An async iterator of text pieces, each generation from scratch (the default session
  // starts over). `prompt` is text (tokenized with BOS) or an array of ids. options:
  // { maxTokens = 256, temperature = 0.8, topK = 0, topP = 0.9, minP = 0, typicalP = 1,
  //   repeatPenalty = 1, repeatLastN = 64, presencePenalty = 0, frequencyPenalty = 0,
  //   logitBias: {id: value} (-Infinity bans), stop: [strings], stopIds: [ids], seed,
  //   ignoreEos, contextShift, keep, signal: AbortSignal, onToken({id}) }. After the loop,
  // `lastStats` holds { reason, promptTokens, generatedTokens, tokensPerSecond, seed, ... }.
  generate(prompt, options = {}) { return this.stream('generate', { prompt }, options); }

  // A chat turn on the default session: `messages` [{role, content}] rendered with the
  // model's template (or options.template, a built-in name) and the generation prompt; the
  // KV cache of the previous turns is reused (the common prefix), and the reply stops at the
  // template's end of turn. Options as generate(), plus template, now, variables. Sampled
  // turns draw from one random stream across the conversation, as `tinylm chat` does: the
  // seed seeds the first turn, and each later turn continues where the last one stopped.
  chat(messages, options = {}) { return this.stream('chat', { messages }, options); }

  // The prompt a chat template renders, byte for byte as transformers'
  // apply_chat_template(tokenize=False). options: { addGenerationPrompt = false, template
  // (a built-in name: chatml, llama3, ...; default the model's own), now
  // ('YYYY-MM-DDTHH:MM:SS' for strftime_now), variables: {tools, ...} }.
  renderChat(messages, options = {}) { return this.call('renderChat', { messages, options }); }

  // One id from logits with the sampler chain (the one every generation uses): resolves to
  // { id, state }; pass `state` back for the next draw (start with the seed, a BigInt).
  sample(logits, options = {}, { history = [], state = 0n } = {}) {
    return this.call('sample', { logits: Float32Array.from(logits), options, history: Array.from(history), state: BigInt(state) });
  }

  // A LoRA adapter (.slma from `tinylm convert ADAPTER --base MODEL.slm`) for this model:
  // a URL, path (Node), Blob or bytes. Attach it to a session (or this default one).
  async loadAdapter(source) {
    let transfer = [];
    if (source instanceof ArrayBuffer) transfer = [source];
    const id = await this.call('loadAdapter', { source: toUrl(source) }, {}, transfer);
    return new Adapter(this, id);
  }
  // The default session's adapters (used by generate and chat).
  attachAdapter(adapter, scale = 1) { return this.call('session', { session: 0, call: 'attach', args: [adapter.id, scale] }); }
  detachAdapter(adapter) { return this.call('session', { session: 0, call: 'detach', args: [adapter.id] }); }

  // Another KV cache over the same weights: generations continue where they stopped, and
  // the state can be truncated, saved and restored.
  async createSession({ contextLength = 0 } = {}) {
    return new Session(this, await this.call('createSession', { contextLength }));
  }

  // Streams one operation's text (see generate).
  async *stream(op, args, options) {
    const { signal, onToken, ...rest } = options;
    if (signal?.aborted) throw new DOMException('generation aborted', 'AbortError');
    const queue = [];
    let wake = null;
    let finished = false;
    let failure = null;
    const id = this.nextId;
    const done = this.call(op, { ...args, options: rest }, {
      onToken: (t) => {
        if (t.id !== undefined) onToken?.(t);
        if (t.text !== undefined) queue.push(t.text);
        wake?.();
      },
    });
    done.then((s) => { this.lastStats = s; }, (e) => { failure = e; })
      .finally(() => { finished = true; wake?.(); });
    const abort = () => this.worker?.post({ op: 'abort', target: id });
    signal?.addEventListener('abort', abort, { once: true });
    try {
      for (;;) {
        if (queue.length) { yield queue.shift(); continue; }
        if (finished) break;
        await new Promise((r) => { wake = r; });
        wake = null;
      }
      if (failure) throw failure;
    } finally {
      signal?.removeEventListener('abort', abort);
      if (!finished) { abort(); await done.catch(() => {}); }
    }
  }

  // Frees the model and stops the worker.
  async dispose() {
    if (!this.worker) return;
    try { await this.call('dispose'); } catch { /* already gone */ }
    this.worker.terminate();
    this.worker = null;
  }
}

// An adapter loaded in the worker (TinyLM.loadAdapter).
export class Adapter {
  constructor(lm, id) { this.lm = lm; this.id = id; }
  // Detaches it from every session and frees it.
  dispose() { return this.lm.call('freeAdapter', { adapter: this.id }); }
}

// A session of the worker (TinyLM.createSession): its own KV cache over the model.
export class Session {
  constructor(lm, id) { this.lm = lm; this.id = id; }
  op(call, ...args) { return this.lm.call('session', { session: this.id, call, args }); }
  // Text pieces; the prompt (text with BOS, or ids) is appended to what the session holds.
  generate(prompt, options = {}) { return this.lm.stream('generate', { prompt, session: this.id }, options); }
  // A chat turn on this session (see TinyLM.chat).
  chat(messages, options = {}) { return this.lm.stream('chat', { messages, session: this.id }, options); }
  position() { return this.op('position'); }
  contextLength() { return this.op('contextLength'); }
  tokens() { return this.op('tokens'); }
  reset() { return this.op('reset'); }
  // Goes back to `position` (edit and regenerate).
  truncate(position) { return this.op('truncate', position); }
  // Feeds ids; resolves to the logits (Float32Array; [n * vocab] with allLogits).
  eval(ids, { allLogits = false } = {}) { return this.op('eval', Array.from(ids), allLogits); }
  // The state (KV cache, ids) as bytes, bound to the model and its adapters; and back.
  save() { return this.op('save'); }
  restore(bytes) { return this.op('restore', bytes); }
  attachAdapter(adapter, scale = 1) { return this.op('attach', adapter.id, scale); }
  detachAdapter(adapter) { return this.op('detach', adapter.id); }
  dispose() { return this.lm.call('freeSession', { session: this.id }); }
}

export default TinyLM;
