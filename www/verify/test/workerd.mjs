// Starts a test Worker from this package's sources in real workerd (Miniflare's API),
// the .wasm loaded as a precompiled module as wrangler would bundle it.
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";

Object.assign(process.env, {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
});

const root = fileURLToPath(new URL("..", import.meta.url));

/** `script` is relative to the package root; resolves to `{ url, stop }`. */
export async function startTestWorker(script, bindings = {}) {
  const mf = new Miniflare({
    modules: true,
    scriptPath: `${root}${script}`,
    modulesRoot: root,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2026-04-01",
    bindings,
    host: "127.0.0.1",
    port: 0,
    cf: false,
  });
  const url = (await mf.ready).href;
  return { url, stop: () => mf.dispose() };
}
