"""An independent client against the real `tollgate` binary.

requests-oauthlib fetches tokens exactly as a partner's integration would (Basic and
form credentials, scopes, refresh tokens); PyJWT verifies them against the JWKS the
server publishes. The binary comes from $TOLLGATE_BIN (default: target/debug/tollgate).
"""

import json
import os
import subprocess
import time
from pathlib import Path

import jwt
import pytest
import requests
from oauthlib.oauth2 import BackendApplicationClient, InvalidClientError
from requests_oauthlib import OAuth2Session

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TOLLGATE_BIN", str(ROOT / "target" / "debug" / "tollgate"))

# The server is plain HTTP on loopback; never route it through a proxy.
os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"


def tollgate(workdir, *args):
    """Runs a CLI command against the store in `workdir`; returns stdout."""
    env = {"PATH": os.environ.get("PATH", ""), "RUST_LOG": "warn"}
    done = subprocess.run(
        [BIN, *args], cwd=workdir, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def create_client(workdir, *args):
    return json.loads(tollgate(workdir, "client", "create", "--json", *args))


@pytest.fixture(scope="module")
def issuer(tmp_path_factory):
    """A `tollgate serve` on a free port, with its working directory."""
    # The first `serve` creates the store and its master key file (tollgate.key).
    workdir = tmp_path_factory.mktemp("tollgate")
    env = {"PATH": os.environ.get("PATH", ""), "RUST_LOG": "warn"}
    proc = subprocess.Popen(
        [BIN, "serve", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    # stdout names both listeners: `listening on ADDR`, then `admin listening on ADDR`.
    base = admin = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and admin is None:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("listening on "):
            base = "http://" + line.split()[-1]
        elif line.startswith("admin listening on "):
            admin = "http://" + line.split()[-1]
    if base is None or admin is None:
        proc.kill()
        pytest.fail("tollgate serve did not start")
    yield {"base": base, "admin": admin, "dir": workdir}
    proc.terminate()
    assert proc.wait(timeout=20) == 0


def session(client_id):
    oauth = OAuth2Session(client=BackendApplicationClient(client_id=client_id))
    oauth.trust_env = False
    return oauth


def verify(issuer, token, audience=None):
    """Verifies like a resource server would: keys from the served JWKS, EdDSA only."""
    jwks = jwt.PyJWKClient(issuer["base"] + "/.well-known/jwks.json")
    key = jwks.get_signing_key_from_jwt(token)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA"
    assert header["typ"] == "at+jwt"
    assert header["kid"] == key.key_id
    return jwt.decode(
        token,
        key.key,
        algorithms=["EdDSA"],
        audience=audience or issuer["base"],
        issuer=issuer["base"],
        options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
    )


def test_basic_credentials_token_verifies_with_pyjwt(issuer):
    client = create_client(issuer["dir"], "--scope", "orders:read orders:write")
    token = session(client["client_id"]).fetch_token(
        issuer["base"] + "/oauth/token",
        client_id=client["client_id"],
        client_secret=client["client_secret"],
    )
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    claims = verify(issuer, token["access_token"])
    assert claims["sub"] == claims["client_id"] == client["client_id"]
    assert claims["scope"] == "orders:read orders:write"
    assert claims["exp"] - claims["iat"] == 3600


def test_form_credentials_and_a_narrower_scope(issuer):
    client = create_client(
        issuer["dir"], "--scope", "a b", "--audience", "https://api.example.com"
    )
    token = session(client["client_id"]).fetch_token(
        issuer["base"] + "/oauth/token",
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        include_client_id=True,
        scope=["a"],
    )
    claims = verify(issuer, token["access_token"], audience="https://api.example.com")
    assert claims["scope"] == "a"
    assert claims["aud"] == "https://api.example.com"


def test_wrong_secret_is_invalid_client(issuer):
    client = create_client(issuer["dir"], "--scope", "x")
    with pytest.raises(InvalidClientError):
        session(client["client_id"]).fetch_token(
            issuer["base"] + "/oauth/token",
            client_id=client["client_id"],
            client_secret="not-the-secret",
        )


def test_refresh_token_rotation(issuer):
    client = create_client(
        issuer["dir"], "--scope", "api", "--ttl", "86400", "--refresh", "--refresh-ttl", "31536000"
    )
    auth = requests.auth.HTTPBasicAuth(client["client_id"], client["client_secret"])
    oauth = session(client["client_id"])
    first = oauth.fetch_token(issuer["base"] + "/oauth/token", auth=auth)
    assert first["expires_in"] == 86400
    second = oauth.refresh_token(
        issuer["base"] + "/oauth/token", refresh_token=first["refresh_token"], auth=auth
    )
    assert second["refresh_token"] != first["refresh_token"]
    assert verify(issuer, second["access_token"])["client_id"] == client["client_id"]
    # The spent refresh token is refused.
    reused = requests.post(
        issuer["base"] + "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=auth,
        timeout=10,
    )
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"


def test_metadata_points_at_the_jwks(issuer):
    metadata = requests.get(
        issuer["base"] + "/.well-known/oauth-authorization-server", timeout=10
    ).json()
    assert metadata["issuer"] == issuer["base"]
    assert metadata["token_endpoint"] == issuer["base"] + "/oauth/token"
    jwks = requests.get(metadata["jwks_uri"], timeout=10).json()
    assert all(k["kty"] == "OKP" and k["crv"] == "Ed25519" for k in jwks["keys"])


def test_metrics_answer_on_the_admin_listener_only(issuer):
    public = requests.get(issuer["base"] + "/metrics", timeout=10)
    assert public.status_code == 404
    assert public.json()["error"] == "not_found"
    assert public.headers["cache-control"] == "no-store"
    admin = requests.get(issuer["admin"] + "/metrics", timeout=10)
    assert admin.status_code == 200
    assert "tollgate_http_request_duration_seconds" in admin.text
    for base in (issuer["base"], issuer["admin"]):
        assert requests.get(base + "/readyz", timeout=10).status_code == 200
