// The published types: `tsc` (with @cloudflare/workers-types) type-checks a TypeScript
// Worker that uses the package, its generics, the Hono middleware and the error types.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));

test("tsc --noEmit accepts test/types/worker.ts and refuses its marked misuses", async () => {
  const tsc = `${root}node_modules/typescript/bin/tsc`;
  const result = await promisify(execFile)(process.execPath, [tsc, "-p", "test/types"], { cwd: root }).catch((e) => e);
  assert.equal(result.code ?? 0, 0, `${result.stdout}${result.stderr}`);
});
