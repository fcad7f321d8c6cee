// Cloudflare Workers (workerd): wasm cannot be compiled at run time, so the bundler hands
// us the .wasm as a precompiled WebAssembly.Module, instantiated once per isolate.
import module from "../pkg/tollgate_wasm_bg.wasm";
import { initSync } from "../pkg/tollgate_wasm.js";
import { fullVerifier } from "./full.js";

initSync({ module });

export { JwksError, VerifyError } from "./full.js";
export const Verifier = fullVerifier();
