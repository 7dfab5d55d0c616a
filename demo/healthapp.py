"""血糖日記 Glucose diary (demo): a third-party health app that reads a person's labs and vaccinations (issue 14).

A health app as a developer outside HealthBank would write one, with nothing of HealthBank's code: the
authorization code flow with PKCE (S256) and a checked ``state``, the code exchanged with the client secret, then
the FHIR R4 API with the access token: ``Observation?category=laboratory`` (every page, by the Bundle's ``next``
links) and ``Immunization``. It shows the labs grouped by test (the latest value, unit, date and flag, a trend
line for a test with two values or more) and the vaccinations. When HealthBank answers 401 (the person revoked
the app on their connected-apps page, or the time they chose ran out) it says so and offers to connect again.

    .venv/bin/python demo/healthapp.py            # after `generate_population --demo-logins` (make demo)
    open http://127.0.0.1:8002/                   # ?lang=en: in English

Its registration (client id and secret) is read from ``var/demo-healthapp.json``, which
``generate_population --demo-logins`` writes. Tokens stay in this process's memory, keyed by a random cookie;
nothing is printed. Standard library and ``requests`` only.
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

VAR_DIR = Path(os.environ.get("HEALTHBANK_VAR_DIR", Path(__file__).resolve().parent.parent / "var"))
CONFIG = VAR_DIR / "demo-healthapp.json"
SCOPE = "openid passbook.labs passbook.vaccinations"
COOKIE = "glucose_diary"
PAGE_SIZE = 200  # the FHIR API's largest page
PENDING: dict[str, dict] = {}  # state -> the request's PKCE verifier and language (one process, a demo)
SESSIONS: dict[str, dict] = {}  # cookie -> {"access_token", "refresh_token"} or {"withdrawn": True}

WORDS = {
    "zh": {
        "title": "血糖日記（示範）",
        "tagline": "健康科技股份有限公司（示範）出品的第三方健康 App，經您同意後從健康存摺讀取檢驗結果與疫苗接種紀錄。",
        "connect": "連結健康存摺",
        "connect_why": "按下後會前往健康存摺登入，由您決定讓本 App 讀取哪些資料、多久。",
        "refresh": "重新讀取",
        "forget": "登出本 App",
        "revoke_where": "登出只會讓本 App 忘記權杖；要撤回本 App 讀取資料的授權，請到健康存摺的「已連結的 App」頁面。",
        "labs": "檢驗結果",
        "test": "檢驗項目",
        "latest": "最近一次",
        "date": "日期",
        "flag": "判讀",
        "trend": "趨勢",
        "range": "參考值",
        "no_labs": "健康存摺中沒有可讀取的檢驗結果（或您未同意讀取）。",
        "vaccinations": "疫苗接種",
        "vaccine": "疫苗",
        "no_vaccinations": "健康存摺中沒有可讀取的疫苗接種紀錄（或您未同意讀取）。",
        "H": "偏高",
        "L": "偏低",
        "N": "正常",
        "withdrawn": "健康存摺已不再讓本 App 讀取您的資料：您已在健康存摺撤回對本 App 的授權（或您選擇的期間已到）。"
        "本 App 已刪除存取權杖。",
        "again": "若要再次使用，請重新連結健康存摺。",
        "declined": "您沒有同意連結，本 App 沒有讀取任何資料。",
        "state": "這次連結不是從本 App 開始的（state 不符），已拒絕。",
        "failed": "健康存摺拒絕了本 App 的要求：",
        "unreachable": "目前無法連線到健康存摺，請稍後再試。",
        "trend_label": "{name}：{count} 次，從 {first} 到 {last}",
        "privacy": "隱私權政策",
        "privacy_text": "本 App 只讀取您同意的檢驗結果與疫苗接種紀錄，只在您開啟頁面時讀取，不儲存、不出售、不分享；"
        "權杖只存在記憶體中，關閉程式即消失。這是示範 App，使用的是合成的示範民眾。",
        "other": "English",
        "not_found": "找不到這個頁面。",
    },
    "en": {
        "title": "Glucose diary (demo)",
        "tagline": "A third-party health app by Health Tech Co. (demo): with your consent it reads your lab results and"
        " vaccinations from HealthBank.",
        "connect": "Connect to HealthBank 健康存摺",
        "connect_why": "You log in at HealthBank and decide what this app may read, and for how long.",
        "refresh": "Refresh",
        "forget": "Sign out of this app",
        "revoke_where": "Signing out only makes this app forget its tokens; to withdraw its access to your data, revoke"
        " it on HealthBank's connected-apps page.",
        "labs": "Lab results",
        "test": "Test",
        "latest": "Latest",
        "date": "Date",
        "flag": "Flag",
        "trend": "Trend",
        "range": "Reference",
        "no_labs": "No lab results to read in HealthBank (or you did not agree to share them).",
        "vaccinations": "Vaccinations",
        "vaccine": "Vaccine",
        "no_vaccinations": "No vaccinations to read in HealthBank (or you did not agree to share them).",
        "H": "High",
        "L": "Low",
        "N": "Normal",
        "withdrawn": "HealthBank no longer lets this app read your data: access was withdrawn in HealthBank (or the"
        " time you chose has run out). This app has deleted its tokens.",
        "again": "To use it again, connect to HealthBank again.",
        "declined": "You did not agree to connect; this app read nothing.",
        "state": "This connection was not started by this app (state mismatch) and is refused.",
        "failed": "HealthBank refused this app's request: ",
        "unreachable": "HealthBank cannot be reached at the moment; try again later.",
        "trend_label": "{name}: {count} values from {first} to {last}",
        "privacy": "Privacy policy",
        "privacy_text": "This app reads only the lab results and vaccinations you agree to, only while you open its"
        " page; it stores, sells and shares nothing; tokens live in memory only and are gone when it stops. A demo"
        " app, used with synthetic demo people.",
        "other": "中文",
        "not_found": "No such page.",
    },
}


class AccessWithdrawn(Exception):
    """HealthBank answered 401: the token no longer opens anything (revoked, or the grant ended)."""


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


# ---------------------------------------------------------------- FHIR resources → what the page shows


def lab_groups(observations: list[dict]) -> list[dict]:
    """The labs grouped by test (LOINC code, else the name), each with its values oldest first, by name."""
    groups: dict[str, dict] = {}
    for obs in observations:
        code = obs.get("code", {})
        loinc = next((c.get("code") for c in code.get("coding", []) if c.get("code")), "")
        name = code.get("text") or loinc or "?"
        group = groups.setdefault(loinc or name, {"name": name, "values": []})
        quantity = obs.get("valueQuantity") or {}
        flags = [c.get("code") for i in obs.get("interpretation", []) for c in i.get("coding", [])]
        group["values"].append(
            {
                "date": obs.get("effectiveDateTime", "")[:10],
                "value": quantity.get("value", obs.get("valueString", "")),
                "unit": quantity.get("unit", ""),
                "flag": flags[0] if flags else "",
                "range": ((obs.get("referenceRange") or [{}])[0]).get("text", ""),
            }
        )
    for group in groups.values():
        group["values"].sort(key=lambda v: v["date"])
        group["latest"] = group["values"][-1]
    return sorted(groups.values(), key=lambda g: g["name"])


def trend_svg(points: list[tuple[str, float]], label: str, width: int = 120, height: int = 32) -> str:
    """A small trend line of (date, value) points, oldest first, as inline SVG; "" for fewer than two numbers.

    x follows the dates' order (evenly spaced), y the value between the smallest (bottom) and largest (top);
    the last point is marked. ``label`` is what a screen reader says instead.
    """
    numbers = [(d, float(v)) for d, v in points if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) < 2:
        return ""
    pad = 3
    low, high = min(v for _, v in numbers), max(v for _, v in numbers)
    span = (high - low) or 1.0
    step = (width - 2 * pad) / (len(numbers) - 1)
    coords = [
        (
            round(pad + i * step, 1),
            round(pad + (height - 2 * pad) * ((high - v) / span if high != low else 0.5), 1),
        )
        for i, (_, v) in enumerate(numbers)
    ]
    line = " ".join(f"{x},{y}" for x, y in coords)
    last_x, last_y = coords[-1]
    return (
        f"<svg class='trend' width='{width}' height='{height}' viewBox='0 0 {width} {height}' role='img'"
        f" aria-label='{html.escape(label, quote=True)}' xmlns='http://www.w3.org/2000/svg'>"
        f"<polyline points='{line}' fill='none' stroke='#1565c0' stroke-width='1.5'/>"
        f"<circle cx='{last_x}' cy='{last_y}' r='2.5' fill='#1565c0'/></svg>"
    )


def immunization_rows(immunizations: list[dict]) -> list[dict]:
    """Each vaccination's name and day, newest first."""
    rows = [
        {
            "name": i.get("vaccineCode", {}).get("text")
            or next((c.get("code") for c in i.get("vaccineCode", {}).get("coding", [])), "?"),
            "date": i.get("occurrenceDateTime", "")[:10],
        }
        for i in immunizations
    ]
    return sorted(rows, key=lambda r: r["date"], reverse=True)


