#!/usr/bin/env python3
"""Writes the small hand-made seeds of fuzz/corpus/<harness>/ (committed; a few KB each).

Each seed is a minimal valid input of its format, so that the fuzzer starts from inside the
parser rather than at its first check. Run from the repository root: python3 fuzz/make_seeds.py
(the larger real files of ../shared/fixtures are added at run time by fuzz/run.sh).
"""
import io
import os
import pickle
import struct
import sys
import types
import zipfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(harness, name, data, root=ROOT):
    d = os.path.join(root, harness)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def f32s(values):
    return struct.pack("<%df" % len(values), *values)


# ---- .slm (docs/slm-format.md); checksums left zero: the harness recomputes them ----
def slm_meta(entries):
    out = struct.pack("<I", len(entries))
    for key in sorted(entries):
        kind, value = entries[key]
        k = key.encode()
        out += struct.pack("<H", len(k)) + k + bytes([kind])
        if kind == 1:
            out += struct.pack("<I", value)
        elif kind == 2:
            out += struct.pack("<i", value)
        elif kind == 3:
            out += struct.pack("<f", value)
        elif kind == 5:
            out += bytes([1 if value else 0])
        elif kind == 6:
            out += struct.pack("<I", len(value.encode())) + value.encode()
        elif kind == 7:
            out += struct.pack("<I", len(value)) + f32s(value)
        elif kind == 8:
            out += struct.pack("<I", len(value)) + struct.pack("<%di" % len(value), *value)
        elif kind == 9:
            out += struct.pack("<I", len(value))
            for s in value:
                out += struct.pack("<I", len(s.encode())) + s.encode()
        elif kind == 10:
            out += struct.pack("<I", len(value)) + bytes(value)
        elif kind == 11:  # blob: 64-byte aligned from the start of the metadata section
            out += struct.pack("<I", len(value))
            out += b"\0" * (align64(len(out)) - len(out)) + value
    return out


# ---- tokenizer.tables (docs/slm-format.md, section 8.2), written from the document alone ----
M64 = (1 << 64) - 1
EMPTY = 0xFFFFFFFF


def fmix64(k):
    k ^= k >> 33
    k = k * 0xFF51AFD7ED558CCD & M64
    k ^= k >> 33
    k = k * 0xC4CEB9FE1A85EC53 & M64
    return k ^ (k >> 33)


def piece_hash(b):
    h = 0xCBF29CE484222325 ^ len(b)
    for i in range(0, len(b), 8):  # 8-byte little-endian groups, the last one zero-padded
        h = (h ^ int.from_bytes(b[i:i + 8], "little")) * 0x9E3779B97F4A7C15 & M64
        h ^= h >> 29
    return fmix64(h) >> 32


def merge_hash(left, right):
    return fmix64((left << 32) | right) >> 32


def index_slots(count):
    slots = 1
    while slots < 2 * count:
        slots *= 2
    return slots


def tokenizer_tables(pieces, scores, types, merges, mergeable):
    """pieces: bytes per id; merges: (left, right, merged) ids in rank order; mergeable: the
    ids that win the piece index over an equal piece (tiny tables: no probe limit reached)."""
    n, m = len(pieces), len(merges)
    piece_index = [EMPTY] * index_slots(n)
    for i in [i for i in range(n) if mergeable[i]] + [i for i in range(n) if not mergeable[i]]:
        s = piece_hash(pieces[i]) * len(piece_index) >> 32
        while piece_index[s] != EMPTY and pieces[piece_index[s]] != pieces[i]:
            s = (s + 1) % len(piece_index)
        if piece_index[s] == EMPTY:
            piece_index[s] = i
    merge_index = [EMPTY] * (index_slots(m) if m else 0)
    for rank, (left, right, _) in enumerate(merges):
        s = merge_hash(left, right) * len(merge_index) >> 32
        while merge_index[s] != EMPTY and merges[merge_index[s]][:2] != (left, right):
            s = (s + 1) % len(merge_index)
        merge_index[s] = rank
    offsets = [0]
    for p in pieces:
        offsets.append(offsets[-1] + len(p))
    out = struct.pack("<5I", n, m, len(piece_index), len(merge_index), offsets[-1])
    pad = lambda b: b + b"\0" * (align64(len(b)) - len(b))
    out = pad(out) + struct.pack("<%dI" % (n + 1), *offsets)
    out = pad(out) + f32s(scores)
    out = pad(out) + bytes(types)
    out = pad(out) + struct.pack("<%dI" % len(piece_index), *piece_index)
    out = pad(out) + b"".join(struct.pack("<3I", *mg) for mg in merges)
    out = pad(out) + struct.pack("<%dI" % len(merge_index), *merge_index)
    return pad(out) + b"".join(pieces)


