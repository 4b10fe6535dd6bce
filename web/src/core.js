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

// tinylm_sampling in wasm32 memory (include/tinylm.h; the offsets are static_asserts in
// src/api/handles.h) and tinylm_generate_stats.
const SAMPLING_BYTES = 88;
const STATS_BYTES = 40;

// JS generation options -> the fields of tinylm_sampling (the rest keep
// tinylm_sampling_defaults()). logitBias: {id: value}, a Map, or [[id, value], ...].
function biasEntries(bias) {
  if (!bias) return [];
  const entries = bias instanceof Map ? [...bias] : Array.isArray(bias) ? bias : Object.entries(bias);
  return entries.map(([id, value]) => [Number(id), Number(value)]);
}

// An instance of one of the package's modules (WASI reactors over include/tinylm.h) with the
// helpers to pass strings, ids and bytes through its memory.
class WasmModule {
  // `module` is a WebAssembly.Module or the bytes of the .wasm file.
  static async instantiate(module) {
    if (!(module instanceof WebAssembly.Module)) module = await WebAssembly.compile(module);
    let instance;
    const imports = wasiImports(() => instance.exports.memory, module);
    instance = await WebAssembly.instantiate(module, imports);
    instance.exports._initialize();
    return instance.exports;
  }

  constructor(exports) { this.x = exports; }
  get memory() { return this.x.memory; }
  bytes(ptr, len) { return new Uint8Array(this.x.memory.buffer, ptr, len); }
  i32(ptr, n) { return new Int32Array(this.x.memory.buffer, ptr, n); }
  view() { return new DataView(this.x.memory.buffer); }
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
  // Runs fn(ptr) with `n` bytes of scratch in wasm memory.
  withScratch(n, fn) {
    const ptr = this.x.tinylm_alloc(Math.max(n, 1));
    if (!ptr) throw this.error('out of memory');
    try { return fn(ptr); } finally { this.x.tinylm_free(ptr); }
  }
  withIds(ids, fn) {
    return this.withScratch(ids.length * 4, (ptr) => {
      this.i32(ptr, ids.length).set(ids);
      return fn(ptr);
    });
  }
  // Runs fn(ptr, length) with the UTF-8 bytes of `text` (NUL-terminated) in wasm memory.
  withText(text, fn) {
    const bytes = utf8.encode(text);
    return this.withScratch(bytes.length + 1, (ptr) => {
      this.bytes(ptr, bytes.length).set(bytes);
      this.bytes(ptr + bytes.length, 1)[0] = 0;
      return fn(ptr, bytes.length);
    });
  }
  // The text of a call that returns a C string and writes its byte length to its last
  // argument; null when it returns NULL.
  sized(call) {
    return this.withScratch(4, (lenPtr) => {
      const p = call(lenPtr);
      if (!p) return null;
      return this.cstring(p, new Uint32Array(this.x.memory.buffer, lenPtr, 1)[0]);
    });
  }
}

// tinylm-chat.wasm: the chat template interpreter (src/chat/), a module of its own so that
// tinylm.wasm stays small; loaded when a page first renders a chat (Engine.loadChat).
export class ChatTemplates extends WasmModule {
  static async create(module) { return new ChatTemplates(await WasmModule.instantiate(module)); }
  // The built-in templates' names, comma-separated.
  names() { return this.cstring(this.x.tinylm_chat_template_names()); }
  // A template handle from a built-in name or from source text.
  builtin(name) {
    const t = this.withText(name, (p) => this.x.tinylm_chat_template_builtin(p));
    if (!t) throw this.error('chat template');
    return t;
  }
  parse(source) {
    const t = this.withText(source, (p, n) => this.x.tinylm_chat_template_parse(p, n));
    if (!t) throw this.error('chat template');
    return t;
  }
  free(t) { this.x.tinylm_chat_template_free(t); }
  // bos_token / eos_token for renders that lack them (null = none).
  setTokens(t, bos, eos) {
    this.withText(bos ?? '', (b) => this.withText(eos ?? '', (e) =>
      this.x.tinylm_chat_template_set_tokens(t, bos === null ? 0 : b, eos === null ? 0 : e)));
  }
  // Pins strftime_now's clock ('YYYY-MM-DDTHH:MM:SS'; undefined = the real clock).
  setNow(t, now) {
    const rc = now === undefined ? this.x.tinylm_chat_template_set_now(t, 0)
      : this.withText(String(now), (p) => this.x.tinylm_chat_template_set_now(t, p));
    if (rc !== 0) throw this.error('now');
  }
  // Renders a JSON object of template variables.
  render(t, variables) {
    return this.withText(JSON.stringify(variables), (ptr, length) => {
      const text = this.sized((len) => this.x.tinylm_chat_template_render(t, ptr, length, len));
      if (text === null) throw this.error('chat template');
      return text;
    });
  }
  endMarker(t) { return this.cstring(this.x.tinylm_chat_template_end_marker(t)); }
}

