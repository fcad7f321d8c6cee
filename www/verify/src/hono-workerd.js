// Hono middleware for Workers: over the WebCrypto build (workerd always has Ed25519 in
// WebCrypto, so the wasm needs none and the bundle is smaller).
import { Verifier } from "./webcrypto-workerd.js";
import { defineTollgate } from "./hono.js";

export const tollgate = defineTollgate(Verifier);
