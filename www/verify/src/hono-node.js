// Hono middleware, with the wasm loaded by the node entry.
import "./node.js";

export { tollgate } from "./hono.js";
