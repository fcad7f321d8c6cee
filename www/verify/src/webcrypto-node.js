// @tollgate/verify/webcrypto for node: the wasm without Ed25519, loaded as the node entry loads its own.
import { readFileSync } from "node:fs";
import { initSync } from "../pkg/webcrypto/tollgate_wasm.js";

initSync({ module: readFileSync(new URL("../pkg/webcrypto/tollgate_wasm_bg.wasm", import.meta.url)) });

export * from "./webcrypto.js";
