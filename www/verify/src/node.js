// Node ≥ 20: compile the .wasm next to the glue synchronously at import; node:crypto
// computes the signature equation of verifyAsync and authenticate.
import { readFileSync } from "node:fs";
import { initSync } from "../pkg/tollgate_wasm.js";
import { fullVerifier } from "./full.js";
import { nodeKeys } from "./node-native.js";

initSync({ module: readFileSync(new URL("../pkg/tollgate_wasm_bg.wasm", import.meta.url)) });

export { JwksError, VerifyError } from "./full.js";
export const Verifier = fullVerifier({ nativeKeys: nodeKeys });
