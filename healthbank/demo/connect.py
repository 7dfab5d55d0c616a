"""The demo agency that logs people in with HealthBank (issue 14): 綜合所得稅申報, demo/taxfiling.py on port 8001."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from django.conf import settings

from healthbank.connect.models import Application

TAX_FILING_CLIENT_ID = "demo-tax-filing"
TAX_FILING_PORT = 8001


def set_up_tax_filing() -> list[str]:
    """Register (again) the demo agency with a new secret, kept for demo/taxfiling.py in var/; lines to print."""
    secret = secrets.token_urlsafe(32)
    here = f"http://127.0.0.1:{TAX_FILING_PORT}"
    app = Application.objects.filter(client_id=TAX_FILING_CLIENT_ID).first() or Application(
        client_id=TAX_FILING_CLIENT_ID
    )
    app.name = "綜合所得稅申報（示範）"
    app.kind = Application.Kind.AGENCY
    app.developer_name = "財政部（示範） Ministry of Finance (demo)"
    app.privacy_policy_url = f"{here}/privacy"
    app.allowed_scopes = "openid profile"
    app.may_receive_national_id = False
    app.sandbox = True
    app.client_type = Application.CLIENT_CONFIDENTIAL
    app.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
    app.algorithm = Application.RS256_ALGORITHM
    app.redirect_uris = f"{here}/callback"
    app.client_secret = secret
    app.hash_client_secret = True
    app.full_clean()
    app.save()
    path = Path(settings.DEMO_TAX_FILING_CONFIG)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"client_id": TAX_FILING_CLIENT_ID, "client_secret": secret}, handle)
    return [
        "  Log in with HealthBank (OpenID Connect): the demo agency 綜合所得稅申報, another site on this machine:",
        f"      make taxfiling   (or .venv/bin/python demo/taxfiling.py), then open {here}/",
    ]