def align64(n):
    return (n + 63) // 64 * 64


def slm_file(entries, tensors):
    meta = slm_meta(entries)
    directory = struct.pack("<I", len(tensors))
    data = b""
    for name, shape, payload in tensors:
        data += b"\0" * (align64(len(data)) - len(data))
        directory += struct.pack("<H", len(name)) + name.encode() + struct.pack("<II", 0, len(shape))
        directory += struct.pack("<%dQ" % len(shape), *shape)
        directory += struct.pack("<QQ", len(data), len(payload))
        data += payload
    data += b"\0" * (align64(len(data)) - len(data))
    meta_off = 128
    dir_off = meta_off + len(meta)
    data_off = align64(dir_off + len(directory))
    size = data_off + len(data)
    header = b"TINYSLM\0" + struct.pack("<II", 2, 0)
    header += struct.pack("<9Q", size, meta_off, len(meta), dir_off, len(directory), data_off,
                          len(data), 0, 0)
    header += b"\0" * (128 - len(header))
    body = header + meta + directory
    return body + b"\0" * (data_off - len(body)) + data


# Merges of the tiny vocabulary, as (left, right) pieces in rank order.
TINY_MERGES = [("\u2581", "a"), ("a", "b"), ("\u2581", "ab")]


def tiny_tables(vocab):
    pieces = [p.encode() for p in vocab]
    types = [2, 3, 3] + [1] * (len(vocab) - 3)
    scores = [0.0, 0.0, 0.0] + [-float(i) for i in range(len(vocab) - 3)]
    merges = [(vocab.index(l), vocab.index(r), vocab.index(l + r)) for l, r in TINY_MERGES]
    mergeable = [t == 1 for t in types]  # Normal, not added (added: id 1 only), not empty
    return tokenizer_tables(pieces, scores, types, merges, mergeable)


def tiny_model_entries(vocab):
    e = {
        "model.architecture": (6, "llama"), "model.dim": (1, 8), "model.n_layers": (1, 1),
        "model.n_heads": (1, 2), "model.n_kv_heads": (1, 1), "model.head_dim": (1, 4),
        "model.ffn_dim": (1, 8), "model.vocab_size": (1, len(vocab)),
        "model.context_length": (1, 4), "model.norm": (6, "rmsnorm"),
        "model.norm_eps": (3, 1e-5), "model.ffn": (6, "swiglu"),
        "model.residual": (6, "sequential"), "model.positions": (6, "rope"),
        "model.rope_dim": (1, 4), "model.rope_theta": (3, 10000.0),
        "model.attn_scale": (3, 0.0), "model.attn_window": (8, [0]),
        "model.tied_embeddings": (5, True), "generation.stop_ids": (8, [2]),
        "tokenizer.kind": (1, 1), "tokenizer.tables": (11, tiny_tables(vocab)),
        "tokenizer.bos_id": (2, 1), "tokenizer.eos_id": (2, 2), "tokenizer.unk_id": (2, 0),
        "tokenizer.byte_fallback": (5, False), "tokenizer.added_ids": (8, [1]),
        "tokenizer.added_flags": (10, [1]),
    }
    e["tokenizer.bos_id"] = (2, 1)
    return e


def tiny_model_tensors(vocab_size):
    zeros = lambda n: f32s([0.0] * n)
    ones = lambda n: f32s([1.0] * n)
    return [
        ("tok_embd.weight", [vocab_size, 8], zeros(vocab_size * 8)),
        ("blk.0.attn_norm.weight", [8], ones(8)),
        ("blk.0.attn_q.weight", [8, 8], zeros(64)),
        ("blk.0.attn_k.weight", [4, 8], zeros(32)),
        ("blk.0.attn_v.weight", [4, 8], zeros(32)),
        ("blk.0.attn_out.weight", [8, 8], zeros(64)),
        ("blk.0.ffn_norm.weight", [8], ones(8)),
        ("blk.0.ffn_gate.weight", [8, 8], zeros(64)),
        ("blk.0.ffn_up.weight", [8, 8], zeros(64)),
        ("blk.0.ffn_down.weight", [8, 8], zeros(64)),
        ("out_norm.weight", [8], ones(8)),
    ]