# ---------------------------------------------------------------- HealthBank


class HealthBank:
    def __init__(self, base: str, client_id: str, client_secret: str, here: str):
        self.base, self.client_id, self.client_secret, self.here = base, client_id, client_secret, here

    def meta(self) -> dict:
        return requests.get(f"{self.base}/.well-known/openid-configuration", timeout=10).json()

    def token(self, data: dict) -> requests.Response:
        return requests.post(
            self.meta()["token_endpoint"], data=data, auth=(self.client_id, self.client_secret), timeout=10
        )

    def search_all(self, session: dict, url: str, language: str) -> list[dict]:
        """Every resource of a FHIR search, page after page by the Bundle's ``next`` link."""
        found: list[dict] = []
        while url:
            answer = self.get(session, url, language)
            bundle = answer.json()
            found += [e["resource"] for e in bundle.get("entry", [])]
            url = next((link["url"] for link in bundle.get("link", []) if link.get("relation") == "next"), "")
        return found

    def get(self, session: dict, url: str, language: str) -> requests.Response:
        """A GET with the access token; on 401 the refresh token once (if any), else ``AccessWithdrawn``."""
        for attempt in (1, 2):
            answer = requests.get(
                url,
                headers={
                    "Authorization": f"Bearer {session['access_token']}",
                    "Accept": "application/fhir+json",
                    "Accept-Language": "en" if language == "en" else "zh-Hant",
                },
                timeout=30,
            )
            if answer.status_code != 401:
                answer.raise_for_status()
                return answer
            if attempt == 2 or not session.get("refresh_token"):
                break
            renewed = self.token({"grant_type": "refresh_token", "refresh_token": session["refresh_token"]})
            if renewed.status_code != 200:  # revoked with the grant: invalid_grant
                break
            session["access_token"] = renewed.json()["access_token"]
            session["refresh_token"] = renewed.json().get("refresh_token", session["refresh_token"])
        raise AccessWithdrawn


