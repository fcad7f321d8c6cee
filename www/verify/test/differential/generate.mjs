// Tokens for the differential test: the core's hostile corpus, tokens signed here with
// the corpus keys (node:crypto) over random headers and claims, and random mutations of
// both. Deterministic: the same seed gives the same tokens.
import { createPrivateKey, sign } from "node:crypto";
import { readFileSync } from "node:fs";

export const corpus = JSON.parse(
  readFileSync(new URL("../../../../crates/core/tests/fixtures/hostile.json", import.meta.url), "utf8"),
);

/** xorshift32: small, fast, reproducible. */
function rng(seed) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
  const int = (n) => Math.floor(next() * n);
  const pick = (items) => items[int(items.length)];
  return { next, int, pick };
}

const b64 = (bytes) => Buffer.from(bytes).toString("base64url");
const text64 = (value) => b64(Buffer.from(typeof value === "string" ? value : JSON.stringify(value)));

/** Key A and B of the corpus (seeds 0xa1…, 0xb2…) and a key in no set (0xee…). */
function privateKey(seedByte, x) {
  const d = b64(Buffer.alloc(32, seedByte));
  return createPrivateKey({ key: { kty: "OKP", crv: "Ed25519", d, x }, format: "jwk" });
}

function signers() {
  const [a, b] = corpus.jwks.keys;
  const attacker = createPrivateKey({
    key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.alloc(32, 0xee)]),
    format: "der",
    type: "pkcs8",
  });
  return [
    { kid: a.kid, key: privateKey(0xa1, a.x) },
    { kid: b.kid, key: privateKey(0xb2, b.x) },
    { kid: "attacker", key: attacker },
  ];
}

/** The encodings a signature's R may be swapped for: small order, or y ≥ p. */
const BAD_R = [
  "0100000000000000000000000000000000000000000000000000000000000000",
  "0000000000000000000000000000000000000000000000000000000000000000",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
].map((hex) => Buffer.from(hex, "hex"));

function header(r, keys) {
  const h = {};
  h.alg = r.int(8) === 0 ? r.pick(["none", "eddsa", "ES256", "Ed448", "HS256"]) : r.pick(["EdDSA", "Ed25519"]);
  const kid = r.int(20);
  if (kid < 18) h.kid = r.pick(keys.slice(0, 2)).kid;
  else if (kid === 18) h.kid = "unknown";
  h.typ = r.int(8) === 0 ? r.pick(["JWT", undefined, "at+jwt+x"]) : r.pick(["at+jwt", "application/at+jwt", "AT+JWT"]);
  if (r.int(40) === 0) h.crit = ["exp"];
  if (r.int(40) === 0) h.jku = "https://attacker.test/jwks.json";
  return h;
}

function claims(r, now) {
  const c = {};
  const maybe = (name, value) => {
    if (r.int(40) !== 0) c[name] = value;
  };
  maybe("iss", r.int(16) === 0 ? "https://evil.test" : corpus.issuer);
  maybe("sub", "partner-42");
  maybe("aud", r.int(16) === 0 ? "https://other.test" : r.pick([corpus.audience, [corpus.audience, "other"]]));
  c.exp = r.int(6) === 0 ? r.pick([now - 31, now - 29, now, "soon", 1e300, -1]) : now + 600;
  if (r.int(4) === 0) c.nbf = r.pick([now + 31, now + 29, now - 100]);
  maybe("iat", r.int(10) === 0 ? r.pick([now + 31, "yesterday", 1.5]) : now - 5);
  maybe("jti", `jti-${r.int(1e6)}`);
  maybe("client_id", "partner-42");
  maybe("scope", r.int(10) === 0 ? r.pick(["orders:write", 7, ""]) : r.pick(["orders:read", "orders:read orders:write"]));
  if (r.int(6) === 0) c.tenant = r.pick(["acme ☂", { deep: [1, 2, { x: null }] }, 2.5]);
  return c;
}

function signed(r, keys, now) {
  const h = header(r, keys);
  const input = `${text64(h)}.${text64(claims(r, now))}`;
  const signer = r.int(16) === 0 ? keys[2] : keys.find((k) => k.kid === h.kid) ?? keys[0];
  const signature = sign(null, Buffer.from(input), signer.key);
  const kind = r.int(16);
  if (kind === 0) BAD_R[r.int(BAD_R.length)].copy(signature, 0);
  if (kind === 1) signature[63] |= 0xf0; // S ≥ L
  return `${input}.${b64(signature)}`;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const EXTRA = ".=+/ %\u00e9";

function mutate(r, token) {
  let t = token;
  for (let n = 1 + r.int(3); n > 0; n--) {
    const at = r.int(t.length + 1);
    const char = r.int(8) === 0 ? r.pick(EXTRA) : r.pick(ALPHABET);
    switch (r.int(7)) {
      case 0:
      case 1:
      case 2:
        t = t.slice(0, at) + char + t.slice(at + 1);
        break;
      case 3:
        t = t.slice(0, at) + t.slice(at + 1);
        break;
      case 4:
        t = t.slice(0, at) + char + t.slice(at);
        break;
      case 5:
        t = t.slice(0, at);
        break;
      default: {
        const parts = t.split(".");
        parts.push(parts.splice(r.int(parts.length), 1)[0]);
        t = parts.join(".");
      }
    }
  }
  return t;
}

/** The corpus, `signedCount` fresh signed tokens, and `mutatedCount` mutations. */
export function tokens({ seed = 0x7011, signedCount = 5000, mutatedCount = 100_000 } = {}) {
  const r = rng(seed);
  const keys = signers();
  const base = corpus.cases.map((c) => c.token);
  const fresh = Array.from({ length: signedCount }, () => signed(r, keys, corpus.now));
  const seeds = [...base, ...fresh];
  const mutated = Array.from({ length: mutatedCount }, () => mutate(r, r.pick(seeds)));
  return [...seeds, ...mutated];
}

/** The verifier options and verify options the corpus is checked under. */
export const verifierOptions = {
  jwks: corpus.jwks,
  issuer: corpus.issuer,
  audience: corpus.audience,
  clockTolerance: corpus.clock_tolerance,
};
export const at = { now: corpus.now, scopes: corpus.required_scopes };
