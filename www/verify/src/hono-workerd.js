// Hono middleware over the workerd entry's Verifier.
import { Verifier } from "./workerd.js";
import { defineTollgate } from "./hono.js";

export const tollgate = defineTollgate(Verifier);
