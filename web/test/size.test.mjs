// The size budget of the modules a page downloads: tinylm.wasm at most 150 KB gzip -9 (the
// runtime every page loads); tinylm-chat.wasm, loaded on the first chat, is reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const gzipped = (file) => zlib.gzipSync(fs.readFileSync(path.join(web, file)), { level: 9 }).length;

test('tinylm.wasm is at most 150 KB gzip', (t) => {
  const main = gzipped('tinylm.wasm');
  const chat = gzipped('tinylm-chat.wasm');
  t.diagnostic(`tinylm.wasm ${main} bytes gzip, tinylm-chat.wasm ${chat} bytes gzip`);
  assert.ok(main <= 150_000, `tinylm.wasm is ${main} bytes gzip`);
});
