// Benchmark Worker, run in workerd by bench.mjs: GET /?impl=wasm|async|jose&n=N&token=...
// verifies the token N times, one at a time, and answers how many passed. `wasm` is
// verify() (all in wasm), `async` is verifyAsync() (the equation by WebCrypto).
import { Verifier } from "../src/workerd.js";
import { createLocalJWKSet, jwtVerify } from "../node_modules/jose/dist/webapi/index.js";

let ours;
let theirs;

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n") ?? 0);
    const token = url.searchParams.get("token");
    const jwks = JSON.parse(env.JWKS);
    const options = { issuer: env.ISSUER, audience: env.AUDIENCE };
    let ok = 0;
    const t0 = performance.now();
    if (url.searchParams.get("impl") === "jose") {
      theirs ??= createLocalJWKSet(jwks);
      for (let i = 0; i < n; i++) {
        const { payload } = await jwtVerify(token, theirs, { ...options, typ: "at+jwt", algorithms: ["EdDSA"] });
        if (payload.sub) ok++;
      }
    } else if (url.searchParams.get("impl") === "async") {
      ours ??= new Verifier({ jwks, ...options });
      for (let i = 0; i < n; i++) if ((await ours.verifyAsync(token)).sub) ok++;
    } else {
      ours ??= new Verifier({ jwks, ...options });
      for (let i = 0; i < n; i++) if (ours.verify(token).sub) ok++;
    }
    return Response.json({ ok, inner_ms: performance.now() - t0 });
  },
};
