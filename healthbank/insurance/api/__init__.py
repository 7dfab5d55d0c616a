"""``/api/app/v1/services/...``: the app's personal NHI data services (SPEC §10), one module per service."""
