"""The FHIR figure (issue 14): a connected app's search of a person's labs over three years, against the passbook
summary endpoint, in the same run.

    .venv/bin/python bench/fhir_bench.py          (``make bench`` runs it after the passbook figure)

It reuses the passbook figure's database, server and driver (``bench/passbook_bench.py``: 20,000 people,
gunicorn with the production settings on PostgreSQL + Redis, 16 clients), with 16 adults whose three years of
labs lie between the quartiles of the people who have any (``people_with_labs``). Each person connects a health
app registered for the bench the way an app does it, over HTTP against that server: their web session opens
``/oauth/authorize/`` (PKCE S256), agrees on the consent page to labs and vaccinations, and the app exchanges the
code at ``/oauth/token/``. Then, one thread per person, the targets take turns (``BENCH_PASSBOOK_ROUNDS``, 2
rounds of ``BENCH_PASSBOOK_SECONDS`` each after a warm-up):

- ``fhir_labs``: ``GET /fhir/R4/Observation?category=laboratory&date=ge<three years ago>&_count=200`` with the
  app's Bearer token (one page holds a typical person's three years of labs);
- ``summary``: ``GET /api/app/v1/passbook/<person>/summary`` with the person's app token (the passbook figure's).

It prints a table (stderr) and one JSON object (stdout, also ``bench/results/fhir.json`` and the ``"figure":
"fhir"`` entry of ``bench/results/latest.json``): searches a second, p50/p95/p99, errors, the resources a search
returned, and the ratio of FHIR searches a second to summary requests a second.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import json
import os
import re
import secrets
import statistics
import sys
import urllib.parse
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import passbook_bench as pb  # noqa: E402 - the passbook figure's population, server, people and driver

APP_NAME = "FHIR bench app"
REDIRECT = "https://bench-app.example/cb"  # never followed: the bench reads the code from the redirect's Location
SCOPES = "openid passbook.labs passbook.vaccinations"
ROUNDS = int(os.environ.get("BENCH_PASSBOOK_ROUNDS", "2"))


def register_app() -> tuple[str, str]:
    """The bench's health app (a fresh client secret each run): its client id and secret."""
    from healthbank.connect.models import Application

    secret = secrets.token_urlsafe(32)
    app = Application.objects.filter(name=APP_NAME).first() or Application(name=APP_NAME)
    app.kind = Application.Kind.HEALTH_APP
    app.developer_name = "HealthBank bench"
    app.privacy_policy_url = "https://bench-app.example/privacy"
    app.allowed_scopes = SCOPES
    app.longest_access_months = 13
    app.client_type = Application.CLIENT_CONFIDENTIAL
    app.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
    app.algorithm = Application.RS256_ALGORITHM
    app.redirect_uris = REDIRECT
    app.client_secret = secret
    app.full_clean()
    app.save()
    return app.client_id, secret


def fhir_token(login: dict, client_id: str, secret: str) -> str:
    """The person agrees on HealthBank's consent page and the app exchanges the code: all over HTTP."""
    base = f"http://127.0.0.1:{pb.PORT}"
    # The production settings mark cookies Secure (the server sits behind TLS; the bench says so with
    # X-Forwarded-Proto), which requests' cookie jar will not send over http: the Cookie header is written here.
    cookies = {login["cookie"]: login["session"]}
    headers = {"X-Forwarded-Proto": "https"}
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": SCOPES,
        "state": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = requests.get(
        f"{base}/oauth/authorize/?{urllib.parse.urlencode(query)}",
        headers={**headers, "Cookie": _cookie_header(cookies)},
        allow_redirects=False,
    )
    if page.status_code != 200:
        sys.exit(f"the consent page answered {page.status_code}: {page.text[:300]}")
    cookies |= page.cookies.get_dict()  # the CSRF cookie (and a rotated session, if any)
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text)
    fields = {name: html.unescape(value) for name, value in hidden}
    form = {**fields, "allow": "on", "category": ["passbook.labs", "passbook.vaccinations"], "duration": "1"}
    answer = requests.post(
        f"{base}/oauth/authorize/",
        data=form,
        headers={
            **headers,
            "Cookie": _cookie_header(cookies),
            "Referer": f"https://127.0.0.1:{pb.PORT}/oauth/authorize/",
            "Origin": f"https://127.0.0.1:{pb.PORT}",
        },
        allow_redirects=False,
    )
    location = answer.headers.get("Location", "")
    if answer.status_code != 302 or not location.startswith(REDIRECT):
        sys.exit(f"the consent answered {answer.status_code} {location[:200]}: {answer.text[:300]}")
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["code"][0]
    token = requests.post(
        f"{base}/oauth/token/",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier},
        auth=(client_id, secret),
        headers={"X-Forwarded-Proto": "https"},
    )
    if token.status_code != 200:
        sys.exit(f"the token endpoint answered {token.status_code}: {token.text[:300]}")
    return token.json()["access_token"]


def _cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def labs_path(today: dt.date) -> str:
    since = today - dt.timedelta(days=3 * 365)
    return f"/fhir/R4/Observation?category=laboratory&date=ge{since.isoformat()}&_count=200"


