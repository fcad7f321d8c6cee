"""Third-party client, unmodified: requests-oauthlib fetches a token, PyJWT verifies it.

Usage: fetch_token.py TOKEN_URL CLIENT_ID CLIENT_SECRET ISSUER AUDIENCE
Prints {"access_token": ..., "pyjwt_client_id": ...} as JSON.
"""

import json
import os
import sys
from urllib.parse import urljoin

import jwt
from oauthlib.oauth2 import BackendApplicationClient
from requests_oauthlib import OAuth2Session

# Loopback tests speak plain HTTP; oauthlib insists on HTTPS otherwise.
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

token_url, client_id, client_secret, issuer, audience = sys.argv[1:6]

session = OAuth2Session(client=BackendApplicationClient(client_id=client_id))
token = session.fetch_token(token_url=token_url, client_id=client_id, client_secret=client_secret)

jwks = jwt.PyJWKClient(urljoin(token_url, "/.well-known/jwks.json"))
key = jwks.get_signing_key_from_jwt(token["access_token"])
claims = jwt.decode(
    token["access_token"],
    key,
    algorithms=["EdDSA"],
    issuer=issuer,
    audience=audience,
    options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
)
print(json.dumps({"access_token": token["access_token"], "pyjwt_client_id": claims["client_id"]}))
