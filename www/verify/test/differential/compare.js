// The differential check, runtime-independent (Node, and workerd through
// test/workers/differential.js): every token through `verify` (all in wasm) and
// `verifyAsync` (the equation by WebCrypto); the two answers must be identical.

function answer(run) {
  try {
    return { claims: JSON.stringify(run()) };
  } catch (error) {
    return refusal(error);
  }
}

function refusal(error) {
  if (error?.name !== "VerifyError") return { thrown: `${error?.name}: ${error?.message}` };
  const { code, message, status, wwwAuthenticate, body } = error;
  return { code, message, status, wwwAuthenticate, body };
}

/**
 * `{ mismatches, codes }`: the tokens whose answers differ, and how often each code came.
 * `native` (default: `verifier`) answers verifyAsync, e.g. a @tollgate/verify/webcrypto one.
 */
export async function compare(verifier, tokens, at, native = verifier) {
  const mismatches = [];
  const codes = {};
  for (const token of tokens) {
    const sync = answer(() => verifier.verify(token, at));
    let split;
    try {
      split = { claims: JSON.stringify(await native.verifyAsync(token, at)) };
    } catch (error) {
      split = refusal(error);
    }
    const key = sync.code ?? (sync.claims ? "accepted" : "thrown");
    codes[key] = (codes[key] ?? 0) + 1;
    if (JSON.stringify(sync) !== JSON.stringify(split)) mismatches.push({ token, sync, split });
  }
  return { mismatches, codes };
}
