// Type declarations of the tinylm package (index.js).

export interface LoadProgress {
  /** Bytes received so far. */
  loaded: number;
  /** Total bytes, or 0 when the server did not say. */
  total: number;
}

export interface LoadOptions {
  onProgress?: (progress: LoadProgress) => void;
  /** Where tinylm.wasm is (default: beside index.js). */
  wasmUrl?: string | URL;
  /** Where tinylm-chat.wasm (the chat template interpreter, loaded on the first renderChat
   * or chat) is (default: beside index.js). */
  chatWasmUrl?: string | URL;
  /** Hash the tensor data while loading (default true). */
  verify?: boolean;
  /** Session context in tokens (default: the model's). */
  contextLength?: number;
}

export interface ModelInfo {
  architecture: string;
  parameters: number;
  /** The .slm file size. */
  bytes: number;
  /** The browser budget (33.5 MB) and whether the file fits it. */
  budget_bytes: number;
  fits_budget: boolean;
  context_length: number;
  vocab_size: number;
  block: {
    dim: number; n_layers: number; n_heads: number; n_kv_heads: number; head_dim: number;
    ffn_dim: number; ffn: string; norm: string; residual: string; positions: string;
    tied_embeddings: boolean;
  };
  /** Bytes per tensor type ("f32", "f16", "q8_0", "q4_0"). */
  tensor_types: Record<string, number>;
  tokenizer: { size: number; bos_id: number; eos_id: number } | null;
  /** source.license from the provenance ("" when not recorded). */
  license: string;
  /** The file's metadata as `tinylm info` shows it (provenance: source.*, converter.*). */
  metadata: Record<string, string>;
}

/** Every control of the sampler chain (src/runtime/sampler.h: penalties and bias ->
 * temperature -> softmax -> top-k -> typical -> top-p -> min-p -> draw). */
export interface SamplingOptions {
  /** 0 = greedy (default 0.8). */
  temperature?: number;
  /** 0 = off (default). */
  topK?: number;
  /** Outside (0, 1) = off (default 0.9). */
  topP?: number;
  /** Keep p >= minP * p_max; 0 = off (default). */
  minP?: number;
  /** Locally typical sampling; 1 = off (default). */
  typicalP?: number;
  /** Positive logits of recent ids divided, negative multiplied; 1 = off (default). */
  repeatPenalty?: number;
  /** The penalty window: the last N ids (default 64; -1 = all, 0 = none). */
  repeatLastN?: number;
  /** logit -= presencePenalty * (count > 0) + frequencyPenalty * count (default 0). */
  presencePenalty?: number;
  frequencyPenalty?: number;
  /** Added to the logits of these ids; -Infinity bans an id. */
  logitBias?: Record<number, number> | Map<number, number> | Array<[number, number]>;
  /** Same seed, same text (default: random). */
  seed?: number | bigint;
}

export interface GenerateOptions extends SamplingOptions {
  /** Generated tokens at most (default 256). */
  maxTokens?: number;
  /** Generation ends before the first occurrence of any of these strings (matched across
   * tokens; never passed on). */
  stop?: string[];
  /** More ids that end generation (besides the model's end-of-sequence ids). */
  stopIds?: number[];
  signal?: AbortSignal;
  /** Keep going past the model's end-of-sequence token (and stopIds). */
  ignoreEos?: boolean;
  /** When the context is full, keep the first `keep` ids, drop the oldest half of the rest
   * and go on (instead of ending with 'context_full'). */
  contextShift?: boolean;
  keep?: number;
  /** Called with each generated token id. */
  onToken?: (token: { id: number }) => void;
}

export interface ChatMessage {
  role: string;
  content: string;
}

export interface RenderChatOptions {
  /** Append the assistant's turn header (default false, as transformers). */
  addGenerationPrompt?: boolean;
  /** A built-in template (chatml, qwen2, llama2, llama3, mistral, gemma, zephyr, phi3,
   * vicuna, deepseek-coder); default: the model's own. */
  template?: string;
  /** Pins strftime_now: 'YYYY-MM-DDTHH:MM:SS'. */
  now?: string;
  /** More template variables (tools, documents, bos_token, ...). */
  variables?: Record<string, unknown>;
}

export interface ChatOptions extends GenerateOptions, Omit<RenderChatOptions, 'addGenerationPrompt'> {}

export interface GenerateStats {
  reason: 'max_tokens' | 'stop_token' | 'context_full' | 'stop_sequence' | 'aborted';
  promptTokens: number;
  generatedTokens: number;
  promptMs: number;
  decodeMs: number;
  tokensPerSecond: number;
  /** The WebAssembly memory's size in bytes. */
  memoryBytes: number;
  /** The seed used (the given one, or the random one drawn). */
  seed: number | bigint;
  /** Shifts of a full context (contextShift). */
  contextShifts: number;
  /** The session's position after the generation. */
  position: number;
  /** chat(): the prompt ids whose KV cache was reused from the previous turn. */
  reusedTokens?: number;
}

