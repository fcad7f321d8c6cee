// WebCrypto's Ed25519 for the signature equation, each key imported once per isolate.
//
// Only the equation is asked of WebCrypto: the wasm has already checked the encoding of the
// signature (S < L, R canonical and not of small order) and the keys (at load), so the
// answer is the one the wasm's own strict verification would give. A runtime without
// Ed25519 in WebCrypto is detected at the first import, once; the wasm path takes over.

const subtle = globalThis.crypto?.subtle;

/** true once an import worked, false once one failed, undefined before either. */
let supported = subtle ? undefined : false;

/** Whether the wasm must compute the signature itself. */
export const nativeUnavailable = () => supported === false;

/** true: WebCrypto computes the equation; false: the wasm does; undefined: not known yet. */
export const nativeSupport = () => supported;

/** The CryptoKeys of one key set, imported on first use. */
export class NativeKeys {
  #raw;
  #keys = [];

  /** @param {Uint8Array[]} raw the 32-byte public keys, in set order */
  constructor(raw) {
    this.#raw = raw;
  }

  /**
   * Ed25519 verification of `signature` over `message` with key `index`; `undefined` when
   * this runtime has no Ed25519 in WebCrypto.
   */
  async verify(index, signature, message) {
    let key = this.#keys[index];
    if (key === undefined) {
      try {
        key = await subtle.importKey("raw", this.#raw[index], { name: "Ed25519" }, false, ["verify"]);
      } catch {
        supported = false;
        return undefined;
      }
      supported = true;
      this.#keys[index] = key;
    }
    return subtle.verify("Ed25519", key, signature, message);
  }
}
