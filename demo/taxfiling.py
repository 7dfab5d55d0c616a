"""綜合所得稅申報 (demo): an agency's site that logs people in with HealthBank by OpenID Connect (issue 14).

A relying party as another agency would write one, with nothing of HealthBank's code: the discovery document,
the authorization code flow with PKCE (S256), the code exchanged with the client secret, the ID token's
signature checked against the published JWKS (and its issuer, audience, nonce and expiry). It shows the name,
the pairwise ``sub`` (this agency's own identifier for the person) and the ``acr`` (how they logged in).

    .venv/bin/python demo/taxfiling.py            # after `generate_population --demo-logins`
    open http://127.0.0.1:8001/

Its registration (client id and secret) is read from ``var/demo-taxfiling.json``, which
``generate_population --demo-logins`` writes. Standard library, ``requests`` and ``jwcrypto`` only.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import json
import os
import secrets
import time
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from jwcrypto import jwk, jwt

VAR_DIR = Path(os.environ.get("HEALTHBANK_VAR_DIR", Path(__file__).resolve().parent.parent / "var"))
CONFIG = VAR_DIR / "demo-taxfiling.json"
PENDING: dict[str, dict] = {}  # state -> the request's verifier and nonce (one process, a demo)


def discovery(healthbank: str) -> dict:
    return requests.get(f"{healthbank}/.well-known/openid-configuration", timeout=10).json()


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def verified_claims(id_token: str, meta: dict, client_id: str, nonce: str) -> dict:
    """The ID token's claims, once its RS256 signature checks with the JWKS and it is for us, now."""
    keys = jwk.JWKSet.from_json(requests.get(meta["jwks_uri"], timeout=10).text)
    token = jwt.JWT(
        jwt=id_token,
        key=keys,
        algs=["RS256"],
        check_claims={"iss": meta["issuer"], "aud": client_id, "exp": None},
    )
    claims = json.loads(token.claims)
    if claims.get("nonce") != nonce:
        raise ValueError("the ID token's nonce is not this login's")
    return claims


def page(title: str, body: str) -> bytes:
    return (
        "<!doctype html><html lang='zh-Hant-TW'><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<body style='font-family:sans-serif;max-width:40em;margin:2em auto'>"
        f"<h1>財政部 綜合所得稅申報（示範） · Income tax filing (demo)</h1>{body}</body></html>"
    ).encode()


class Handler(BaseHTTPRequestHandler):
    healthbank = ""
    config: dict = {}
    here = ""

    def _send(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/":
            self._send(200, page("Tax filing", "<p><a href='/login'>以健康存摺登入 · Log in with HealthBank</a></p>"))
        elif url.path == "/login":
            meta = discovery(self.healthbank)
            verifier, challenge = pkce_pair()
            state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
            PENDING[state] = {"verifier": verifier, "nonce": nonce, "at": time.time()}
            target = (
                meta["authorization_endpoint"]
                + "?"
                + urlencode(
                    {
                        "response_type": "code",
                        "client_id": self.config["client_id"],
                        "redirect_uri": self.here + "/callback",
                        "scope": "openid profile",
                        "state": state,
                        "nonce": nonce,
                        "code_challenge": challenge,
                        "code_challenge_method": "S256",
                    }
                )
            )
            cookie = f"taxfiling_state={state}; HttpOnly; SameSite=Lax; Path=/"
            self._send(302, headers={"Location": target, "Set-Cookie": cookie})
        elif url.path == "/callback":
            self._callback(query)
        else:
            self._send(404, page("Not found", "<p>Not found.</p>"))

    def _callback(self, query: dict) -> None:
        cookie = SimpleCookie(self.headers.get("Cookie", ""))
        state = query.get("state", "")
        pending = PENDING.pop(state, None)
        if pending is None or "taxfiling_state" not in cookie or cookie["taxfiling_state"].value != state:
            self._send(400, page("Error", "<p>This login was not started here (state).</p>"))
            return
        if "error" in query:
            self._send(200, page("Declined", f"<p>HealthBank answered: {html.escape(query['error'])}</p>"))
            return
        meta = discovery(self.healthbank)
        if query.get("iss") and query["iss"] != meta["issuer"]:
            self._send(400, page("Error", "<p>The answer came from another issuer.</p>"))
            return
        answer = requests.post(
            meta["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": query.get("code", ""),
                "redirect_uri": self.here + "/callback",
                "code_verifier": pending["verifier"],
            },
            auth=(self.config["client_id"], self.config["client_secret"]),
            timeout=10,
        )
        if answer.status_code != 200:
            self._send(400, page("Error", f"<p>Token request refused: {html.escape(answer.text)}</p>"))
            return
        claims = verified_claims(answer.json()["id_token"], meta, self.config["client_id"], pending["nonce"])
        claims["auth_time"] = time.strftime("%Y-%m-%d %H:%M:%S %z", time.localtime(claims["auth_time"]))
        rows = "".join(
            f"<tr><th>{html.escape(label)}</th><td><code>{html.escape(str(claims.get(key, '—')))}</code></td></tr>"
            for key, label in (
                ("name", "姓名 Name"),
                ("sub", "本機關的識別碼 Our identifier (pairwise sub)"),
                ("acr", "登入方式 How they logged in (acr)"),
                ("auth_time", "登入時間 Logged in at (auth_time)"),
            )
        )
        self._send(200, page("Logged in", f"<p>已以健康存摺登入 · Logged in with HealthBank</p><table>{rows}</table>"))

    def log_message(self, format, *args):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--healthbank", default="http://127.0.0.1:8000")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--config", type=Path, default=CONFIG)
    args = parser.parse_args()
    Handler.config = json.loads(args.config.read_text())
    Handler.healthbank = args.healthbank.rstrip("/")
    Handler.here = f"http://127.0.0.1:{args.port}"
    print(f"Tax filing demo on {Handler.here}/ (logs in with {Handler.healthbank})")
    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
