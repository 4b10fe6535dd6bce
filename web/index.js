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
  // path works too; an ArrayBuffer is transferred (detached). options: { onProgress({loaded, total}), wasmUrl, verify, contextLength }.
  static async load(source, options = {}) {
    const lm = new TinyLM(await startWorker());
    const wasmUrl = options.wasmUrl ? toUrl(options.wasmUrl) : new URL('./tinylm.wasm', import.meta.url).href;
    await lm.call('init', { wasmUrl });
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
  tokenize(text, { addBos = true } = {}) { return this.call('tokenize', { text, addBos }); }
  detokenize(ids) { return this.call('detokenize', { ids: Array.from(ids) }); }
  memoryBytes() { return this.call('memory'); }

  // An async iterator of text pieces. options: { maxTokens = 256, temperature = 0.8,
  // topK = 0, topP = 0.9, seed, stop: [strings], signal: AbortSignal, ignoreEos,
  // onToken({id}) }. `prompt` is text (tokenized with BOS) or an array of ids. After the
  // loop, `lastStats` holds { reason, promptTokens, generatedTokens, tokensPerSecond, ... }.
  async *generate(prompt, options = {}) {
    const { signal, onToken, ...rest } = options;
    if (signal?.aborted) throw new DOMException('generation aborted', 'AbortError');
    const queue = [];
    let wake = null;
    let finished = false;
    let failure = null;
    const id = this.nextId;
    const done = this.call('generate', { prompt, options: rest }, {
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

export default TinyLM;
