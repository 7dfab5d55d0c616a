"""The personal NHI data services' figure (issue 11): certificate PDFs produced a second, Chinese and English.

    .venv/bin/python bench/services_bench.py

On a scratch SQLite file (``healthbank.settings.test``: fresh keys; the database cache), migrated here: one
insured person with three dependents (the test household's shape) and ``BENCH_SERVICES_UNITS`` (3) changes of
insurance unit over the years, so a certificate lists a few periods. Measured, each ``BENCH_SERVICES_PDFS``
(30) times a language, after one warm-up PDF each (the first PDF of a process loads the CJK fonts, about a second):

- **issue**: ``issue_insurance_certificate`` (the enrolments read, the snapshot, the stored row with its code),
  each with another period so every one is a new row;
- **pdf**: ``certificate_pdf`` of that row (the snapshot drawn by WeasyPrint with its QR code) — the step the
  issue's "a certificate PDF in under one second" is about;
- **http**: the web page's POST (issue, then redirect) and the GET of the PDF through Django's test client
  (in-process: no server, no network), ``BENCH_SERVICES_HTTP`` (10) times a language;
- **premiums**: the premium payment certificate (a year of twelve payments), issue + PDF, ``BENCH_SERVICES_PDFS``
  times.

Prints a table (stderr) and one JSON object (stdout, ``"figure": "services"``). Timings are wall clock
(``time.perf_counter``); medians and p95 in ms, PDFs a second = count / total seconds of the PDF step.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PDFS = int(os.environ.get("BENCH_SERVICES_PDFS", "30"))
HTTP = int(os.environ.get("BENCH_SERVICES_HTTP", "10"))
UNITS = int(os.environ.get("BENCH_SERVICES_UNITS", "3"))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _ms(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    p95 = statistics.quantiles(ordered, n=20, method="inclusive")[18] if len(ordered) > 1 else ordered[0]
    return {"median_ms": round(statistics.median(ordered) * 1000, 1), "p95_ms": round(p95 * 1000, 1)}


def _household():
    import datetime as dt

    from healthbank.core.national_id import with_check_digit
    from healthbank.identity.models import Enrolment, InsuranceUnit
    from healthbank.identity.services import create_person, enrol_dependent, start_household

    units = [
        InsuranceUnit.objects.create(code=f"98765432{i}", name=f"測試公司{i}", kind="employer", county="臺北市")
        for i in range(UNITS)
    ]
    parent = create_person(
        national_id=with_check_digit("C10000001"), name="陳大文", sex="M", birth_date=dt.date(1978, 3, 3)
    )
    family = start_household(parent, units[0], category=1, salary=45800, since=dt.date(2004, 1, 1))
    first = Enrolment.objects.get(person=parent)
    first.ended_on = dt.date(2009, 12, 31)
    first.save()
    for i, unit in enumerate(units[1:], start=1):  # later units: closed periods, the last one open
        Enrolment.objects.create(
            person=parent,
            household=family,
            unit=unit,
            category=1,
            role="insured",
            relationship="self",
            insured_salary=45800 + 2000 * i,
            started_on=dt.date(2004 + 6 * i, 1, 1),
            ended_on=None if i == len(units) - 1 else dt.date(2009 + 6 * i, 12, 31),
        )
    for n, (name, relationship, born) in enumerate(
        [
            ("林淑芬", "spouse", dt.date(1980, 8, 8)),
            ("陳小華", "child", dt.date(2010, 5, 1)),
            ("陳小安", "child", dt.date(2013, 2, 2)),
        ],
        start=2,
    ):
        person = create_person(
            national_id=with_check_digit(f"C{'2' if n % 2 == 0 else '1'}000000{n}"),
            name=name,
            sex="F" if n % 2 == 0 else "M",
            birth_date=born,
        )
        enrol_dependent(family, person, relationship=relationship, since=max(born, dt.date(2016, 1, 1)))
    return parent


def _pay(parent, year: int) -> None:
    import datetime as dt

    from healthbank.identity.models import Enrolment
    from healthbank.insurance.models import PremiumCalculation, PremiumPayment

    unit = Enrolment.objects.filter(person=parent, ended_on__isnull=True).first().unit
    for month in range(1, 13):
        calc = PremiumCalculation.objects.create(
            person=parent, unit=unit, month=dt.date(year, month, 1), insured_salary=49800,
            rate_per_ten_thousand=517, contribution_share_pct=30, insured_count=4, amount=3092,
        )  # fmt: skip
        PremiumPayment.objects.create(
            person=parent, calculation=calc, paid_on=dt.date(year, month, 20), amount=3092, method="payroll"
        )


def _measure(parent, language: str) -> dict:
    import datetime as dt

    from healthbank.insurance import certificates

    name = "CHEN, TA-WEN" if language == "en" else ""
    start = dt.date(2005, 1, 1)
    warm = certificates.issue_insurance_certificate(
        parent, parent, date_from=start, date_to=dt.date(2024, 12, 31), language=language, passport_name=name
    )
    certificates.certificate_pdf(warm)
    issue, pdf, sizes = [], [], []
    for i in range(PDFS):
        t0 = time.perf_counter()
        document = certificates.issue_insurance_certificate(
            parent, parent, date_from=start + dt.timedelta(days=i + 1), date_to=dt.date(2025, 6, 30),
            language=language, passport_name=name,
        )  # fmt: skip
        t1 = time.perf_counter()
        data = certificates.certificate_pdf(document)
        t2 = time.perf_counter()
        issue.append(t1 - t0)
        pdf.append(t2 - t1)
        sizes.append(len(data))
    return {
        "pdfs": PDFS,
        "periods": len(document.snapshot["periods"]),
        "pdfs_per_second": round(PDFS / sum(pdf), 2),
        "issue": _ms(issue),
        "pdf": _ms(pdf),
        "slowest_pdf_ms": round(max(pdf) * 1000, 1),
        "pdf_kib": round(statistics.median(sizes) / 1024, 1),
    }


def _http(parent, language: str) -> dict:
    import datetime as dt

    from django.test import Client

    from healthbank.accounts.login import SESSION_METHOD, SESSION_PERSON, Method

    client = Client()
    session = client.session
    session[SESSION_PERSON], session[SESSION_METHOD] = str(parent.pk), Method.CERTIFICATE
    session.save()
    prefix = "/en" if language == "en" else ""
    rounds = []
    for i in range(HTTP):
        form = {
            "date_from": (dt.date(2006, 1, 1) + dt.timedelta(days=i)).isoformat(),
            "date_to": "2025-06-30",
            "language": language,
            "name_en": "CHEN, TA-WEN",
        }
        t0 = time.perf_counter()
        issued = client.post(f"{prefix}/services/{parent.pk}/certificates/insurance/", form)
        assert issued.status_code == 302, issued.status_code
        pdf = client.get(issued["Location"] + "pdf")
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf", pdf.status_code
        rounds.append(time.perf_counter() - t0)
    return {"rounds": HTTP, **_ms(rounds)}


def _premiums(parent) -> dict:
    from healthbank.insurance import certificates

    _pay(parent, 2024)
    _pay(parent, 2025)
    times = []
    for i in range(PDFS):
        t0 = time.perf_counter()
        document = certificates.issue_premium_certificate(
            parent, parent, year=2024 + i % 2, language="zh-hant" if i % 4 < 2 else "en"
        )
        certificates.certificate_pdf(document)
        times.append(time.perf_counter() - t0)
    return {"pdfs": PDFS, "pdfs_per_second": round(PDFS / sum(times), 2), **_ms(times)}


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="services-bench-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/services.sqlite3"
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(HERE.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthbank.settings.test")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from healthbank import policy

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # Django's test client

    policy.CERTIFICATES_MAX_PER_DAY = (10**6, policy.CERTIFICATES_MAX_PER_DAY[1])  # the spam guard is not measured
    try:
        t0 = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)
        parent = _household()
        log(f"[services] migrated and ready in {time.perf_counter() - t0:.1f} s")
        figure = {
            "figure": "services",
            "database": connection.vendor,
            "certificate_zh": _measure(parent, "zh-hant"),
            "certificate_en": _measure(parent, "en"),
            "http_zh": _http(parent, "zh-hant"),
            "http_en": _http(parent, "en"),
            "premium_certificate": _premiums(parent),
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        }
        rows = [
            ("certificate PDF, Chinese", figure["certificate_zh"]),
            ("certificate PDF, English", figure["certificate_en"]),
        ]
        log(f"{'':28} {'PDF/s':>7} {'median ms':>10} {'p95 ms':>8} {'slowest':>8}")
        for label, f in rows:
            pdf, rate, slowest = f["pdf"], f["pdfs_per_second"], f["slowest_pdf_ms"]
            log(f"{label:28} {rate:>7} {pdf['median_ms']:>10} {pdf['p95_ms']:>8} {slowest:>8}")
        for label, key in (("web issue + PDF, Chinese", "http_zh"), ("web issue + PDF, English", "http_en")):
            log(f"{label:28} {'':>7} {figure[key]['median_ms']:>10} {figure[key]['p95_ms']:>8}")
        p = figure["premium_certificate"]
        log(f"{'premium certificate + PDF':28} {p['pdfs_per_second']:>7} {p['median_ms']:>10} {p['p95_ms']:>8}")
        print(json.dumps(figure, ensure_ascii=False))
    finally:
        connection.close()
        shutil.rmtree(scratch, ignore_errors=True)
        external = Path(settings.EXTERNAL_DATA_DIR).parent  # the test settings' own scratch folder
        if external.name.startswith("healthbank-test-"):
            shutil.rmtree(external, ignore_errors=True)


if __name__ == "__main__":
    main()
