// Run in workerd by differential-workerd.test.mjs: POST { options, at, tokens } compares
// verify and verifyAsync on every token inside the isolate.
import { Verifier } from "../../src/workerd.js";
import { nativeSupport } from "../../src/native.js";
import { compare } from "../differential/compare.js";

let verifier;

export default {
  async fetch(request) {
    const { options, at, tokens } = await request.json();
    verifier ??= new Verifier(options);
    const result = await compare(verifier, tokens, at);
    return Response.json({ ...result, native: nativeSupport() ?? null });
  },
};
