// The full build: Ed25519 in wasm too (`verify`, and the fallback of `verifyAsync`).
import { Verifier as WasmVerifier } from "../pkg/tollgate_wasm.js";
import { defineVerifier } from "./verifier.js";

export { JwksError, VerifyError } from "../pkg/errors.js";

/** @param {{ nativeKeys?: Function }} [runtime] */
export const fullVerifier = (runtime = {}) => defineVerifier(WasmVerifier, { full: true, ...runtime });
