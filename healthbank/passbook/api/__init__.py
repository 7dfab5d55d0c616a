"""The app API of the passbook (``/api/app/v1/passbook/...``): the same reads as the web pages, as JSON."""