def make_slm():
    vocab = ["<unk>", "<s>", "</s>", "\u2581", "a", "b", "\u2581a", "ab", "\u2581ab"]
    put("slm", "tiny_model.slm", slm_file(tiny_model_entries(vocab), tiny_model_tensors(len(vocab))))
    put("slm", "metadata_only.slm", slm_file({"a": (1, 7), "b": (6, "x"), "c": (9, ["p", "q"])}, []))
    # The fixed tinylm header alone (bad checksums are fixed by the harness).
    put("slm", "header_only.slm", slm_file({}, [])[:128])


# ---- GGUF v3 ----
def gguf_string(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def gguf_value(v):
    kind, value = v
    if kind == "u32":
        return struct.pack("<I", 4) + struct.pack("<I", value)
    if kind == "f32":
        return struct.pack("<I", 6) + struct.pack("<f", value)
    if kind == "bool":
        return struct.pack("<I", 7) + bytes([1 if value else 0])
    if kind == "str":
        return struct.pack("<I", 8) + gguf_string(value)
    if kind == "u64":
        return struct.pack("<I", 10) + struct.pack("<Q", value)
    if kind == "arr_str":
        return struct.pack("<IIQ", 9, 8, len(value)) + b"".join(gguf_string(s) for s in value)
    if kind == "arr_f32":
        return struct.pack("<IIQ", 9, 6, len(value)) + f32s(value)
    if kind == "arr_i32":
        return struct.pack("<IIQ", 9, 5, len(value)) + struct.pack("<%di" % len(value), *value)
    raise ValueError(kind)


def gguf_file(kvs, tensors, alignment=32):
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs))
    for key, v in kvs:
        out += gguf_string(key) + gguf_value(v)
    offset = 0
    data = b""
    for name, ne, ggml_type, payload in tensors:
        pad = (alignment - len(data) % alignment) % alignment
        data += b"\0" * pad
        out += gguf_string(name) + struct.pack("<I", len(ne)) + struct.pack("<%dQ" % len(ne), *ne)
        out += struct.pack("<IQ", ggml_type, len(data))
        data += payload
    out += b"\0" * ((alignment - len(out) % alignment) % alignment)
    return out + data


def tiny_llama_gguf(n_bytes=256):
    vocab = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(n_bytes)] + ["\u2581a", "ab"]
    types_ = [2, 3, 3] + [6] * n_bytes + [1, 1]
    n = len(vocab)
    kvs = [
        ("general.architecture", ("str", "llama")), ("general.name", ("str", "tiny")),
        ("llama.block_count", ("u32", 1)), ("llama.context_length", ("u32", 4)),
        ("llama.embedding_length", ("u32", 8)), ("llama.feed_forward_length", ("u32", 8)),
        ("llama.attention.head_count", ("u32", 2)), ("llama.attention.head_count_kv", ("u32", 1)),
        ("llama.attention.layer_norm_rms_epsilon", ("f32", 1e-5)),
        ("llama.rope.dimension_count", ("u32", 4)), ("llama.rope.freq_base", ("f32", 10000.0)),
        ("tokenizer.ggml.model", ("str", "llama")), ("tokenizer.ggml.tokens", ("arr_str", vocab)),
        ("tokenizer.ggml.scores", ("arr_f32", [0.0] * n)),
        ("tokenizer.ggml.token_type", ("arr_i32", types_)),
        ("tokenizer.ggml.bos_token_id", ("u32", 1)), ("tokenizer.ggml.eos_token_id", ("u32", 2)),
        ("tokenizer.ggml.unknown_token_id", ("u32", 0)),
    ]
    z = lambda k: f32s([0.0] * k)
    o = lambda k: f32s([1.0] * k)
    tensors = [
        ("token_embd.weight", [8, n], 0, z(8 * n)), ("blk.0.attn_norm.weight", [8], 0, o(8)),
        ("blk.0.attn_q.weight", [8, 8], 0, z(64)), ("blk.0.attn_k.weight", [8, 4], 0, z(32)),
        ("blk.0.attn_v.weight", [8, 4], 0, z(32)), ("blk.0.attn_output.weight", [8, 8], 0, z(64)),
        ("blk.0.ffn_norm.weight", [8], 0, o(8)), ("blk.0.ffn_gate.weight", [8, 8], 0, z(64)),
        ("blk.0.ffn_up.weight", [8, 8], 0, z(64)), ("blk.0.ffn_down.weight", [8, 8], 0, z(64)),
        ("output_norm.weight", [8], 0, o(8)),
    ]
    return gguf_file(kvs, tensors)


