// Runs the example Worker in real workerd (Miniflare's API) on 127.0.0.1, with its vars
// replaced, for this package's tests and the project's end-to-end journey:
//
//   import { startWorker } from "../../www/worker-example/test/harness.mjs";
//   const worker = await startWorker({ jwks, issuer, audience }); // jwks: JSON text or object
//   const remote = await startWorker({ jwksUrl, issuer, audience }); // keys fetched and cached
//   await fetch(`${worker.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } });
//   await worker.stop();
//
// The Worker is bundled once per process by `wrangler deploy --dry-run`, exactly as a real
// deploy would bundle it (the `workerd` export of @tollgate/verify, the .wasm as a module).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Miniflare } from "miniflare";

const example = resolve(dirname(fileURLToPath(import.meta.url)), "..");
// Nothing here may reach Cloudflare's servers.
const offline = {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
};
Object.assign(process.env, offline);

const bundles = new Map();

/**
 * Bundles the Worker of `config` once; resolves to `{ outdir, script, output }`: the
 * directory holding the bundled script and the .wasm, the script, and what wrangler
 * printed (sizes included).
 */
export function bundle(config = "wrangler.toml") {
  if (!bundles.has(config)) {
    bundles.set(
      config,
      (async () => {
        const outdir = mkdtempSync(join(tmpdir(), "tollgate-worker-"));
        process.once("exit", () => rmSync(outdir, { recursive: true, force: true }));
        const wrangler = join(example, "node_modules", "wrangler", "bin", "wrangler.js");
        const args = [wrangler, "deploy", "--dry-run", "--config", config, "--outdir", outdir];
        const { stdout, stderr } = await promisify(execFile)(process.execPath, args, {
          cwd: example,
          env: { ...process.env, ...offline },
        });
        // wrangler names the bundle after the entry point (`main`).
        const main = readFileSync(join(example, config), "utf8").match(/^main\s*=\s*"([^"]+)"/m)[1];
        return { outdir, script: join(outdir, basename(main)), output: `${stdout}${stderr}` };
      })(),
    );
  }
  return bundles.get(config);
}

/** `Total Upload: 148.14 KiB / gzip: 63.32 KiB` → `{ raw, gzip }` in KiB. */
export function uploadSize(output) {
  const match = output.match(/Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/);
  if (!match) throw new Error(`no upload size in wrangler's output:\n${output}`);
  return { raw: Number(match[1]), gzip: Number(match[2]) };
}

function compatibilityDate() {
  const toml = readFileSync(join(example, "wrangler.toml"), "utf8");
  return toml.match(/^compatibility_date\s*=\s*"([^"]+)"/m)[1];
}

/**
 * Starts the example Worker with the given keys (embedded `jwks`, or `jwksUrl` to fetch,
 * or both), issuer and audience; `config` picks the Worker (`wrangler.hono.toml`: Hono).
 * @param {{ jwks?: string | object, jwksUrl?: string, issuer: string, audience: string, config?: string }} vars
 * @returns {Promise<{ url: string, stop: () => Promise<void> }>} `url` has no trailing slash.
 */
export async function startWorker({ jwks, jwksUrl, issuer, audience, config }) {
  const { outdir, script } = await bundle(config);
  const bindings = { TOLLGATE_ISSUER: issuer, TOLLGATE_AUDIENCE: audience };
  if (jwks !== undefined) bindings.TOLLGATE_JWKS = typeof jwks === "string" ? jwks.trim() : JSON.stringify(jwks);
  if (jwksUrl !== undefined) bindings.TOLLGATE_JWKS_URL = jwksUrl;
  const mf = new Miniflare({
    modules: true,
    scriptPath: script,
    modulesRoot: outdir,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: compatibilityDate(),
    bindings,
    host: "127.0.0.1",
    port: 0,
    cf: false,
  });
  const url = (await mf.ready).href.replace(/\/$/, "");
  return { url, stop: () => mf.dispose() };
}
