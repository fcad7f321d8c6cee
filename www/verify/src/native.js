// The runtime's Ed25519 for the signature equation, each key imported once per isolate.
//
// Only the equation is asked of it: the wasm has already checked the encoding of the
// signature (S < L, R canonical and not of small order) and the keys (at load), so the
// answer is the one the wasm's own strict verification would give. A runtime without
// Ed25519 in WebCrypto is detected at the first import, once; the wasm path takes over.

const subtle = globalThis.crypto?.subtle;

/** true once an import worked, false once one failed, undefined before either. */
let supported = subtle ? undefined : false;

/** true: the runtime computes the equation; false: the wasm does; undefined: not known yet. */
export const nativeSupport = () => supported;

/**
 * WebCrypto's Ed25519 over one key set (raw 32-byte keys in set order): `verify` resolves to
 * the answer, or to `undefined` when this runtime has no Ed25519 in WebCrypto.
 */
export function webCryptoKeys(raw) {
  const keys = [];
  const imported = (index, key) => {
    supported = true;
    keys[index] = key;
    return key;
  };
  return {
    unavailable: () => supported === false,
    verify(index, signature, message) {
      const key = keys[index];
      // The common case: one native promise, nothing around it.
      if (key !== undefined) return subtle.verify("Ed25519", key, signature, message);
      return subtle.importKey("raw", raw[index], { name: "Ed25519" }, false, ["verify"]).then(
        (key) => subtle.verify("Ed25519", imported(index, key), signature, message),
        () => {
          supported = false;
          return undefined;
        },
      );
    },
  };
}
