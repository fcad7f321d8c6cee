// Size of the built .wasm, gzip -9 (as a CDN would serve it): at most 64 KiB.
//
// Today's build is ~59 KiB, of which the Ed25519 verification alone is ~19 KB (see
// README.md, "Size"). A failure here means something new pulled weight into the module:
// `twiggy top` on a build with names (`wasm-bindgen --keep-debug`, no wasm-opt) shows what.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET = 64 * 1024;

const wasm = readFileSync(new URL("../pkg/tollgate_wasm_bg.wasm", import.meta.url));
const gzipped = gzipSync(wasm, { level: 9 }).length;

test(`tollgate_wasm_bg.wasm is at most ${BUDGET / 1024} KiB gzipped`, (t) => {
  t.diagnostic(`${wasm.length} bytes raw, ${gzipped} bytes gzip -9`);
  assert.ok(gzipped <= BUDGET, `${gzipped} bytes gzipped is over the ${BUDGET}-byte budget`);
});
