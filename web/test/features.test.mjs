// The JS package's features over the full C API, in Node (worker_threads): every sampling
// control, stop strings and the standalone sampler against the native CLI (which the
// C++ suite checks against the sampler's definition); chat rendering against every case of
// ../shared/fixtures/chat (the transformers reference); chat turns against `tinylm chat`;
// LoRA adapters against ../shared/fixtures/models/llama-lora's reference logits and the
// native `tinylm eval --lora`; sessions truncated, saved and restored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TinyLM } from '../index.js';
import { ChatTemplates } from '../src/core.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const model = path.join(root, 'build', 'release', 'stories260K.slm');
const native = path.join(root, 'build', 'release', 'tinylm');
const shared = path.join(root, '..', 'shared', 'fixtures');
const tmp = path.join(root, 'build', 'wasm', 'test-tmp');
fs.mkdirSync(tmp, { recursive: true });

const run = (args, input) => execFileSync(native, args, { input, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
async function collect(it) { let s = ''; for await (const p of it) s += p; return s; }

// Every control of the chain, as CLI flags and as JS options.
const SAMPLING = [
  [['--temp', '0.9', '--seed', '99'], { temperature: 0.9, seed: 99 }],
  [['--temp', '0.9', '--top-k', '30', '--top-p', '0.95', '--min-p', '0.02', '--typical-p', '0.95',
    '--repeat-penalty', '1.2', '--repeat-last-n', '32', '--presence-penalty', '0.2',
    '--frequency-penalty', '0.1', '--logit-bias', '13=-1.5', '--logit-bias', '400=-inf', '--seed', '7'],
  { temperature: 0.9, topK: 30, topP: 0.95, minP: 0.02, typicalP: 0.95, repeatPenalty: 1.2,
    repeatLastN: 32, presencePenalty: 0.2, frequencyPenalty: 0.1, logitBias: { 13: -1.5, 400: -Infinity }, seed: 7 }],
  [['--temp', '1.1', '--top-p', '1', '--min-p', '0.05', '--seed', '3'], { temperature: 1.1, topP: 1, minP: 0.05, seed: 3 }],
  [['--temp', '0', '--logit-bias', '261=-inf'], { temperature: 0, logitBias: new Map([[261, -Infinity]]) }],
  [['--temp', '0', '--ctx', '24', '--context-shift', '--keep', '1'], { temperature: 0, contextShift: true, keep: 1 }, 24],
];

test('every sampling control through the worker gives the ids of the native run', async () => {
  for (const [flags, options, contextLength] of SAMPLING) {
    const lm = await TinyLM.load(model, { contextLength: contextLength || 0 });
    try {
      const ids = [];
      await collect(lm.generate([1, 403, 407], { ...options, maxTokens: 60, ignoreEos: true, onToken: (t) => ids.push(t.id) }));
      const expected = run(['run', '-m', model, '--ids', '1,403,407', '-n', '60', '--ignore-eos', '--print-ids', ...flags]);
      assert.equal(`[${ids.join(', ')}]\n`, expected, flags.join(' '));
      if (options.contextShift) assert.ok(lm.lastStats.contextShifts > 0);
    } finally { await lm.dispose(); }
  }
});

test('stop strings spanning tokens end the text as in the native run, never shown', async () => {
  const lm = await TinyLM.load(model);
  try {
    for (const stop of [['girl named'], ['Lily', ' a l'], ['e w']]) {
      const text = await collect(lm.generate('Once upon a time', { temperature: 0, maxTokens: 60, stop }));
      const flags = stop.flatMap((s) => ['--stop', s]);
      const expected = run(['run', '-m', model, '-p', 'Once upon a time', '-n', '60', '--temp', '0', ...flags]);
      assert.equal('Once upon a time' + text + '\n', expected, stop.join('|'));
      assert.equal(lm.lastStats.reason, 'stop_sequence');
    }
  } finally { await lm.dispose(); }
});

test('the standalone sampler over session logits reproduces a generation', async () => {
  const lm = await TinyLM.load(model);
  try {
    const options = { temperature: 0.8, topK: 40, topP: 0.9, repeatPenalty: 1.3, repeatLastN: 8, seed: 11 };
    const ids = [];
    await collect(lm.generate([1, 403], { ...options, maxTokens: 20, ignoreEos: true, onToken: (t) => ids.push(t.id) }));
    const session = await lm.createSession();
    let logits = await session.eval([1, 403]);
    let state = 11n;
    const manual = [];
    for (let i = 0; i < 20; i++) {
      const r = await lm.sample(logits, options, { history: await session.tokens(), state });
      manual.push(r.id);
      state = r.state;
      if (i < 19) logits = await session.eval([r.id]);
    }
    assert.deepEqual(manual, ids);
    // Greedy is the argmax, a ban moves it; no random number is drawn.
    const fixed = [0.5, 2, 1, 1.5];
    assert.deepEqual(await lm.sample(fixed, { temperature: 0 }, { state: 5n }), { id: 1, state: 5n });
    assert.equal((await lm.sample(fixed, { temperature: 0, logitBias: { 1: -Infinity } })).id, 3);
    await assert.rejects(lm.sample(fixed, { minP: 2 }), /min_p/);
    await session.dispose();
  } finally { await lm.dispose(); }
});

test('tinylm-chat.wasm renders every chat fixture case byte for byte', (t) => {
  const dir = path.join(shared, 'chat');
  if (!fs.existsSync(dir)) { t.skip(`no fixtures at ${dir}`); return; }
  return (async () => {
    const chat = await ChatTemplates.create(fs.readFileSync(path.join(root, 'web', 'tinylm-chat.wasm')));
    const handles = new Map();
    let rendered = 0, raised = 0;
    for (const line of fs.readFileSync(path.join(dir, 'cases.jsonl'), 'utf8').split('\n').filter(Boolean)) {
      const c = JSON.parse(line);
      if (!handles.has(c.template)) {
        handles.set(c.template, chat.parse(fs.readFileSync(path.join(dir, 'templates', `${c.template}.jinja`), 'utf8')));
      }
      const tmpl = handles.get(c.template);
      chat.setNow(tmpl, c.now ?? undefined);
      // What hf_chat_render.py passes: messages, tools, documents, add_generation_prompt, the
      // special tokens, then the extra variables.
      const vars = { messages: c.messages, tools: c.tools, documents: null,
        add_generation_prompt: c.add_generation_prompt, ...c.special_tokens, ...c.extra_vars };
      if (c.expected !== null) {
        assert.equal(chat.render(tmpl, vars), c.expected, c.id);
        rendered++;
      } else {
        assert.throws(() => chat.render(tmpl, vars), (e) => c.error_type !== 'TemplateError' || e.message === `chat template: ${c.error}`, c.id);
        raised++;
      }
    }
    assert.equal(rendered + raised, 684);
    assert.equal(chat.endMarker(handles.get('chatml')), '<|im_end|>');
  })();
});

test('renderChat and chat through the worker equal render-chat and tinylm chat', async () => {
  const lm = await TinyLM.load(model);
  try {
    const messages = [{ role: 'system', content: 'You tell stories.' }, { role: 'user', content: 'Once upon a time' }];
    const prompt = await lm.renderChat(messages, { template: 'chatml', addGenerationPrompt: true });
    const expected = run(['render-chat', '--template', 'chatml'], JSON.stringify({ messages, add_generation_prompt: true }));
    assert.equal(prompt, expected);
    await assert.rejects(lm.renderChat(messages), /no chat template.*chatml/);
    await assert.rejects(lm.renderChat(messages, { template: 'nope' }), /nope/);

    // Two greedy turns: the same replies as the terminal chat, the second reusing the cache.
    const replies = [];
    const conversation = [{ role: 'system', content: 'You tell stories.' }];
    for (const user of ['Hello there', 'Tell me a story']) {
      conversation.push({ role: 'user', content: user });
      const reply = await collect(lm.chat(conversation, { template: 'chatml', temperature: 0, maxTokens: 12 }));
      replies.push(reply);
      conversation.push({ role: 'assistant', content: reply });
    }
    assert.ok(lm.lastStats.reusedTokens > 0);
    const terminal = run(['chat', '-m', model, '--template', 'chatml', '--temp', '0', '-n', '12', '--system', 'You tell stories.'],
      'Hello there\nTell me a story\n');
    assert.equal(replies.map((r) => r + '\n').join(''), terminal);

    // Sampled turns draw from one random stream across the conversation, as tinylm chat does.
    for (const seed of [7, 1234]) {
      const sampled = [];
      const talk = [{ role: 'system', content: 'You tell stories.' }];
      await collect(lm.generate([1], { temperature: 0, maxTokens: 1 }));  // the default session starts over
      for (const user of ['Hello there', 'Tell me a story', 'And then?']) {
        talk.push({ role: 'user', content: user });
        const reply = await collect(lm.chat(talk, { template: 'chatml', temperature: 0.9, topP: 0.95, seed, maxTokens: 16 }));
        sampled.push(reply);
        talk.push({ role: 'assistant', content: reply });
      }
      const cli = run(['chat', '-m', model, '--template', 'chatml', '--temp', '0.9', '--top-p', '0.95', '--seed', String(seed),
        '-n', '16', '--system', 'You tell stories.'], 'Hello there\nTell me a story\nAnd then?\n');
      assert.equal(sampled.map((r) => r + '\n').join(''), cli, `seed ${seed}`);
    }
  } finally { await lm.dispose(); }
});

test('sessions: truncate, save and restore continue exactly', async () => {
  const lm = await TinyLM.load(model);
  try {
    const s = await lm.createSession();
    const first = await collect(s.generate('Once upon a time', { temperature: 0, maxTokens: 8 }));
    const position = await s.position();
    const saved = await s.save();
    const next = await collect(s.generate([13], { temperature: 0, maxTokens: 10 }));
    await s.restore(saved);
    assert.equal(await s.position(), position);
    assert.equal(await collect(s.generate([13], { temperature: 0, maxTokens: 10 })), next);
    await s.truncate(position);
    assert.equal(await collect(s.generate([13], { temperature: 0, maxTokens: 10 })), next);
    assert.equal((await s.tokens()).length, await s.position());
    await assert.rejects(s.restore(saved.subarray(0, 40)), /restore/);
    await assert.rejects(s.truncate(100000), /truncate/);
    // The default session is independent: a generation there does not move this one.
    assert.equal(await collect(lm.generate('Once upon a time', { temperature: 0, maxTokens: 8 })), first);
    assert.equal((await s.tokens()).length, await s.position());
    await s.dispose();
    await assert.rejects(s.position(), /closed/);
  } finally { await lm.dispose(); }
});

test('LoRA adapters: attach, detach and swap give the reference and native logits', (t) => {
  const base = path.join(shared, 'models', 'llama-mha');
  const adapterDir = path.join(shared, 'models', 'llama-lora');
  if (!fs.existsSync(adapterDir)) { t.skip(`no fixtures at ${adapterDir}`); return; }
  return (async () => {
    const slm = path.join(tmp, 'features-mha.slm');
    const slma = path.join(tmp, 'features-lora.slma');
    run(['convert', base, '--quiet', '-o', slm]);
    run(['convert', path.join(adapterDir, 'adapter'), '--base', slm, '-o', slma]);
    const reference = JSON.parse(fs.readFileSync(path.join(adapterDir, 'reference.json'), 'utf8'));
    const prompt = reference.prompt_ids;
    const refLogits = new Float32Array(fs.readFileSync(path.join(adapterDir, 'reference.bin')).buffer.slice(0));
    const nativeLogits = (extra) => {
      const out = path.join(tmp, `features-native${extra.length}.bin`);
      run(['eval', '-m', slm, '--ids', prompt.join(','), '-o', out, ...extra]);
      return new Float32Array(fs.readFileSync(out).buffer.slice(0));
    };
    const lm = await TinyLM.load(slm);
    try {
      const adapter = await lm.loadAdapter(fs.readFileSync(slma));
      const s = await lm.createSession();
      const evalAll = async () => { await s.reset(); return s.eval(prompt, { allLogits: true }); };
      const plain = await evalAll();
      assert.deepEqual(plain, nativeLogits([]));
      await s.attachAdapter(adapter, 1);
      const adapted = await evalAll();
      assert.deepEqual(adapted, nativeLogits(['--lora', slma]));
      let worst = 0;
      for (let i = 0; i < adapted.length; i++) worst = Math.max(worst, Math.abs(adapted[i] - refLogits[i]));
      assert.ok(worst < 1e-4, `max |diff| ${worst} vs the reference`);
      await s.attachAdapter(adapter, 0.5);
      assert.deepEqual(await evalAll(), nativeLogits(['--lora', `${slma}:0.5`]));
      // Swapping back and forth: the same logits every time, the base ones bit for bit.
      for (let i = 0; i < 20; i++) {
        assert.equal(await s.detachAdapter(adapter), true);
        if (i % 5 === 0) assert.deepEqual(await evalAll(), plain);
        await s.attachAdapter(adapter, 1);
      }
      assert.deepEqual(await evalAll(), adapted);
      await adapter.dispose();  // detaches it everywhere
      assert.deepEqual(await evalAll(), plain);
      await assert.rejects(lm.loadAdapter(new Uint8Array(100)), /not a usable \.slma adapter/);
      await assert.rejects(lm.loadAdapter(fs.readFileSync(model)), /not a usable \.slma adapter/);
    } finally { await lm.dispose(); }
  })();
});
