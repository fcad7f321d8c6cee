// Node's Ed25519 for the signature equation: node:crypto's one-shot verify, synchronous
// (OpenSSL, as behind Node's WebCrypto, without the thread-pool round trip WebCrypto takes).
import { createPublicKey, verify } from "node:crypto";
import { nativeInUse } from "./native.js";

// DER SubjectPublicKeyInfo prefix of an Ed25519 key (RFC 8410 §4): then the 32 raw bytes.
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

export function nodeKeys(raw) {
  const keys = [];
  return {
    unavailable: () => false,
    verify(index, signature, message) {
      keys[index] ??= createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw[index]]), format: "der", type: "spki" });
      nativeInUse();
      return verify(null, message, keys[index], signature);
    },
  };
}
