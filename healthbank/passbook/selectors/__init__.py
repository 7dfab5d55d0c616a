"""Reads of one person's passbook, each through the access rule (DESIGN: reads in selectors).

Every function takes a ``Viewing`` and opens the categories it reads with
``access.services.open_for_reading`` first: a reader without the right gets a
404 and an access-log entry, never the data; every read by someone other than
the person is logged. Rows are plain dicts with raw values (ISO dates as
``date`` objects, codes, numbers) and names in the viewing's language, so the
web templates and the app API show the same thing.
"""