# ---------------------------------------------------------------- the pages


def page(language: str, body: str, path: str = "/") -> bytes:
    w = WORDS[language]
    other = "en" if language == "zh" else "zh"
    switch = f"{path}?lang=en" if other == "en" else path
    return (
        f"<!doctype html><html lang='{'en' if language == 'en' else 'zh-Hant-TW'}'><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(w['title'])}</title>"
        "<style>body{font-family:sans-serif;max-width:48em;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3em .5em;"
        "border-bottom:1px solid #ddd;vertical-align:middle}.flag-H,.flag-L{color:#b71c1c;font-weight:bold}"
        ".notice{background:#fff3e0;border-left:4px solid #e65100;padding:.7em 1em}button{font-size:1em}"
        "form{margin:1em 0}</style>"
        f"<body><p style='text-align:right'><a href='{switch}'>{w['other']}</a></p>"
        f"<h1>{html.escape(w['title'])}</h1><p>{html.escape(w['tagline'])}</p>{body}"
        f"<p><small><a href='/privacy{'?lang=en' if language == 'en' else ''}'>{w['privacy']}</a></small></p>"
        "</body></html>"
    ).encode()


def connect_form(language: str) -> str:
    w = WORDS[language]
    hidden = "<input type='hidden' name='lang' value='en'>" if language == "en" else ""
    return (
        f"<form method='get' action='/connect'>{hidden}<button type='submit'>{html.escape(w['connect'])}</button>"
        f"</form><p><small>{html.escape(w['connect_why'])}</small></p>"
    )


