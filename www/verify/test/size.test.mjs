// Size of the built .wasm files, gzip -9 (as a CDN would serve them): the full build at
// most 64 KiB, the WebCrypto build (no Ed25519) at most 52 KiB.
//
// A failure here means something new pulled weight into the module: `twiggy top` on a
// build with names (`wasm-bindgen --keep-debug`, no wasm-opt) shows what (README, "Size").
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

for (const [build, path, budget] of [
  ["full", "../pkg/tollgate_wasm_bg.wasm", 64 * 1024],
  ["webcrypto", "../pkg/webcrypto/tollgate_wasm_bg.wasm", 52 * 1024],
]) {
  test(`${build} build: tollgate_wasm_bg.wasm is at most ${budget / 1024} KiB gzipped`, (t) => {
    const wasm = readFileSync(new URL(path, import.meta.url));
    const gzipped = gzipSync(wasm, { level: 9 }).length;
    t.diagnostic(`${wasm.length} bytes raw, ${gzipped} bytes gzip -9`);
    assert.ok(gzipped <= budget, `${gzipped} bytes gzipped is over the ${budget}-byte budget`);
  });
}
