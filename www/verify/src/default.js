// Browsers, Deno and bundlers: fetch and instantiate the .wasm beside this package.
import init from "../pkg/tollgate_wasm.js";
import { fullVerifier } from "./full.js";

await init({ module_or_path: new URL("../pkg/tollgate_wasm_bg.wasm", import.meta.url) });

export { JwksError, VerifyError } from "./full.js";
export const Verifier = fullVerifier();
