"""Which table goes where when PostgreSQL is distributed with Citus by person (DESIGN: scale-out path).

Every concrete model of our apps (``healthbank.*``) is one of:

- **the root**, ``identity.Person``: distributed by its own ``id``;
- **person-owned**: distributed by ``person_id`` and co-located with the root. Found, not listed: any model
  with a foreign-key path to ``identity.Person`` (directly, or through another person-owned model). Each one
  carries its owner in a concrete ``person`` foreign key (``person_id``), every unique constraint on it
  includes ``person``, and a foreign key from it to another person-owned model points at a row of the *same*
  person. The database sees only that the target is person-owned; **services keep both rows to one person**
  (in Citus such a key becomes ``(person_id, x_id)`` → ``(person_id, id)``, and the primary keys become
  ``(person_id, id)``: that is why the same person is required; the services that write these keys take
  both rows from one person, e.g. a scan's grants, a township request's enrolment, a visit's card);
- **reference** (``REFERENCE``): small shared catalogues, replicated to every node (Citus reference tables);
  they point at nothing but other reference tables;
- **local** (``LOCAL``): operator and coordinator tables (API keys of senders, counters, queues) that stay on
  the coordinator and are never joined with a person's rows.

The non-person kinds are listed by hand, so a new model that is neither found nor listed fails
``tests/test_distribution.py`` ("classify it").

Declared exceptions, each with its reason, kept as few as possible:

- ``DIRECTORY_KEYS``: a column unique across all people because one value must name one row nationally.
  In Citus the unique index cannot live on a table distributed by person; it moves to a small directory
  table distributed by the key (``key → person_id``), written in the same transaction, which both keeps the
  key unique and routes the look-up by the key alone to the right person.
- ``SECOND_PARTY_LINKS``: a foreign key naming a person *other* than the owner (a grantee, a parent who
  applied for a child). It points at ``identity.Person``, never at another person's rows; the owner is in
  ``person`` as everywhere. In Citus it is a plain column (a foreign key across people cannot be enforced),
  and a read by it (``grants I hold``) is a query over all shards or, where it is hot, a directory.
- ``PERSON_COLUMN_WITHOUT_KEY``: person-owned tables whose ``person_id`` is a plain column on purpose.
- ``LOCAL_LINKS_TO_PEOPLE``: a coordinator table that names a person; the key becomes a plain column.
- ``TO_MIGRATE``: known departures from the rules that still need a migration; the test passes on them
  honestly and lists them here, so the list is visible and only shrinks.

A unique key on an outside value the code looks a row up by alone (a token hash, a document or delegation
code) is ``(person, key)`` plus a plain index on the key: in Citus that look-up goes through the person when
the caller knows them, or through a directory table distributed by the key. Random tokens (128 to 256 bits)
do not collide, so the per-person unique loses nothing. The two short codes looked up alone are safe against a
collision between two people: a device code matching two people's live codes works for neither
(``devices.services.bind_device``), and a delegation code answers with the row made for the delegate who typed
it (``vcard.services.obtain_delegation``).

Tables of other apps (not classified here; what they become):
- ``auth.User``, ``auth.Group``, ``auth.Permission``, ``contenttypes.ContentType``: reference tables — staff
  users are few, and person-owned tables point at them (a reviewer, an operator), which Citus allows only
  towards reference tables (``THIRD_PARTY_REFERENCE``).
- ``sessions.Session``, ``admin.LogEntry``, ``axes.*`` (login attempts and lockouts), ``captcha.CaptchaStore``:
  local to the coordinator; none is joined with a person's rows.
"""

from __future__ import annotations

ROOT = "identity.Person"
PERSON_FIELD = "person"

REFERENCE: dict[str, str] = {
    "identity.InsuranceUnit": "投保單位: employers, unions and township offices; every enrolment names one",
    "records.Institution": "醫事機構: the institution list; every record names one",
    "passbook.HealthNews": "health news shown to everyone",
}

