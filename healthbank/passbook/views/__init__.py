"""The passbook's web pages (SPEC §6.2). Thin: each reads through ``passbook.selectors`` and renders."""
