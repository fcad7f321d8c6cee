// @tollgate/verify/webcrypto for default: the wasm without Ed25519, loaded as the default entry loads its own.
import init from "../pkg/webcrypto/tollgate_wasm.js";

await init({ module_or_path: new URL("../pkg/webcrypto/tollgate_wasm_bg.wasm", import.meta.url) });

export * from "./webcrypto.js";
