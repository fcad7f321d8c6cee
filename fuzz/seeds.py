#!/usr/bin/env python3
"""Writes the starting inputs of every fuzz target into corpus/<target>/ (seed-*.bin).

The committed corpus is these seeds plus what libFuzzer found, minimised with
`cargo fuzz cmin`. Keys and times are those of src/verifier.rs.
"""
import base64, json, os
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

NOW = 1_780_000_000
KEY_A = Ed25519PrivateKey.from_private_bytes(bytes([0xA1] * 32))
KEY_B = Ed25519PrivateKey.from_private_bytes(bytes([0xB2] * 32))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(key, header: dict, claims: dict) -> str:
    signed = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signed}.{b64(key.sign(signed.encode()))}"


HEADER_A = {"alg": "EdDSA", "kid": "2026-05-a", "typ": "at+jwt"}
CLAIMS = {
    "iss": "https://auth.tollgate.test", "sub": "partner-42", "client_id": "partner-42",
    "aud": ["https://api.tollgate.test"], "exp": NOW + 600, "iat": NOW, "nbf": NOW,
    "jti": "b3f1c9", "scope": "orders:read orders:write", "tenant": {"id": 7},
}


def public_x(key) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    return b64(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def seeds():
    good = sign(KEY_A, HEADER_A, CLAIMS)
    yield "token", good.encode()
    yield "token", sign(KEY_B, {**HEADER_A, "kid": "2026-05-b"}, CLAIMS).encode()
    yield "token", sign(KEY_A, {"alg": "none"}, CLAIMS).encode()
    yield "token", json.dumps(CLAIMS).encode()
    yield "token", b'{"exp":1,"aud":"x","extra":[1,2.5e3,{"a":null}],"scope":""}'
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": public_x(KEY_A), "kid": "2026-05-a",
           "alg": "EdDSA", "use": "sig", "key_ops": ["verify"]}
    yield "jwks", json.dumps({"keys": [jwk]}).encode()
    yield "jwks", json.dumps({"keys": [jwk, {**jwk, "kid": "2026-05-b", "x": public_x(KEY_B)}]}).encode()
    yield "jwks", json.dumps(jwk).encode()
    yield "jwks", json.dumps({"keys": [{**jwk, "d": "AAAA"}], "other": 1}).encode()
    yield "bearer", f"Bearer {good}".encode()
    yield "bearer", b"bearer   abc~+/=="
    yield "bearer", b"Basic dXNlcjpwYXNz"
    yield "bearer", b"Bearer a, Bearer b"
    yield "credentials", b"partner%3A42:s3cr%25t+value"
    yield "credentials", b"Basic cGFydG5lci00MjpzZWNyZXQ="
    yield "credentials", b"grant_type=client_credentials&client_id=p&client_secret=s%2B+t&scope=a+b"
    yield "credentials", b"resource=https%3A%2F%2Fa&resource=b&scope=&scope="
    payload = json.dumps(CLAIMS).encode()
    for mutation in range(10):
        yield "differential", bytes([mutation, 7, 3]) + payload
    yield "differential", bytes([0, 0, 0]) + json.dumps({**HEADER_A, "kid": "2026-05-b"}).encode() + b"\xff" + payload
    yield "differential", bytes([0, 0, 0]) + b'{"alg":"EdDSA","kid":"2026-05-a","crit":["x"]}\xff' + payload
    yield "differential", bytes([0, 0, 0]) + b'{"alg":"EdDSA","kid":"2026-05-a","typ":"at+jwt","kid":"2026-05-b"}\xff' + payload


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    for n, (target, data) in enumerate(seeds()):
        os.makedirs(os.path.join(here, "corpus", target), exist_ok=True)
        with open(os.path.join(here, "corpus", target, f"seed-{n:02}.bin"), "wb") as f:
            f.write(data)
