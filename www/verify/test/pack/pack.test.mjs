// The package as npm would ship it: `npm pack` (prepack builds the wasm) holds the wasm,
// the JS, the types, the README and the licences; installed from that tarball into a fresh
// Worker project, bundled by wrangler and run in workerd, it verifies tokens.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Miniflare } from "miniflare";
import { answers } from "../helpers.mjs";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const wrangler = fileURLToPath(new URL("../../../worker-example/node_modules/wrangler/bin/wrangler.js", import.meta.url));
const offline = { WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
const npm = (args, cwd) => run("npm", args, { cwd, env: { ...process.env, ...offline }, maxBuffer: 16 << 20 });

// The docs' Worker (docs/workers.md) on the WebCrypto entry, and the default entry's sync
// verify beside it.
const WORKER = `
import { Verifier } from "@tollgate/verify/webcrypto";
import { Verifier as FullVerifier } from "@tollgate/verify";
let verifier, full;
export default {
  async fetch(request, env) {
    const options = { jwks: env.TOLLGATE_JWKS, issuer: env.TOLLGATE_ISSUER, audience: env.TOLLGATE_AUDIENCE, clockTolerance: 5 };
    if (new URL(request.url).pathname === "/full") {
      full ??= new FullVerifier(options);
      const token = request.headers.get("authorization").slice(7);
      return Response.json({ client_id: full.verify(token).client_id });
    }
    verifier ??= new Verifier(options);
    const { claims, response } = await verifier.authenticate(request, { scopes: ["orders:read"] });
    if (response) return response;
    return Response.json({ client_id: claims.client_id });
  },
};
`;

describe("npm pack, then install into a fresh Worker project", () => {
  let dir, files, mf, url;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "tollgate-pack-"));
    const { stdout } = await npm(["pack", "--json", "--pack-destination", dir], root);
    const [packed] = JSON.parse(stdout.slice(stdout.indexOf("[")));
    files = packed.files.map((f) => f.path);
    const project = join(dir, "worker");
    mkdirSync(join(project, "src"), { recursive: true });
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "fresh-worker", private: true, type: "module" }));
    writeFileSync(join(project, "wrangler.toml"), 'name = "fresh-worker"\nmain = "src/index.js"\ncompatibility_date = "2026-04-01"\n');
    writeFileSync(join(project, "src", "index.js"), WORKER);
    await npm(["install", "--offline", "--no-audit", "--no-fund", join(dir, packed.filename)], project);
    const out = join(dir, "out");
    await run(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", out], { cwd: project, env: { ...process.env, ...offline } });
    mf = new Miniflare({
      modules: true,
      scriptPath: join(out, "index.js"),
      modulesRoot: out,
      modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
      compatibilityDate: "2026-04-01",
      bindings: {
        TOLLGATE_JWKS: JSON.stringify(answers.jwks),
        TOLLGATE_ISSUER: answers.issuer,
        TOLLGATE_AUDIENCE: answers.audience,
      },
      host: "127.0.0.1",
      port: 0,
      cf: false,
    });
    url = (await mf.ready).href;
  });

  after(async () => {
    await mf?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the tarball holds the wasm builds, the JS, the types, the README and the licences", () => {
    for (const file of [
      "package.json",
      "README.md",
      "LICENSE-MIT",
      "LICENSE-APACHE",
      "index.d.ts",
      "hono.d.ts",
      "webcrypto.d.ts",
      "src/node.js",
      "src/workerd.js",
      "src/webcrypto-workerd.js",
      "src/hono-workerd.js",
      "pkg/errors.js",
      "pkg/tollgate_wasm.js",
      "pkg/tollgate_wasm_bg.wasm",
      "pkg/webcrypto/tollgate_wasm.js",
      "pkg/webcrypto/tollgate_wasm_bg.wasm",
    ]) {
      assert.ok(files.includes(file), `${file} missing from ${files.join(", ")}`);
    }
    assert.ok(!files.some((f) => f.startsWith("test/") || f.startsWith("bench/")), "tests are not shipped");
  });

  test("installed from the tarball, the Worker verifies in workerd", async () => {
    const { token } = answers.tokens.find((t) => t.name === "signed_by_core");
    const headers = { authorization: `Bearer ${token}` };
    for (const path of ["", "full"]) {
      const response = await fetch(`${url}${path}`, { headers });
      assert.equal(response.status, 200, path);
      assert.deepEqual(await response.json(), { client_id: "partner-42" });
    }
    const refused = await fetch(url);
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get("www-authenticate"), "Bearer");
  });
});
