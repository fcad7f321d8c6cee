// @tollgate/verify/webcrypto for workerd: the wasm without Ed25519, loaded as the workerd entry loads its own.
import module from "../pkg/webcrypto/tollgate_wasm_bg.wasm";
import { initSync } from "../pkg/webcrypto/tollgate_wasm.js";

initSync({ module });

export * from "./webcrypto.js";
