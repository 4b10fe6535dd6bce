// The demo page: load a .slm (URL or file), show its info, stream a story.
import { TinyLM } from '../index.js';

const $ = (id) => document.getElementById(id);
let lm = null;
let controller = null;

function mb(bytes) { return `${(bytes / 1e6).toFixed(2)} MB`; }

function showInfo(info) {
  const types = Object.entries(info.tensor_types).map(([t, b]) => `${t} ${mb(b)}`).join(', ');
  const rows = [
    ['architecture', info.architecture],
    ['parameters', info.parameters.toLocaleString()],
    ['file', `${mb(info.bytes)} — <span class="${info.fits_budget ? 'fits' : 'nofit'}">${info.fits_budget ? 'fits' : 'does not fit'} the ${mb(info.budget_bytes)} budget</span>`],
    ['tensor types', types],
    ['context', `${info.context_length} tokens, vocabulary ${info.vocab_size}`],
    ['license', info.license || 'not recorded'],
    ['source', `${info.metadata['source.format'] || '?'} ${info.metadata['source.files'] || ''}`],
  ];
  const dl = $('info');
  dl.innerHTML = '';
  for (const [k, v] of rows) {
    const dt = document.createElement('dt'); dt.textContent = k;
    const dd = document.createElement('dd');
    if (k === 'file') dd.innerHTML = v; else dd.textContent = v;
    dl.append(dt, dd);
  }
  dl.hidden = false;
}

async function load(source, label) {
  $('generate').disabled = true;
  $('status').textContent = `Loading ${label}…`;
  const progress = $('progress');
  progress.hidden = false;
  progress.value = 0;
  const onProgress = ({ loaded, total }) => { if (total) progress.value = loaded / total; else progress.removeAttribute('value'); };
  try {
    const info = lm ? await lm.loadModel(source, { onProgress }) : (lm = await TinyLM.load(source, { onProgress }), lm.modelInfo);
    showInfo(info);
    $('status').textContent = `Loaded ${label}.`;
    $('generate').disabled = false;
  } catch (e) {
    $('status').textContent = `Error: ${e.message}`;
    if (lm?.modelInfo) $('generate').disabled = false;
  } finally {
    progress.hidden = true;
  }
}

$('load-url').onclick = () => load($('model-url').value, $('model-url').value);
$('model-file').onchange = (e) => { const f = e.target.files[0]; if (f) load(f, f.name); };

$('generate').onclick = async () => {
  const out = $('output');
  const prompt = $('prompt').value;
  const seed = $('seed').value;
  const ids = [];
  out.textContent = prompt;
  out.dataset.ids = '[]';
  out.dataset.state = 'running';
  $('generate').disabled = true;
  $('stop').disabled = false;
  controller = new AbortController();
  const t0 = performance.now();
  try {
    for await (const piece of lm.generate(prompt, {
      temperature: Number($('temperature').value), topP: Number($('top-p').value),
      maxTokens: Number($('max-tokens').value), seed: seed === '' ? undefined : Number(seed),
      signal: controller.signal, onToken: (t) => ids.push(t.id),
    })) {
      out.textContent += piece;
      out.dataset.ids = JSON.stringify(ids);
      const s = (performance.now() - t0) / 1000;
      $('stats').textContent = `${ids.length} tokens, ${(ids.length / s).toFixed(0)} tokens/s`;
    }
    const st = lm.lastStats;
    out.dataset.ids = JSON.stringify(ids);
    const memory = await lm.memoryBytes();
    $('stats').textContent = `${st.generatedTokens} tokens, ${st.tokensPerSecond.toFixed(0)} tokens/s ` +
      `(prompt ${st.promptTokens} tokens in ${st.promptMs.toFixed(0)} ms) · wasm memory ${mb(memory)} · ended: ${st.reason}`;
    out.dataset.state = st.reason;
  } catch (e) {
    $('stats').textContent = `Error: ${e.message}`;
    out.dataset.state = 'error';
  } finally {
    $('generate').disabled = false;
    $('stop').disabled = true;
  }
};
$('stop').onclick = () => controller?.abort();

// Loads the default model when it sits beside the page (e.g. the test server).
if (new URLSearchParams(location.search).has('autoload')) $('load-url').click();