// tinylm.wasm: one model at a time, any number of sessions and adapters.
export class Engine extends WasmModule {
  static async create(module) { return new Engine(await WasmModule.instantiate(module)); }

  constructor(exports) {
    super(exports);
    this.model = 0;
    this.chat = null;            // ChatTemplates, once loadChat ran
    this.templates = new Map();  // name ('' = the model's own) -> template handle in this.chat
  }

  // Loads tinylm-chat.wasm (a WebAssembly.Module or its bytes) for renderChat.
  async loadChat(module) {
    if (!this.chat) this.chat = await ChatTemplates.create(module);
    return this.chat;
  }

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
    this.onModelChange?.();  // sessions and adapters of the previous model go first
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
  // Frees the model and its chat templates (free its sessions and adapters first).
  unloadModel() {
    for (const t of this.templates.values()) this.chat.free(t);
    this.templates.clear();
    if (this.model) this.x.tinylm_model_free(this.model);
    this.model = 0;
  }
  requireModel() {
    if (!this.model) throw new Error('no model is loaded');
    return this.model;
  }
  info() { return JSON.parse(this.cstring(this.x.tinylm_model_info_json(this.requireModel()))); }


  tokenizer() {
    const t = this.x.tinylm_model_tokenizer(this.requireModel());
    if (!t) throw this.error('tokenize');
    return t;
  }
  // Text -> ids. addBos: true, false, undefined (the tokenizer's default) or 'once' (the
  // default unless the text already starts with BOS: rendered chat prompts); special: match
  // special tokens written in the text (<|im_start|>, ...).
  tokenize(text, { addBos, special = false } = {}) {
    const tokenizer = this.tokenizer();
    const flag = addBos === undefined ? -1 : addBos === 'once' ? -2 : addBos ? 1 : 0;
    return this.withText(text, (textPtr, length) => {
      let capacity = length + 8;
      for (;;) {
        const ids = this.withScratch(capacity * 4, (idsPtr) => {
          const n = this.x.tinylm_tokenizer_encode(tokenizer, textPtr, length, flag, special ? 1 : 0, idsPtr, capacity);
          if (n < 0) throw this.error('tokenize');
          if (n > capacity) { capacity = n; return null; }
          return Array.from(this.i32(idsPtr, n));
        });
        if (ids) return ids;
      }
    });
  }

  detokenize(ids) {
    const model = this.requireModel();
    return this.withIds(ids, (ptr) => {
      const text = this.sized((len) => this.x.tinylm_detokenize(model, ptr, ids.length, len));
      if (text === null) throw this.error('detokenize');
      return text;
    });
  }

  // The vocabulary's piece of an id (as stored), or null.
  piece(id) { return this.sized((len) => this.x.tinylm_tokenizer_piece(this.tokenizer(), id, len)); }
  // The id of a piece, or -1.
  pieceId(piece) {
    return this.withText(piece, (ptr, length) => this.x.tinylm_tokenizer_piece_id(this.tokenizer(), ptr, length));
  }
  bosId() { return this.x.tinylm_tokenizer_bos_id(this.tokenizer()); }
  eosId() { return this.x.tinylm_tokenizer_eos_id(this.tokenizer()); }
  stopIds() {
    return this.withScratch(4, (nPtr) => {
      const p = this.x.tinylm_model_stop_ids(this.requireModel(), nPtr);
      return Array.from(this.i32(p, this.i32(nPtr, 1)[0]));
    });
  }

  createSession(contextLength = 0) {
    const s = this.x.tinylm_session_create(this.requireModel(), contextLength);
    if (!s) throw this.error('cannot create a session');
    return new Session(this, s);
  }

  // A LoRA adapter (.slma bytes) for the loaded model. Free it after detaching it from every
  // session (and before the model).
  loadAdapter(bytes) {
    const model = this.requireModel();
    const ptr = this.alloc(bytes.byteLength);
    this.bytes(ptr, bytes.byteLength).set(bytes);
    const h = this.x.tinylm_adapter_load(model, ptr, bytes.byteLength);
    if (!h) throw this.error('not a usable .slma adapter for this model');
    return { h, free: () => this.x.tinylm_adapter_free(h) };
  }

