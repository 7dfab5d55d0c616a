"""The web pages of the personal NHI data services (SPEC §10): ``/services/...``, one module per service."""
