// Hono middleware over the node entry's Verifier.
import { Verifier } from "./node.js";
import { defineTollgate } from "./hono.js";

export const tollgate = defineTollgate(Verifier);