  // The chat template (a handle in this.chat): `name` a built-in ("chatml", "llama3", ...)
  // or undefined for the model's own; bos_token / eos_token default to the model's.
  chatTemplate(name) {
    if (!this.chat) throw new Error('the chat module is not loaded (Engine.loadChat)');
    const key = name ?? '';
    let t = this.templates.get(key);
    if (t) return t;
    if (name !== undefined) {
      t = this.chat.builtin(name);
    } else {
      const source = this.sized((len) => this.x.tinylm_model_chat_template(this.requireModel(), len));
      if (source === null) {
        throw new Error(`${this.cstring(this.x.tinylm_last_error())}; choose a built-in template (${this.chat.names()})`);
      }
      t = this.chat.parse(source);
    }
    const tokenizer = this.x.tinylm_model_tokenizer(this.requireModel());
    this.chat.setTokens(t, tokenizer ? this.piece(this.bosId()) : null, tokenizer ? this.piece(this.eosId()) : null);
    this.templates.set(key, t);
    return t;
  }

  // Renders a conversation: messages [{role, content}], options { addGenerationPrompt
  // (default false, as transformers), template (a built-in name; default the model's), now
  // ('YYYY-MM-DDTHH:MM:SS' for strftime_now), variables (more template variables: tools,
  // bos_token, ...) }.
  renderChat(messages, { addGenerationPrompt = false, template, now, variables = {} } = {}) {
    const t = this.chatTemplate(template);
    this.chat.setNow(t, now);
    return this.chat.render(t, { ...variables, messages, add_generation_prompt: !!addGenerationPrompt });
  }
  // The text that ends an assistant turn in the template ("" when none).
  chatEndMarker(template) { return this.chat.endMarker(this.chatTemplate(template)); }

  // Writes tinylm_sampling for `o` at ptr, the arrays it points to in `scratch` allocations
  // (freed by the caller). Options: temperature, topK, topP, minP, typicalP, repeatPenalty,
  // repeatLastN, presencePenalty, frequencyPenalty, logitBias, seed, ignoreEos, stop
  // (strings), stopIds, contextShift, keep (ignoreStop: ignoreEos's older name).
  writeSampling(ptr, o, scratch) {
    this.x.tinylm_sampling_defaults(ptr);  // returned through a pointer (wasm32 C ABI)
    const v = this.view();
    const f32 = (off, x) => { if (x !== undefined) v.setFloat32(ptr + off, Number(x), true); };
    const i32 = (off, x) => { if (x !== undefined) v.setInt32(ptr + off, Number(x), true); };
    f32(0, o.temperature); i32(4, o.topK); f32(8, o.topP); f32(12, o.minP); f32(16, o.typicalP);
    f32(20, o.repeatPenalty); i32(24, o.repeatLastN); f32(28, o.presencePenalty); f32(32, o.frequencyPenalty);
    if (o.seed !== undefined) v.setBigUint64(ptr + 40, BigInt.asUintN(64, BigInt(o.seed)), true);
    i32(48, o.ignoreEos || o.ignoreStop ? 1 : 0);
    const array = (bytes) => { const p = this.x.tinylm_alloc(Math.max(bytes, 1)); if (!p) throw this.error('out of memory'); scratch.push(p); return p; };
    const bias = biasEntries(o.logitBias);
    if (bias.length) {
      const ids = array(bias.length * 4), values = array(bias.length * 4);
      bias.forEach(([id, value], i) => {
        this.view().setInt32(ids + i * 4, id, true);
        this.view().setFloat32(values + i * 4, value, true);
      });
      i32(52, ids); i32(56, values); i32(60, bias.length);
    }
    const stops = o.stop || [];
    if (stops.length) {
      const list = array(stops.length * 4);
      stops.forEach((s, i) => {
        const bytes = utf8.encode(String(s));
        const p = array(bytes.length + 1);
        this.bytes(p, bytes.length).set(bytes);
        this.bytes(p + bytes.length, 1)[0] = 0;
        this.view().setUint32(list + i * 4, p, true);
      });
      i32(64, list); i32(68, stops.length);
    }
    const stopIds = o.stopIds || [];
    if (stopIds.length) {
      const p = array(stopIds.length * 4);
      this.i32(p, stopIds.length).set(stopIds);
      i32(72, p); i32(76, stopIds.length);
    }
    i32(80, o.contextShift ? 1 : 0);
    i32(84, o.keep ?? 0);
  }
  withSampling(options, fn) {
    const scratch = [];
    try {
      return this.withScratch(SAMPLING_BYTES, (ptr) => { this.writeSampling(ptr, options || {}, scratch); return fn(ptr); });
    } finally { for (const p of scratch) this.x.tinylm_free(p); }
  }

