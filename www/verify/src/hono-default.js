// Hono middleware, with the wasm loaded by the default entry.
import "./default.js";

export { tollgate } from "./hono.js";
