// Shared test data: the answers fixture (crates/wasm/tests/answers.rs) and jose keys.
import { readFileSync } from "node:fs";
import { exportJWK, generateKeyPair, SignJWT } from "jose";

export const answers = JSON.parse(readFileSync(new URL("./fixtures/answers.json", import.meta.url), "utf8"));

export const options = {
  jwks: answers.jwks,
  issuer: answers.issuer,
  audience: answers.audience,
  clockTolerance: answers.clock_tolerance,
};

/** An Ed25519 key pair made by jose (WebCrypto), with its public JWKS. */
export async function joseKey(kid = "jose-1") {
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" };
  return { privateKey, publicKey, jwks: { keys: [jwk] }, kid };
}

/** An RFC 9068 access token signed by jose, valid now unless `claims` says otherwise. */
export function joseToken(key, claims = {}, header = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ client_id: "partner-7", scope: "orders:read", ...claims })
    .setProtectedHeader({ alg: "EdDSA", kid: key.kid, typ: "at+jwt", ...header })
    .setIssuer(answers.issuer)
    .setAudience(answers.audience)
    .setSubject("partner-7")
    .setJti(crypto.randomUUID())
    .setIssuedAt(now - 10)
    .setExpirationTime(claims.exp ?? now + 300)
    .sign(key.privateKey);
}