def data_page(language: str, labs: list[dict], immunizations: list[dict], healthbank: str = "") -> str:
    w = WORDS[language]
    e = html.escape
    hidden = "<input type='hidden' name='lang' value='en'>" if language == "en" else ""
    out = [
        f"<form method='get' action='/'>{hidden}<button type='submit'>{e(w['refresh'])}</button></form>",
        f"<h2>{e(w['labs'])}</h2>",
    ]
    if labs:
        out.append(
            f"<table><thead><tr><th>{e(w['test'])}</th><th>{e(w['latest'])}</th><th>{e(w['date'])}</th>"
            f"<th>{e(w['flag'])}</th><th>{e(w['range'])}</th><th>{e(w['trend'])}</th></tr></thead><tbody>"
        )
        for group in labs:
            latest = group["latest"]
            values = group["values"]
            label = w["trend_label"].format(
                name=group["name"], count=len(values), first=values[0]["date"], last=values[-1]["date"]
            )
            svg = trend_svg([(v["date"], v["value"]) for v in values], label)
            flag = latest["flag"]
            out.append(
                f"<tr class='lab'><th scope='row'>{e(group['name'])}</th>"
                f"<td>{e(str(latest['value']))} {e(latest['unit'])}</td><td>{e(latest['date'])}</td>"
                f"<td class='flag-{e(flag)}'>{e(w.get(flag, flag)) if flag else ''}</td>"
                f"<td>{e(latest['range'])}</td><td>{svg}</td></tr>"
            )
        out.append("</tbody></table>")
    else:
        out.append(f"<p>{e(w['no_labs'])}</p>")
    out.append(f"<h2>{e(w['vaccinations'])}</h2>")
    if immunizations:
        out.append(f"<table><thead><tr><th>{e(w['vaccine'])}</th><th>{e(w['date'])}</th></tr></thead><tbody>")
        out += [f"<tr class='immunization'><td>{e(r['name'])}</td><td>{e(r['date'])}</td></tr>" for r in immunizations]
        out.append("</tbody></table>")
    else:
        out.append(f"<p>{e(w['no_vaccinations'])}</p>")
    out.append(
        f"<form method='post' action='/forget{'?lang=en' if language == 'en' else ''}'>"
        f"<button type='submit'>{e(w['forget'])}</button></form>"
    )
    return "".join(out)


