// Hono middleware over the default entry's Verifier.
import { Verifier } from "./default.js";
import { defineTollgate } from "./hono.js";

export const tollgate = defineTollgate(Verifier);