LOCAL: dict[str, str] = {
    "records.ApiClient": "senders' API keys (operator configuration), looked up by key prefix on every batch",
    "accounts.BatchUpload": "an insurance unit's batch registration file and its per-row result (masked IDs)",
    "accounts.AttemptCounter": "rate-limit counters keyed by a hash (Redis holds them in production)",
    "accounts.OutboxEmail": "the e-mail queue swept across everyone; a batch result has no person",
    "connect.Application": "agencies and health apps an operator registered (operator configuration, as ApiClient)",
    "connect.Authorization": "how a login went, kept with an OAuth code (django-oauth-toolkit's, local) for a minute",
}

# Models of other apps that person-owned tables may point at (replicated as reference tables in Citus).
THIRD_PARTY_REFERENCE: dict[str, str] = {
    "auth.User": "staff users: reviewers, operators and deciders named on a person's rows",
}

DIRECTORY_KEYS: dict[tuple[str, str], str] = {
    ("identity.Person", "national_id_hash"): "one person per national ID; the root's log-in and counter look-up",
    ("identity.NhiCard", "card_number"): "a card number names one card nationally (printed, read by readers)",
    ("connect.PersonUser", "user"): "the Django user that owns a person's OAuth tokens names one person (DOT's key)",
}

SECOND_PARTY_LINKS: dict[tuple[str, str], str] = {
    ("access.Grant", "grantee_person"): "the person the grant lends access to",
    ("vcard.Delegation", "delegate"): "the named delegate who may show the card",
    ("vcard.CardScan", "presented_by"): "the delegate or parent who showed the card",
    ("vcard.CardApplication", "applicant"): "a parent or household member may apply for a dependant",
    ("insurance.CardReplacementRequest", "applicant"): "a parent may apply for a child",
    ("insurance.TownshipRequest", "requested_by"): "a household member may file for a dependant",
    ("insurance.IssuedDocument", "requested_by"): "the insured may ask for a dependant's certificate",
    ("exports.ExportJob", "requested_by"): "a parent may download a child's data",
    ("exports.ImportRun", "requested_by"): "a parent may import a child's download",
}

PERSON_COLUMN_WITHOUT_KEY: dict[str, str] = {
    "audit.AccessLog": "the access log imports no domain app and outlives what it logs: person_id is a plain column",
}

LOCAL_LINKS_TO_PEOPLE: dict[tuple[str, str], str] = {
    ("accounts.OutboxEmail", "person"): "whom a queued e-mail is about; the row is erased once sent",
}

TO_MIGRATE: dict[tuple[str, str], str] = {
    ("identity.Enrolment", "household"): (
        "to migrate: a dependant's enrolment points at the insured's household row; point at the insured Person "
        "instead (a household is one-to-one with its insured) — its readers (the insured's dependants, a transfer "
        "ending them) are queries over several people by design"
    ),
}


def label(model) -> str:
    return model._meta.label


def our_models() -> list:
    """Every concrete, managed model of the ``healthbank`` apps, with the tables Django makes for many-to-many
    fields (proxies share their concrete model's table)."""
    from django.apps import apps

    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m.__module__.startswith("healthbank.") and not m._meta.proxy and m._meta.managed
    ]


def foreign_keys(model) -> list:
    """The model's concrete foreign keys (and one-to-ones), in field order."""
    return [f for f in model._meta.concrete_fields if f.is_relation]


def person_owned() -> dict[str, type]:
    """label → model for every model distributed by person (the root excluded), found by foreign-key paths."""
    models = {label(m): m for m in our_models()}
    owned = {name for name in PERSON_COLUMN_WITHOUT_KEY if name in models}
    reached = {ROOT} | owned
    changed = True
    while changed:
        changed = False
        for name, model in models.items():
            if name in reached or name in LOCAL or name in REFERENCE:
                continue
            if any(label(f.related_model) in reached for f in foreign_keys(model)):
                reached.add(name)
                owned.add(name)
                changed = True
    return {name: models[name] for name in sorted(owned)}


def classify() -> dict[str, str]:
    """label → ``root`` / ``person`` / ``reference`` / ``local`` / ``unclassified`` for every model of ours."""
    found = person_owned()
    out = {}
    for model in our_models():
        name = label(model)
        if name == ROOT:
            out[name] = "root"
        elif name in found:
            out[name] = "person"
        elif name in REFERENCE:
            out[name] = "reference"
        elif name in LOCAL:
            out[name] = "local"
        else:
            out[name] = "unclassified"
    return out