def make_gguf():
    put("gguf_import", "tiny_llama.gguf", tiny_llama_gguf())
    small = gguf_file([("general.architecture", ("str", "llama")), ("a.u64", ("u64", 1 << 40)),
                       ("a.bool", ("bool", True)), ("a.f32", ("f32", 0.5)),
                       ("a.strs", ("arr_str", ["x", "y"])), ("general.alignment", ("u32", 64))],
                      [("t.f16", [32, 2], 1, b"\0" * 128), ("t.q8_0", [32], 8, b"\0" * 34),
                       ("t.q4_0", [32], 2, b"\0" * 18)], alignment=64)
    put("gguf", "kv_and_tensors.gguf", small)
    put("gguf", "empty.gguf", gguf_file([], []))


# ---- safetensors ----
def make_safetensors():
    header = ('{"__metadata__":{"format":"pt"},'
              '"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},'
              '"b":{"dtype":"BF16","shape":[3],"data_offsets":[16,22]},'
              '"c":{"dtype":"I64","shape":[],"data_offsets":[22,30]}}').encode()
    header += b" " * ((8 - len(header) % 8) % 8)
    put("safetensors", "three_tensors.safetensors",
        struct.pack("<Q", len(header)) + header + f32s([1, 2, 3, 4]) + b"\x80\x3f" * 3 + b"\1" + b"\0" * 7)
    put("safetensors", "index.json",
        '{"metadata":{"total_size":16},"weight_map":{"a":"model-00001-of-00002.safetensors",'
        '"b":"model-00002-of-00002.safetensors"}}')


# ---- torch zip (torch.save) and its data.pkl, written without torch ----
def torch_pickle():
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")
    coll = sys.modules["collections"]

    def _rebuild_tensor_v2(*a):
        pass

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    FloatStorage = type("FloatStorage", (), {"__module__": "torch"})
    torch.FloatStorage = FloatStorage
    torch._utils = utils
    sys.modules["torch"] = torch
    sys.modules["torch._utils"] = utils

    class Storage:
        def __init__(self, key, numel):
            self.key, self.numel = key, numel

    class Tensor:
        def __init__(self, storage, offset, size, stride):
            self.args = (storage, offset, size, stride, False, coll.OrderedDict())

        def __reduce__(self):
            return (_rebuild_tensor_v2, self.args)

    class P(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Storage):
                return ("storage", FloatStorage, obj.key, "cpu", obj.numel)
            return None

    s0 = Storage("0", 6)
    state = coll.OrderedDict()
    state["w"] = Tensor(s0, 0, (2, 2), (2, 1))
    state["b"] = Tensor(s0, 4, (2,), (1,))
    buf = io.BytesIO()
    P(buf, protocol=2).dump(state)
    return buf.getvalue()


def make_torch():
    pkl = torch_pickle()
    put("pickle", "state_dict.pkl", pkl)
    put("pickle", "legacy_magic.pkl", bytes.fromhex("80028a0a6cfc9c46f9206aa85019") + b".")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/data/0", f32s([1, 2, 3, 4, 5, 6]))
        z.writestr("archive/version", "3\n")
    put("torch_zip", "tiny.pt", buf.getvalue())


