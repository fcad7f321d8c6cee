// Hono middleware, with the wasm loaded by the workerd entry.
import "./workerd.js";

export { tollgate } from "./hono.js";