class Handler(BaseHTTPRequestHandler):
    healthbank: HealthBank | None = None

    def _send(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        self.wfile.write(body)

    def _cookie(self, name: str) -> str:
        cookie = SimpleCookie(self.headers.get("Cookie", ""))
        return cookie[name].value if name in cookie else ""

    def _session_key(self) -> tuple[str, dict]:
        key = self._cookie(COOKIE)
        if key not in SESSIONS:
            key = secrets.token_urlsafe(32)
            SESSIONS[key] = {}
        return key, SESSIONS[key]

    def do_GET(self):
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        language = "en" if query.get("lang") == "en" else "zh"
        if url.path == "/":
            self._home(language)
        elif url.path == "/connect":
            self._connect(language)
        elif url.path == "/callback":
            self._callback(query)
        elif url.path == "/privacy":
            self._send(200, page(language, f"<p>{html.escape(WORDS[language]['privacy_text'])}</p>", "/privacy"))
        else:
            self._send(404, page(language, f"<p>{html.escape(WORDS[language]['not_found'])}</p>"))

    def do_POST(self):
        url = urlsplit(self.path)
        language = "en" if parse_qs(url.query).get("lang") == ["en"] else "zh"
        if url.path == "/forget":
            SESSIONS.pop(self._cookie(COOKIE), None)
            self._send(303, headers={"Location": "/?lang=en" if language == "en" else "/"})
        else:
            self._send(404, page(language, f"<p>{html.escape(WORDS[language]['not_found'])}</p>"))

    def _home(self, language: str) -> None:
        w = WORDS[language]
        key, session = self._session_key()
        cookie = {"Set-Cookie": f"{COOKIE}={key}; HttpOnly; SameSite=Lax; Path=/"}
        if session.get("withdrawn"):
            session.clear()
            body = f"<p class='notice' role='alert'>{html.escape(w['withdrawn'])}</p><p>{html.escape(w['again'])}</p>"
            self._send(200, page(language, body + connect_form(language)), cookie)
            return
        if not session.get("access_token"):
            self._send(200, page(language, connect_form(language)), cookie)
            return
        fhir = f"{self.healthbank.base}/fhir/R4"
        try:
            labs = self.healthbank.search_all(
                session, f"{fhir}/Observation?category=laboratory&_count={PAGE_SIZE}", language
            )
            immunizations = self.healthbank.search_all(session, f"{fhir}/Immunization?_count={PAGE_SIZE}", language)
        except AccessWithdrawn:
            session.clear()  # forget the tokens that no longer open anything
            session["withdrawn"] = True
            self._home(language)
            return
        except requests.RequestException:
            self._send(502, page(language, f"<p class='notice'>{html.escape(w['unreachable'])}</p>"), cookie)
            return
        body = data_page(language, lab_groups(labs), immunization_rows(immunizations), self.healthbank.base)
        self._send(200, page(language, body), cookie)

    def _connect(self, language: str) -> None:
        meta = self.healthbank.meta()
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(16)
        PENDING[state] = {"verifier": verifier, "language": language, "at": time.time()}
        target = (
            meta["authorization_endpoint"]
            + "?"
            + urlencode(
                {
                    "response_type": "code",
                    "client_id": self.healthbank.client_id,
                    "redirect_uri": self.healthbank.here + "/callback",
                    "scope": SCOPE,
                    "state": state,
                    "nonce": secrets.token_urlsafe(16),
                    "code_challenge": challenge,
                    "code_challenge_method": "S256",
                }
            )
        )
        cookie = f"{COOKIE}_state={state}; HttpOnly; SameSite=Lax; Path=/"
        self._send(302, headers={"Location": target, "Set-Cookie": cookie})

    def _callback(self, query: dict) -> None:
        state = query.get("state", "")
        pending = PENDING.pop(state, None)
        language = pending["language"] if pending else "zh"
        w = WORDS[language]
        if pending is None or not state or self._cookie(f"{COOKIE}_state") != state:
            self._send(400, page(language, f"<p class='notice'>{html.escape(w['state'])}</p>"))
            return
        if "error" in query:
            body = f"<p>{html.escape(w['declined'])}</p>" + connect_form(language)
            self._send(200, page(language, body))
            return
        meta = self.healthbank.meta()
        if query.get("iss") and query["iss"] != meta["issuer"]:
            self._send(400, page(language, f"<p class='notice'>{html.escape(w['state'])}</p>"))
            return
        answer = self.healthbank.token(
            {
                "grant_type": "authorization_code",
                "code": query.get("code", ""),
                "redirect_uri": self.healthbank.here + "/callback",
                "code_verifier": pending["verifier"],
            }
        )
        if answer.status_code != 200:
            error = answer.json().get("error", str(answer.status_code)) if answer.content else answer.status_code
            self._send(400, page(language, f"<p class='notice'>{html.escape(w['failed'] + str(error))}</p>"))
            return
        tokens = answer.json()
        key, session = self._session_key()
        session.clear()
        session.update(access_token=tokens["access_token"], refresh_token=tokens.get("refresh_token", ""))
        headers = {
            "Location": "/?lang=en" if language == "en" else "/",
            "Set-Cookie": f"{COOKIE}={key}; HttpOnly; SameSite=Lax; Path=/",
        }
        self._send(303, headers=headers)

    def log_message(self, format, *args):
        pass  # the request lines carry codes and states: nothing is printed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--healthbank", default="http://127.0.0.1:8000")
    parser.add_argument("--port", type=int, default=8002)
    parser.add_argument("--config", type=Path, default=CONFIG)
    args = parser.parse_args()
    config = json.loads(args.config.read_text())
    here = f"http://127.0.0.1:{args.port}"
    Handler.healthbank = HealthBank(args.healthbank.rstrip("/"), config["client_id"], config["client_secret"], here)
    print(f"Glucose diary demo app on {here}/ (reads from {Handler.healthbank.base})")
    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