/** A LoRA adapter loaded in the worker (TinyLM.loadAdapter). */
export class Adapter {
  readonly id: number;
  /** Detaches it from every session and frees it. */
  dispose(): Promise<boolean>;
}

/** A KV cache of its own over the model (TinyLM.createSession). */
export class Session {
  readonly id: number;
  /** Text pieces; the prompt (text tokenized with BOS, or ids) continues the session. */
  generate(prompt: string | number[], options?: GenerateOptions): AsyncGenerator<string, void, void>;
  /** A chat turn on this session (see TinyLM.chat). */
  chat(messages: ChatMessage[], options?: ChatOptions): AsyncGenerator<string, void, void>;
  position(): Promise<number>;
  contextLength(): Promise<number>;
  /** The ids fed so far. */
  tokens(): Promise<number[]>;
  reset(): Promise<void>;
  /** Goes back to `position` (edit and regenerate). */
  truncate(position: number): Promise<void>;
  /** Feeds ids; the logits of the last one ([n * vocab] with allLogits). */
  eval(ids: ArrayLike<number>, options?: { allLogits?: boolean }): Promise<Float32Array>;
  /** The state (KV cache, ids), bound to the model, its adapters and the context length. */
  save(): Promise<Uint8Array>;
  restore(state: Uint8Array): Promise<void>;
  /** Applies the adapter unmerged at `scale` (again: changes the scale). */
  attachAdapter(adapter: Adapter, scale?: number): Promise<void>;
  detachAdapter(adapter: Adapter): Promise<boolean>;
  dispose(): Promise<boolean>;
}

export type ModelSource = string | URL | ArrayBuffer | Uint8Array | Blob;

export class TinyLM {
  /** Starts a worker and loads a model from a URL (streamed), bytes, a File/Blob, or (Node) a
   * path. An ArrayBuffer is transferred to the worker (it is detached afterwards). */
  static load(source: ModelSource, options?: LoadOptions): Promise<TinyLM>;
  /** Replaces the model; a failed load keeps the previous one. */
  loadModel(source: ModelSource, options?: LoadOptions): Promise<ModelInfo>;
  /** The info of the loaded model, as returned by the last successful load. */
  readonly modelInfo: ModelInfo | null;
  info(): Promise<ModelInfo>;
  /** addBos: 'once' adds BOS unless the text already starts with it; special: special
   * tokens written in the text (<|im_start|>, ...) become their ids. */
  tokenize(text: string, options?: { addBos?: boolean | 'once'; special?: boolean }): Promise<number[]>;
  detokenize(ids: ArrayLike<number>): Promise<string>;
  memoryBytes(): Promise<number>;
  /** Text pieces as they are generated; `prompt` is text (tokenized with BOS) or ids. Each
   * call starts the default session over. */
  generate(prompt: string | number[], options?: GenerateOptions): AsyncGenerator<string, void, void>;
  /** A chat turn on the default session: the conversation rendered with the template and
   * the generation prompt, the previous turns' KV cache reused, the reply ending at the
   * template's end of turn (e.g. <|im_end|>). */
  chat(messages: ChatMessage[], options?: ChatOptions): AsyncGenerator<string, void, void>;
  /** The prompt a chat template renders, byte for byte as transformers'
   * apply_chat_template(tokenize=False). */
  renderChat(messages: ChatMessage[], options?: RenderChatOptions): Promise<string>;
  /** One id from logits with the sampler chain, as a generation would pick it; pass the
   * returned state to the next call (start with the seed). */
  sample(logits: ArrayLike<number>, options?: SamplingOptions,
    context?: { history?: ArrayLike<number>; state?: bigint | number }): Promise<{ id: number; state: bigint }>;
  /** A LoRA adapter (.slma) for this model, from a URL, path (Node), Blob or bytes. */
  loadAdapter(source: ModelSource): Promise<Adapter>;
  /** Adapters of the default session (generate and chat). */
  attachAdapter(adapter: Adapter, scale?: number): Promise<void>;
  detachAdapter(adapter: Adapter): Promise<boolean>;
  /** Another KV cache over the same weights. */
  createSession(options?: { contextLength?: number }): Promise<Session>;
  /** Statistics of the last finished generation. */
  lastStats?: GenerateStats;
  /** Frees the model and ends the worker. */
  dispose(): Promise<void>;
}

export default TinyLM;
