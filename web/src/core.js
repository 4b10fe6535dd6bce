// The WebAssembly module (tinylm.wasm, a WASI reactor built by `cmake --preset wasm`) and a
// synchronous JS wrapper over its C API (include/tinylm.h). Runs wherever WebAssembly does:
// in the package's worker (browser or Node worker_threads) and directly in Node scripts.

const ERRNO_SUCCESS = 0;
const ERRNO_BADF = 8;
const ERRNO_NOSYS = 52;
const DONE = -1;
const ERROR = -2;

// The few WASI imports the module uses (fd_write for stderr; the rest are stubs). Any
// other import the module names gets an ENOSYS stub, so a new libc call never breaks loading.
function wasiImports(getMemory, module) {
  const decoder = new TextDecoder();
  let line = '';
  const wasi = {
    fd_write(fd, iovs, iovsLen, nwritten) {
      const view = new DataView(getMemory().buffer);
      let total = 0;
      for (let i = 0; i < iovsLen; i++) {
        const ptr = view.getUint32(iovs + i * 8, true);
        const len = view.getUint32(iovs + i * 8 + 4, true);
        line += decoder.decode(new Uint8Array(getMemory().buffer, ptr, len), { stream: true });
        total += len;
      }
      const nl = line.lastIndexOf('\n');
      if (nl >= 0) {
        (fd === 2 ? console.error : console.log)(line.slice(0, nl));
        line = line.slice(nl + 1);
      }
      view.setUint32(nwritten, total, true);
      return ERRNO_SUCCESS;
    },
    fd_close: () => ERRNO_BADF,
    fd_seek: () => ERRNO_BADF,
    fd_fdstat_get: () => ERRNO_BADF,
    fd_prestat_get: () => ERRNO_BADF,
    clock_time_get(id, precision, out) {
      const ns = BigInt(Math.round((id === 0 ? Date.now() : performance.now()) * 1e6));
      new DataView(getMemory().buffer).setBigUint64(out, ns, true);
      return ERRNO_SUCCESS;
    },
    random_get(ptr, len) {
      crypto.getRandomValues(new Uint8Array(getMemory().buffer, ptr, len));
      return ERRNO_SUCCESS;
    },
    environ_sizes_get(count, size) {
      const view = new DataView(getMemory().buffer);
      view.setUint32(count, 0, true);
      view.setUint32(size, 0, true);
      return ERRNO_SUCCESS;
    },
    environ_get: () => ERRNO_SUCCESS,
    args_sizes_get(count, size) {
      return wasi.environ_sizes_get(count, size);
    },
    args_get: () => ERRNO_SUCCESS,
    proc_exit(code) {
      throw new Error(`tinylm: the WebAssembly module exited (status ${code})`);
    },
  };
  const imports = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== 'function') continue;
    imports[imp.module] ??= {};
    imports[imp.module][imp.name] = (imp.module === 'wasi_snapshot_preview1' && wasi[imp.name]) ||
      (() => ERRNO_NOSYS);
  }
  return imports;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

// One instance of the module: one model at a time, any number of sessions.
export class Engine {
  // `module` is a WebAssembly.Module or the bytes of tinylm.wasm.
  static async create(module) {
    if (!(module instanceof WebAssembly.Module)) module = await WebAssembly.compile(module);
    let instance;
    const imports = wasiImports(() => instance.exports.memory, module);
    instance = await WebAssembly.instantiate(module, imports);
    instance.exports._initialize();
    return new Engine(instance.exports);
  }

  constructor(exports) {
    this.x = exports;
    this.model = 0;
  }

  get memory() { return this.x.memory; }
  bytes(ptr, len) { return new Uint8Array(this.x.memory.buffer, ptr, len); }
  cstring(ptr, len) {
    if (len === undefined) {
      const m = new Uint8Array(this.x.memory.buffer);
      len = 0;
      while (m[ptr + len] !== 0) len++;
    }
    return fromUtf8.decode(this.bytes(ptr, len));
  }
  error(context) {
    const message = this.cstring(this.x.tinylm_last_error());
    return new Error(context ? `${context}: ${message}` : message);
  }
  version() { return this.cstring(this.x.tinylm_version()); }

  // A 64-byte aligned buffer of `size` bytes in wasm memory, for the model file.
  alloc(size) {
    const ptr = this.x.tinylm_alloc(size);
    if (!ptr) throw this.error(`cannot allocate ${size} bytes for the model`);
    return ptr;
  }
  free(ptr) { this.x.tinylm_free(ptr); }

  // Loads the model whose `size` bytes are at `ptr` (from alloc); the model owns them now.
  // A failed load leaves the previous model loaded.
  loadModel(ptr, size, { verify = true } = {}) {
    const model = this.x.tinylm_model_load(ptr, size, verify ? 0 : 1);
    if (!model) throw this.error('not a usable .slm model');
    this.unloadModel();
    this.model = model;
    return JSON.parse(this.cstring(this.x.tinylm_model_info_json(model)));
  }
  // Copies bytes (a Uint8Array) into wasm memory once and loads them.
  loadModelBytes(bytes, options) {
    const ptr = this.alloc(bytes.byteLength);
    this.bytes(ptr, bytes.byteLength).set(bytes);
    return this.loadModel(ptr, bytes.byteLength, options);
  }
  unloadModel() {
    if (this.model) this.x.tinylm_model_free(this.model);
    this.model = 0;
  }
  requireModel() {
    if (!this.model) throw new Error('no model is loaded');
    return this.model;
  }
  info() { return JSON.parse(this.cstring(this.x.tinylm_model_info_json(this.requireModel()))); }

