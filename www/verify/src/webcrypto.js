// The WebCrypto build: no Ed25519 in wasm; the signature equation is always WebCrypto's.
import { Verifier as WasmVerifier } from "../pkg/webcrypto/tollgate_wasm.js";
import { defineVerifier } from "./verifier.js";

export { JwksError, VerifyError } from "../pkg/errors.js";

export const Verifier = defineVerifier(WasmVerifier, { full: false });
