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

export interface GenerateOptions {
  /** Generated tokens at most (default 256). */
  maxTokens?: number;
  /** 0 = greedy (default 0.8). */
  temperature?: number;
  /** 0 = off (default). */
  topK?: number;
  /** Outside (0, 1) = off (default 0.9). */
  topP?: number;
  /** Same seed, same text (default: random). */
  seed?: number | bigint;
  /** Generation ends before the first occurrence of any of these strings. */
  stop?: string[];
  signal?: AbortSignal;
  /** Keep going past the model's end-of-sequence token. */
  ignoreEos?: boolean;
  /** Called with each generated token id. */
  onToken?: (token: { id: number }) => void;
}

export interface GenerateStats {
  reason: 'max_tokens' | 'stop_token' | 'context_full' | 'stop_sequence' | 'aborted';
  promptTokens: number;
  generatedTokens: number;
  promptMs: number;
  decodeMs: number;
  tokensPerSecond: number;
  /** The WebAssembly memory's size in bytes. */
  memoryBytes: number;
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
  tokenize(text: string, options?: { addBos?: boolean }): Promise<number[]>;
  detokenize(ids: ArrayLike<number>): Promise<string>;
  memoryBytes(): Promise<number>;
  /** Text pieces as they are generated; `prompt` is text (tokenized with BOS) or ids. */
  generate(prompt: string | number[], options?: GenerateOptions): AsyncGenerator<string, void, void>;
  /** Statistics of the last finished generation. */
  lastStats?: GenerateStats;
  /** Frees the model and ends the worker. */
  dispose(): Promise<void>;
}

export default TinyLM;
