// The docs' Worker, bundled by `wrangler deploy --dry-run` as a deploy would: at most
// 64 KiB gzipped (Workers' free plan allows 3 MiB, but every KiB is cold-start time).
import { test } from "node:test";
import assert from "node:assert/strict";
import { bundle, uploadSize } from "./harness.mjs";

const BUDGET_KIB = 64;

test(`the example Worker bundles to at most ${BUDGET_KIB} KiB gzipped`, async (t) => {
  const { raw, gzip } = uploadSize((await bundle()).output);
  t.diagnostic(`wrangler deploy --dry-run: ${raw} KiB, ${gzip} KiB gzipped`);
  assert.ok(gzip <= BUDGET_KIB, `${gzip} KiB gzipped is over ${BUDGET_KIB} KiB`);
});
