// Size budget of the built .wasm (gzip -9, as a CDN would serve it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET = 64 * 1024;
const STRETCH = 48 * 1024;

test(`tollgate_wasm_bg.wasm is at most ${BUDGET / 1024} KiB gzipped`, (t) => {
  const wasm = readFileSync(new URL("../pkg/tollgate_wasm_bg.wasm", import.meta.url));
  const gzipped = gzipSync(wasm, { level: 9 }).length;
  t.diagnostic(`${wasm.length} bytes raw, ${gzipped} gzipped (stretch goal ${STRETCH})`);
  assert.ok(gzipped <= BUDGET, `${gzipped} bytes gzipped is over the ${BUDGET}-byte budget`);
});
