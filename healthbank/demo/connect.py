"""The demo's relying parties (issue 14): the agency 綜合所得稅申報 (demo/taxfiling.py, port 8001) that logs people
in with HealthBank, and the sandbox health app 血糖日記 (demo/healthapp.py, port 8002) that reads labs and
vaccinations through the FHIR API with the person's consent."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from django.conf import settings

from healthbank import policy
from healthbank.connect.models import Application

TAX_FILING_CLIENT_ID = "demo-tax-filing"
TAX_FILING_PORT = 8001
HEALTH_APP_CLIENT_ID = "demo-glucose-diary"
HEALTH_APP_PORT = 8002


def _register(client_id: str, here: str, config: Path, **fields) -> None:
    """Register (again) a demo client with a new secret, its confidential registration kept in ``config`` (0600)."""
    secret = secrets.token_urlsafe(32)
    app = Application.objects.filter(client_id=client_id).first() or Application(client_id=client_id)
    for name, value in fields.items():
        setattr(app, name, value)
    app.privacy_policy_url = f"{here}/privacy"
    app.sandbox = True
    app.client_type = Application.CLIENT_CONFIDENTIAL
    app.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
    app.algorithm = Application.RS256_ALGORITHM
    app.redirect_uris = f"{here}/callback"
    app.client_secret = secret
    app.hash_client_secret = True
    app.full_clean()
    app.save()
    path = Path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"client_id": client_id, "client_secret": secret}, handle)


def set_up_tax_filing() -> list[str]:
    """Register (again) the demo agency with a new secret, kept for demo/taxfiling.py in var/; lines to print."""
    here = f"http://127.0.0.1:{TAX_FILING_PORT}"
    _register(
        TAX_FILING_CLIENT_ID,
        here,
        settings.DEMO_TAX_FILING_CONFIG,
        name="綜合所得稅申報（示範）",
        kind=Application.Kind.AGENCY,
        developer_name="財政部（示範） Ministry of Finance (demo)",
        allowed_scopes="openid profile",
        may_receive_national_id=False,
    )
    return [
        "  Log in with HealthBank (OpenID Connect): the demo agency 綜合所得稅申報, another site on this machine:",
        f"      make taxfiling   (or .venv/bin/python demo/taxfiling.py), then open {here}/",
    ]


def set_up_health_app() -> list[str]:
    """Register (again) the sandbox health app with a new secret, kept for demo/healthapp.py in var/; lines to print.

    A sandbox app: allowed only because the demo's people are synthetic (``Application.clean``)."""
    here = f"http://127.0.0.1:{HEALTH_APP_PORT}"
    _register(
        HEALTH_APP_CLIENT_ID,
        here,
        settings.DEMO_HEALTH_APP_CONFIG,
        name="血糖日記（示範） Glucose diary (demo)",
        kind=Application.Kind.HEALTH_APP,
        developer_name="健康科技股份有限公司（示範） Health Tech Co. (demo)",
        allowed_scopes="openid passbook.labs passbook.vaccinations",
        may_receive_national_id=False,
        longest_access_months=policy.CONNECT_LONGEST_ACCESS_MONTHS,
        sells_data=False,
        shares_data=False,
        deletes_on_request=True,
    )
    return [
        "  A health app connected with consent (OAuth 2.0 + FHIR): the sandbox app 血糖日記, on this machine:",
        f"      make healthapp   (or .venv/bin/python demo/healthapp.py), then open {here}/"
        " and connect a * person; revoke it at /me/apps/",
    ]