def people_with_labs(today: dt.date) -> tuple[list, dict]:
    """``CLIENTS`` adults whose three-year lab count lies between the quartiles of the people who have labs (the
    passbook figure's typical people mostly have none uploaded: their visits are at clinics that send no labs)."""
    import random

    from django.db.models import Count

    from healthbank.identity.models import Person
    from healthbank.records.models import LabResult

    since = today - dt.timedelta(days=3 * 365)
    counts = dict(
        LabResult.objects.filter(collected_on__gte=since).values_list("person").annotate(n=Count("id")).order_by()
    )
    quartiles = statistics.quantiles(sorted(counts.values()), n=4)
    low, high = int(quartiles[0]), int(quartiles[2])
    adults = Person.objects.filter(birth_date__lte=today.replace(year=today.year - 20))
    candidates = sorted(str(pk) for pk in adults.values_list("pk", flat=True) if low <= counts.get(pk, 0) <= high)
    picked = random.Random(pb.PICK_SEED).sample(candidates, pb.CLIENTS)
    people = sorted(Person.objects.filter(pk__in=picked), key=lambda p: picked.index(str(p.pk)))
    about = {"people_with_labs": len(counts), "labs_3y_quartiles": [round(q, 1) for q in quartiles]}
    return people, about


def resources_per_search(logins: list[dict], path: str) -> list[int]:
    found = []
    for login in logins:
        status, body = pb.get(path, pb.request_headers(login, "fhir"))
        if status != 200:
            sys.exit(f"the FHIR search for {login['person']} answered {status}: {body[:300]!r}")
        bundle = json.loads(body)
        if bundle["total"] > 200:
            sys.exit("a person has more than one page of labs: the figure would measure only the first")
        found.append(bundle["total"])
    return found


def main() -> None:
    if not pb.redis_answers():
        sys.exit(f"Redis at {pb.REDIS_URL} does not answer; the production settings the server runs with need it")
    population = pb.ensure_population()
    load_before = pb.load_average()
    today = dt.date.today()
    pb.setup_django()
    people, about = people_with_labs(today)
    path = labs_path(today)
    pb.TARGETS["fhir_labs"] = (path, "fhir", "FHIR search: the person's labs over three years")
    measured = ("fhir_labs", "summary")
    with pb.Server() as server:
        from django.conf import settings

        client_id, secret = register_app()
        cookie = settings.SESSION_COOKIE_NAME
        logins = []
        for person in people:
            login = {"person": str(person.pk), "cookie": cookie, "session": pb.web_session(person)}
            login["token"] = pb.app_token(person)
            login["fhir_token"] = fhir_token(login, client_id, secret)
            logins.append(login)
        sizes = resources_per_search(logins, path)
        pb.log(f"{len(logins)} people connected the bench app; labs a search returns: {sizes}")
        runs: dict[str, list[dict]] = {name: [] for name in measured}
        for round_number in range(ROUNDS):
            for name in measured:
                pb.log(f"round {round_number + 1}/{ROUNDS}: {name}, load average {pb.load_average()}")
                runs[name].append(pb.drive(name, logins, server))
    targets = {}
    for name, done in runs.items():
        latencies = sorted(x for r in done for x in r.pop("latencies"))
        targets[name] = {
            "what": pb.TARGETS[name][2],
            "path": pb.TARGETS[name][0],
            **pb.summarise(latencies, sum(r["errors"] for r in done), pb.SECONDS * len(done)),
            "mean_bytes": round(statistics.mean(r["mean_bytes"] for r in done)),
            "cpu_seconds": {k: round(sum(r["cpu_seconds"][k] for r in done), 1) for k in done[0]["cpu_seconds"]},
        }
    ratio = round(targets["fhir_labs"]["requests_per_second"] / targets["summary"]["requests_per_second"], 2)
    figure = {
        "figure": "fhir",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "population": {**pb.population_counts(), **population, **about},
        "clients": pb.CLIENTS,
        "workers": pb.WORKERS,
        "rounds": ROUNDS,
        "seconds_per_round": pb.SECONDS,
        "labs_per_search": {"min": min(sizes), "median": statistics.median(sizes), "max": max(sizes)},
        "targets": targets,
        "fhir_searches_per_summary": ratio,
        "load_average": {"before": load_before, "after": pb.load_average()},
        "postgres": pb.postgres_version(),
    }
    print(
        f"FHIR figure {figure['date']}: {figure['population']['people']} people, {pb.CLIENTS} clients, "
        f"{pb.WORKERS} gunicorn workers\n"
        + "\n".join(
            f"{name:10} {row['requests_per_second']:7.1f} req/s  p50 {row['p50_ms']:6.1f}  p95 {row['p95_ms']:6.1f}"
            f"  p99 {row['p99_ms']:6.1f} ms  errors {row['errors']}"
            for name, row in targets.items()
        )
        + f"\nFHIR lab searches a second / summaries a second: {ratio}",
        file=sys.stderr,
    )
    if pb.WRITE_RESULTS:
        results = HERE / "results"
        results.mkdir(exist_ok=True)
        (results / "fhir.json").write_text(json.dumps(figure, indent=1, ensure_ascii=False, default=str) + "\n")
        latest = results / "latest.json"
        kept = json.loads(latest.read_text()) if latest.exists() else []
        kept = [entry for entry in kept if entry.get("figure") != "fhir"] + [figure]
        latest.write_text(json.dumps(kept, indent=1, ensure_ascii=False, default=str) + "\n")
    print(json.dumps(figure, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
