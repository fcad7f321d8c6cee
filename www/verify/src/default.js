// Browsers, Deno and bundlers: fetch and instantiate the .wasm beside this package.
import init from "../pkg/tollgate_wasm.js";

await init({ module_or_path: new URL("../pkg/tollgate_wasm_bg.wasm", import.meta.url) });

export * from "./api.js";