  // One id from logits (a Float32Array) with the sampler chain (tinylm_sample): the same id
  // a generation would pick. history: the ids seen so far (penalties); state: the random
  // state as a BigInt (start with the seed). Returns { id, state }.
  sample(logits, options = {}, history = [], state = 0n) {
    return this.withSampling(options, (o) => this.withScratch(logits.length * 4, (lp) => {
      new Float32Array(this.x.memory.buffer, lp, logits.length).set(logits);
      return this.withIds(history, (hp) => this.withScratch(8, (sp) => {
        this.view().setBigUint64(sp, BigInt.asUintN(64, BigInt(state)), true);
        const id = this.x.tinylm_sample(o, lp, logits.length, hp, history.length, sp);
        if (id < 0) throw this.error('sample');
        return { id, state: this.view().getBigUint64(sp, true) };
      }));
    }));
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
  // The ids fed so far.
  tokens() {
    return this.e.withScratch(4, (nPtr) => {
      const p = this.e.x.tinylm_session_tokens(this.h, nPtr);
      return Array.from(this.e.i32(p, this.e.i32(nPtr, 1)[0]));
    });
  }

  // Feeds ids; returns a Float32Array copy of the logits ([n * vocab] with allLogits).
  eval(ids, allLogits = false) {
    return this.e.withIds(ids, (ptr) => {
      const out = this.e.x.tinylm_session_eval(this.h, ptr, ids.length, allLogits ? 1 : 0);
      if (!out) throw this.e.error('eval');
      const n = (allLogits ? ids.length : 1) * this.vocab;
      return new Float32Array(this.e.x.memory.buffer, out, n).slice();
    });
  }
  // Goes back to `position`.
  truncate(position) { if (this.e.x.tinylm_session_truncate(this.h, position) !== 0) throw this.e.error('truncate'); }
  // Keeps the longest common prefix with `ids` (leaving one to feed); returns its length.
  keepPrefix(ids) {
    const n = this.e.withIds(ids, (ptr) => this.e.x.tinylm_session_keep_prefix(this.h, ptr, ids.length));
    if (n < 0) throw this.e.error('keepPrefix');
    return n;
  }
  // The state as bytes (a copy), and back.
  save() {
    return this.e.withScratch(4, (lenPtr) => {
      const p = this.e.x.tinylm_session_save(this.h, lenPtr);
      if (!p) throw this.e.error('save');
      return this.e.bytes(p, new Uint32Array(this.e.x.memory.buffer, lenPtr, 1)[0]).slice();
    });
  }
  restore(bytes) {
    const rc = this.e.withScratch(bytes.byteLength, (ptr) => {
      this.e.bytes(ptr, bytes.byteLength).set(bytes);
      return this.e.x.tinylm_session_restore(this.h, ptr, bytes.byteLength);
    });
    if (rc !== 0) throw this.e.error('restore');
  }
  attachAdapter(adapter, scale = 1) {
    if (this.e.x.tinylm_session_attach_adapter(this.h, adapter.h, scale) !== 0) throw this.e.error('attach');
  }
  detachAdapter(adapter) { return this.e.x.tinylm_session_detach_adapter(this.h, adapter.h) === 1; }

  // Feeds the prompt (appended to the session) and sets up sampling and stopping (every
  // option of Engine.writeSampling).
  begin(promptIds, options = {}) {
    if (!promptIds.length) throw new Error('the prompt is empty (it needs at least one token)');
    const rc = this.e.withSampling(options, (o) => this.e.withIds(promptIds, (ptr) =>
      this.e.x.tinylm_generate_begin_ex(this.h, ptr, promptIds.length, o)));
    if (rc !== 0) throw this.e.error('generate');
  }
  piece(ptrFn) { return this.e.sized(ptrFn); }
  // {id, text} for the next token, or {id: -1, text: rest, reason} when generation ended.
  next() {
    const id = this.e.x.tinylm_generate_next(this.h);
    if (id === ERROR) throw this.e.error('generate');
    const text = this.piece((len) => this.e.x.tinylm_generate_piece(this.h, len));
    if (id === DONE) return { id, text, reason: this.e.cstring(this.e.x.tinylm_generate_stop_reason(this.h)) };
    return { id, text };
  }
  // Ends early; returns the remaining text.
  end() { return this.piece((len) => this.e.x.tinylm_generate_end(this.h, len)); }
  // The random state after the last generation (a BigInt; 0n before any). Given as the next
  // generation's seed, it continues the same random stream.
  rngState() { return BigInt.asUintN(64, this.e.x.tinylm_generate_rng_state(this.h)); }
  // The last generation's counts and times.
  stats() {
    return this.e.withScratch(STATS_BYTES, (p) => {
      this.e.x.tinylm_generate_get_stats(this.h, p);
      const v = this.e.view();
      return { promptTokens: v.getInt32(p, true), generatedTokens: v.getInt32(p + 4, true),
        promptSeconds: v.getFloat64(p + 8, true), generateSeconds: v.getFloat64(p + 16, true),
        contextShifts: v.getInt32(p + 24, true), shiftedTokens: v.getInt32(p + 28, true),
        reevaluatedTokens: v.getInt32(p + 32, true) };
    });
  }
}
