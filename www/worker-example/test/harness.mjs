// Runs the example Worker in real workerd (Miniflare's API) on 127.0.0.1, with its vars
// replaced, for this package's tests and the project's end-to-end journey:
//
//   import { startWorker } from "../../www/worker-example/test/harness.mjs";
//   const worker = await startWorker({ jwks, issuer, audience }); // jwks: JSON text or object
//   await fetch(`${worker.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } });
//   await worker.stop();
//
// The Worker is bundled once per process by `wrangler deploy --dry-run`, exactly as a real
// deploy would bundle it (the `workerd` export of @tollgate/verify, the .wasm as a module).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
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

let bundled;

/** Bundles the Worker once; resolves to the directory holding index.js and the .wasm. */
export function bundle() {
  bundled ??= (async () => {
    const outdir = mkdtempSync(join(tmpdir(), "tollgate-worker-"));
    process.once("exit", () => rmSync(outdir, { recursive: true, force: true }));
    const wrangler = join(example, "node_modules", "wrangler", "bin", "wrangler.js");
    await promisify(execFile)(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outdir], {
      cwd: example,
      env: { ...process.env, ...offline },
    });
    return outdir;
  })();
  return bundled;
}

function compatibilityDate() {
  const toml = readFileSync(join(example, "wrangler.toml"), "utf8");
  return toml.match(/^compatibility_date\s*=\s*"([^"]+)"/m)[1];
}

/**
 * Starts the example Worker with the given JWKS, issuer and audience.
 * @param {{ jwks: string | object, issuer: string, audience: string }} vars
 * @returns {Promise<{ url: string, stop: () => Promise<void> }>} `url` has no trailing slash.
 */
export async function startWorker({ jwks, issuer, audience }) {
  const outdir = await bundle();
  const mf = new Miniflare({
    modules: true,
    scriptPath: join(outdir, "index.js"),
    modulesRoot: outdir,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: compatibilityDate(),
    bindings: {
      TOLLGATE_JWKS: typeof jwks === "string" ? jwks.trim() : JSON.stringify(jwks),
      TOLLGATE_ISSUER: issuer,
      TOLLGATE_AUDIENCE: audience,
    },
    host: "127.0.0.1",
    port: 0,
    cf: false,
  });
  const url = (await mf.ready).href.replace(/\/$/, "");
  return { url, stop: () => mf.dispose() };
}
