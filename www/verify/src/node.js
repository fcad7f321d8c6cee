// Node ≥ 20: compile the .wasm next to the glue synchronously at import.
import { readFileSync } from "node:fs";
import { initSync } from "../pkg/tollgate_wasm.js";
import { fullVerifier } from "./full.js";

initSync({ module: readFileSync(new URL("../pkg/tollgate_wasm_bg.wasm", import.meta.url)) });

export { JwksError, VerifyError } from "./full.js";
export const Verifier = fullVerifier();