# ---- tokenizers ----
def make_tokenizers():
    bl = ('{"version":"1.0","added_tokens":[{"id":5,"content":"<|endoftext|>","single_word":false,'
          '"lstrip":false,"rstrip":false,"normalized":false,"special":true}],"normalizer":null,'
          '"pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,'
          '"use_regex":true},"post_processor":{"type":"ByteLevel","add_prefix_space":true,'
          '"trim_offsets":false,"use_regex":true},"decoder":{"type":"ByteLevel",'
          '"add_prefix_space":true,"trim_offsets":true,"use_regex":true},"model":{"type":"BPE",'
          '"dropout":null,"unk_token":null,"continuing_subword_prefix":"","end_of_word_suffix":"",'
          '"fuse_unk":false,"byte_fallback":false,"vocab":{"a":0,"b":1,"\\u0120":2,"ab":3,'
          '"\\u0120ab":4,"<|endoftext|>":5},"merges":["a b","\\u0120 ab"]}}')
    put("hf_tokenizer_json", "byte_level.json", bl)
    sp = ('{"version":"1.0","added_tokens":[{"id":0,"content":"<unk>","single_word":false,'
          '"lstrip":false,"rstrip":false,"normalized":false,"special":true},{"id":1,"content":"<s>",'
          '"single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true}],'
          '"normalizer":{"type":"Sequence","normalizers":[{"type":"Prepend","prepend":"\\u2581"},'
          '{"type":"Replace","pattern":{"String":" "},"content":"\\u2581"}]},"pre_tokenizer":null,'
          '"post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<s>",'
          '"type_id":0}},{"Sequence":{"id":"A","type_id":0}}],"pair":[],"special_tokens":{"<s>":'
          '{"id":"<s>","ids":[1],"tokens":["<s>"]}}},"decoder":{"type":"Sequence","decoders":['
          '{"type":"Replace","pattern":{"String":"\\u2581"},"content":" "},{"type":"ByteFallback"},'
          '{"type":"Fuse"},{"type":"Strip","content":" ","start":1,"stop":0}]},"model":{"type":"BPE",'
          '"dropout":null,"unk_token":"<unk>","fuse_unk":true,"byte_fallback":false,"vocab":{"<unk>":0,'
          '"<s>":1,"<0x41>":2,"\\u2581":3,"a":4,"\\u2581a":5},"merges":[["\\u2581","a"]]}}')
    put("hf_tokenizer_json", "sentencepiece.json", sp)
    put("hf_tokenizer_json", "config.json",
        '{"add_bos_token":true,"add_eos_token":false,"bos_token":{"content":"<s>"},"eos_token":"</s>"}')

    def pb_varint(v):
        out = b""
        while True:
            b = v & 0x7F
            v >>= 7
            if v:
                out += bytes([b | 0x80])
            else:
                return out + bytes([b])

    def pb_field(num, wire, payload):
        key = pb_varint((num << 3) | wire)
        if wire == 0:
            return key + pb_varint(payload)
        if wire == 5:
            return key + struct.pack("<f", payload)
        return key + pb_varint(len(payload)) + payload

    def piece(text, score, kind):
        return pb_field(1, 2, pb_field(1, 2, text.encode()) + pb_field(2, 5, score) + pb_field(3, 0, kind))

    pieces = [("<unk>", 0.0, 2), ("<s>", 0.0, 3), ("</s>", 0.0, 3)]
    pieces += [("<0x%02X>" % b, 0.0, 6) for b in range(256)]
    pieces += [("\u2581", -1.0, 1), ("a", -2.0, 1), ("\u2581a", -3.0, 1), ("<user>", 0.0, 4)]
    model = b"".join(piece(*p) for p in pieces)
    trainer = pb_field(3, 0, 2) + pb_field(35, 0, 1) + pb_field(40, 0, 0) + pb_field(41, 0, 1) + pb_field(42, 0, 2)
    normalizer = pb_field(1, 2, b"identity") + pb_field(3, 0, 1) + pb_field(4, 0, 0) + pb_field(5, 0, 1)
    model += pb_field(2, 2, trainer) + pb_field(3, 2, normalizer)
    put("sentencepiece", "tiny_bpe.model", model)

    # llama2.c tokenizer.bin: max_token_length, then (score, length, bytes) per id.
    entries = [b"<unk>", b"\n<s>\n", b"\n</s>\n"] + [b"<0x%02X>" % b for b in range(256)] + [b" ", b"a", b" a"]
    tb = struct.pack("<I", 6) + b"".join(struct.pack("<fi", -float(i), len(e)) + e for i, e in enumerate(entries))
    put("llama2c_vocab", "until_end.bin", b"\x00" + tb)
    put("llama2c_vocab", "count_262.bin", bytes([262 - 255]) + tb)


def make_llama2c():
    # Legacy header: dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len.
    dim, hidden, layers, heads, kv, vocab, seq = 8, 8, 1, 2, 1, 16, 4
    head = dim // heads
    n = vocab * dim + layers * (dim + dim * dim + 2 * dim * kv * head + dim * dim + dim + 3 * dim * hidden) + dim
    n += seq * head  # freq_cis_real and _imag, (seq_len, head_size / 2) each
    put("llama2c", "tiny_legacy.bin", struct.pack("<7i", dim, hidden, layers, heads, kv, vocab, seq) + f32s([0.01] * n))
    # Version 1: "ak42", version, then the params, shared_classifier flag, padded to 256 bytes.
    hdr = struct.pack("<Ii", 0x616B3432, 1) + struct.pack("<7i", dim, hidden, layers, heads, kv, vocab, seq) + b"\x01"
    hdr += b"\0" * (256 - len(hdr))
    n1 = 2 * layers * dim + dim + vocab * dim + layers * (2 * dim * dim + 2 * dim * kv * head + 3 * dim * hidden)
    put("llama2c", "tiny_v1.bin", hdr + f32s([0.01] * n1))


