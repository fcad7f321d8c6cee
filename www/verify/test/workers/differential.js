// Run in workerd by differential-workerd.test.mjs: POST { options, at, tokens, build }
// compares verify (all in wasm) with verifyAsync of the same Verifier (`build: "full"`) or
// of a @tollgate/verify/webcrypto one (`build: "webcrypto"`), inside the isolate.
import { Verifier } from "../../src/workerd.js";
import { Verifier as WebCryptoVerifier } from "../../src/webcrypto-workerd.js";
import { nativeSupport } from "../../src/native.js";
import { compare } from "../differential/compare.js";

let verifiers;

export default {
  async fetch(request) {
    const { options, at, tokens, build } = await request.json();
    verifiers ??= { full: new Verifier(options), webcrypto: new WebCryptoVerifier(options) };
    const result = await compare(verifiers.full, tokens, at, verifiers[build]);
    return Response.json({ ...result, native: nativeSupport() ?? null });
  },
};