  // Runs fn(ptr) with `n` bytes of scratch in wasm memory.
  withScratch(n, fn) {
    const ptr = this.x.tinylm_alloc(Math.max(n, 1));
    if (!ptr) throw this.error('out of memory');
    try { return fn(ptr); } finally { this.x.tinylm_free(ptr); }
  }
  withIds(ids, fn) {
    return this.withScratch(ids.length * 4, (ptr) => {
      new Int32Array(this.x.memory.buffer, ptr, ids.length).set(ids);
      return fn(ptr);
    });
  }

  // Text -> ids (addBos: true, false, or undefined = the tokenizer's default).
  tokenize(text, { addBos } = {}) {
    const model = this.requireModel();
    const bytes = utf8.encode(text);
    const flag = addBos === undefined ? -1 : addBos ? 1 : 0;
    return this.withScratch(bytes.length, (textPtr) => {
      this.bytes(textPtr, bytes.length).set(bytes);
      let capacity = bytes.length + 8;
      for (;;) {
        const ids = this.withScratch(capacity * 4, (idsPtr) => {
          const n = this.x.tinylm_tokenize(model, textPtr, bytes.length, flag, idsPtr, capacity);
          if (n < 0) throw this.error('tokenize');
          if (n > capacity) { capacity = n; return null; }
          return Array.from(new Int32Array(this.x.memory.buffer, idsPtr, n));
        });
        if (ids) return ids;
      }
    });
  }

  detokenize(ids) {
    const model = this.requireModel();
    return this.withIds(ids, (ptr) => this.withScratch(4, (lenPtr) => {
      const text = this.x.tinylm_detokenize(model, ptr, ids.length, lenPtr);
      if (!text) throw this.error('detokenize');
      return this.cstring(text, new Uint32Array(this.x.memory.buffer, lenPtr, 1)[0]);
    }));
  }

  createSession(contextLength = 0) {
    const s = this.x.tinylm_session_create(this.requireModel(), contextLength);
    if (!s) throw this.error('cannot create a session');
    return new Session(this, s);
  }
}

// One sequence's state (KV cache). Generation is step by step: begin() then next().
export class Session {
  constructor(engine, handle) {
    this.e = engine;
    this.h = handle;
    this.vocab = engine.x.tinylm_model_vocab_size(engine.model);
  }
  free() { if (this.h) this.e.x.tinylm_session_free(this.h); this.h = 0; }
  reset() { this.e.x.tinylm_session_reset(this.h); }
  get position() { return this.e.x.tinylm_session_position(this.h); }
  get contextLength() { return this.e.x.tinylm_session_context_length(this.h); }
  get memoryBytes() { return Number(this.e.x.tinylm_session_memory_bytes(this.h)); }

  // Feeds ids; returns a Float32Array copy of the logits ([n * vocab] with allLogits).
  eval(ids, allLogits = false) {
    return this.e.withIds(ids, (ptr) => {
      const out = this.e.x.tinylm_session_eval(this.h, ptr, ids.length, allLogits ? 1 : 0);
      if (!out) throw this.e.error('eval');
      const n = (allLogits ? ids.length : 1) * this.vocab;
      return new Float32Array(this.e.x.memory.buffer, out, n).slice();
    });
  }

  begin(promptIds, { temperature = 0.8, topK = 0, topP = 0.9, seed = 0, ignoreStop = false } = {}) {
    if (!promptIds.length) throw new Error('the prompt is empty (it needs at least one token)');
    const rc = this.e.withIds(promptIds, (ptr) => this.e.x.tinylm_generate_begin(
      this.h, ptr, promptIds.length, temperature, topK, topP, BigInt.asUintN(64, BigInt(seed)),
      ignoreStop ? 1 : 0));
    if (rc !== 0) throw this.e.error('generate');
  }
  piece(ptrFn) {
    return this.e.withScratch(4, (lenPtr) => {
      const p = ptrFn(lenPtr);
      return this.e.cstring(p, new Uint32Array(this.e.x.memory.buffer, lenPtr, 1)[0]);
    });
  }
  // {id, text} for the next token, or {id: -1, text: rest, reason} when generation ended.
  next() {
    const id = this.e.x.tinylm_generate_next(this.h);
    if (id === ERROR) throw this.e.error('generate');
    const text = this.piece((len) => this.e.x.tinylm_generate_piece(this.h, len));
    if (id === DONE) return { id, text, reason: this.e.cstring(this.e.x.tinylm_generate_stop_reason(this.h)) };
    return { id, text };
  }
  // Ends early; returns the decoder's remaining text.
  end() { return this.piece((len) => this.e.x.tinylm_generate_end(this.h, len)); }
}