def make_text():
    put("tokenizer", "ascii", b"\x00\x00Once upon a time, there was a tiny model.")
    put("tokenizer", "utf8_special", b"\x01\x01caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 <|endoftext|> <s> \xf0\x9f\x99\x82")
    put("tokenizer", "invalid_utf8", b"\x02\x02\xff\xfe a\xc3 \xed\xa0\x80 \xe2\x96\x81\xe2\x96\x81x")
    put("tokenizer", "spaces", b"\x03\x00  \t\n  lead and trail  \r\n")
    put("json", "object.json", '{"a":[1,-0,2.5e-3,1e400,true,false,null],"b":{"c":"\\u00e9\\ud83d\\ude42\\n"},"a":9}')
    put("json", "deep.json", "[" * 40 + "]" * 40)
    put("json", "numbers.json", "[0,-1,9223372036854775807,-9223372036854775808,9223372036854775808,1.5,1E+2,0.1]")
    put("cli_args", "run", b"run\0-m\0model.slm\0-p\0Once\0-n\0256\0--temp=0.8\0--top-p\0.9\0--seed\018446744073709551615\0--print-ids")
    put("cli_args", "ids", b"[1, 2, 3]")
    put("cli_args", "convert", b"convert\0--\0-x\0--type\0q4_0\0--budget\033500000\0--pure")
    put("cli_jsonl", "lines", b'"Once upon a time"\n[1, 2, 3]\r\n\n  \t\n"\\u00e9"\n[2147483647, -1, 1.5]\n{"x":1}\n')


def make_chat_and_lora():
    put("chat_template", "chatml.jinja",
        "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content']"
        " + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}"
        "{{ '<|im_start|>assistant\\n' }}{% endif %}")
    put("chat_template", "features.jinja",
        "{%- set ns = namespace(n=0) -%}{% macro m(x) %}[{{ x|upper }}]{% endmacro %}"
        "{{ bos_token }}{% for msg in messages if msg.role != 'tool' %}{{ loop.index }}:"
        "{{ m(msg.role) }}{{ msg.content|trim|replace('a', 'b') }}{% set ns.n = ns.n + 1 %}"
        "{% if msg.tool_calls is defined %}{{ msg.tool_calls|tojson }}{% endif %}"
        "{% endfor %}{{ ns.n }}{{ tools|length }}{{ strftime_now('%d %b %Y') }}"
        "{% if not add_generation_prompt %}{{ raise_exception('no') }}{% endif %}")
    config = ('{"peft_type":"LORA","task_type":"CAUSAL_LM","r":2,"lora_alpha":4,'
              '"target_modules":["q_proj"],"lora_dropout":0.0,"bias":"none",'
              '"fan_in_fan_out":false,"use_rslora":false,"use_dora":false}')
    header = ('{"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight":'
              '{"dtype":"F32","shape":[2,4],"data_offsets":[0,32]},'
              '"base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight":'
              '{"dtype":"F32","shape":[4,2],"data_offsets":[32,64]}}').encode()
    tensors = struct.pack("<Q", len(header)) + header + f32s([0.5] * 16)
    put("lora", "peft_tiny", config.encode() + b"\0" + tensors)


def make_regressions():
    """Hand-made stand-ins for findings whose fuzzer inputs were large (see docs/security.md)."""
    reg = os.path.join(os.path.dirname(ROOT), "regressions")
    # The converter wrote a SentencePiece vocabulary with byte_fallback but without the 256
    # <0xNN> tokens; the runtime refused to load the file (fixed in BuildSlm).
    put("gguf_import", "byte_fallback_without_byte_tokens.gguf", tiny_llama_gguf(100), reg)


if __name__ == "__main__":
    make_regressions()
    make_slm()
    make_gguf()
    make_safetensors()
    make_torch()
    make_tokenizers()
    make_llama2c()
    make_text()
    make_chat_and_lora()
    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(ROOT) for f in fs)
    print("fuzz/corpus: %d bytes" % total)
