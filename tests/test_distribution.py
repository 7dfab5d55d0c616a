"""Every table is ready to distribute by person (issue 12; ``healthbank.core.distribution`` says what goes where).

These tests read the models only (no database): they fail when a new table or constraint breaks a rule, and
say which one and what to do.
"""

from __future__ import annotations

from django.db import models

from healthbank.core import distribution as d

DOC = "see healthbank/core/distribution.py"


def _models() -> dict[str, type]:
    return {d.label(m): m for m in d.our_models()}


def _owned() -> dict[str, type]:
    return d.person_owned()


def _unique_sets(model) -> list[tuple[str, tuple[str, ...]]]:
    """(what, field names) of every unique rule on the model except its primary key."""
    out = [
        (f"{f.name} (unique=True)", (f.name,)) for f in model._meta.concrete_fields if f.unique and not f.primary_key
    ]
    out += [(f"unique_together {tuple(u)}", tuple(u)) for u in model._meta.unique_together]
    for c in model._meta.constraints:
        if isinstance(c, models.UniqueConstraint):
            out.append((f"constraint {c.name!r}", tuple(c.fields) or ("<expressions>",)))
    return out


def test_every_model_is_classified():
    unclassified = sorted(name for name, kind in d.classify().items() if kind == "unclassified")
    assert not unclassified, (
        f"Classify {unclassified}: give it a `person` foreign key if a row belongs to one person, or list it in "
        f"REFERENCE (small shared catalogue) or LOCAL (operator/coordinator table) with a reason ({DOC})."
    )


def test_declarations_name_real_models_and_fields():
    ours = _models()
    stale = []
    for name in [*d.REFERENCE, *d.LOCAL, *d.PERSON_COLUMN_WITHOUT_KEY]:
        if name not in ours:
            stale.append(name)
    for name in d.THIRD_PARTY_REFERENCE:
        from django.apps import apps

        try:
            apps.get_model(name)
        except LookupError:
            stale.append(name)
    for table in (d.DIRECTORY_KEYS, d.SECOND_PARTY_LINKS, d.LOCAL_LINKS_TO_PEOPLE, d.TO_MIGRATE):
        for name, field in table:
            model = ours.get(name)
            if model is None or field not in {f.name for f in model._meta.concrete_fields} | {d.PERSON_FIELD}:
                stale.append(f"{name}.{field}")
    assert not stale, f"Remove or correct these stale declarations: {stale} ({DOC})."
    both = set(d.REFERENCE) & set(d.LOCAL)
    assert not both, f"{sorted(both)} listed both as REFERENCE and LOCAL: pick one."


def test_every_person_owned_table_carries_its_owner_in_person():
    root_pk = _models()[d.ROOT]._meta.pk
    wrong = []
    for name, model in _owned().items():
        if (name, d.PERSON_FIELD) in d.TO_MIGRATE:
            continue
        if name in d.PERSON_COLUMN_WITHOUT_KEY:
            column = next((f for f in model._meta.concrete_fields if f.column == "person_id"), None)
            if column is None or column.get_internal_type() != root_pk.get_internal_type():
                wrong.append(f"{name}: declared with a plain person_id column, but has none of the root's key type")
            continue
        field = next((f for f in model._meta.concrete_fields if f.name == d.PERSON_FIELD), None)
        if model._meta.auto_created:
            wrong.append(
                f"{name}: a many-to-many between a person's rows needs an explicit `through` model with `person` "
                "(its unique rule (person, from, to)); move the table to it with SeparateDatabaseAndState"
            )
        elif field is None or not field.is_relation or d.label(field.related_model) != d.ROOT:
            wrong.append(
                f"{name}: add `person = ForeignKey(Person)` (its owner; a second party such as a grantee stays in its "
                "own field), fill it from the parent row in a data migration, set it where rows are created"
            )
        elif field.null or field.column != "person_id":
            wrong.append(f"{name}.person: must be non-null with the column person_id")
    assert not wrong, "Person-owned tables without their owner:\n" + "\n".join(wrong)


def test_unique_rules_on_person_rows_include_the_person():
    owned = _owned()
    wrong = []
    for name, model in [(d.ROOT, _models()[d.ROOT]), *owned.items()]:
        person_columns = {"id"} if name == d.ROOT else {d.PERSON_FIELD, "person_id"}
        for what, fields in _unique_sets(model):
            if person_columns & set(fields):
                continue
            if len(fields) == 1 and ((name, fields[0]) in d.DIRECTORY_KEYS or (name, fields[0]) in d.TO_MIGRATE):
                continue
            wrong.append(
                f"{name} {what}: make it UniqueConstraint(fields=['person', ...]) and keep a plain index on the "
                "key if the code looks rows up by it alone; or, if one value must name one row nationally, declare "
                "it in DIRECTORY_KEYS with its reason"
            )
    assert not wrong, "Unique rules that do not include the person:\n" + "\n".join(wrong)


def test_links_from_person_rows_stay_with_the_person():
    owned = _owned()
    ours = _models()
    wrong = []
    for name, model in owned.items():
        for f in d.foreign_keys(model):
            target = d.label(f.related_model)
            key = (name, f.name)
            if key in d.TO_MIGRATE:
                continue
            if f.name == d.PERSON_FIELD:
                continue
            if key in d.SECOND_PARTY_LINKS:
                if target != d.ROOT:
                    wrong.append(f"{name}.{f.name}: a second-party link must point at {d.ROOT}, not at {target}")
                continue
            if target == d.ROOT:
                wrong.append(
                    f"{name}.{f.name} points at another Person: the owner belongs in `person`; a second party "
                    "(grantee, parent, delegate) goes in SECOND_PARTY_LINKS with its reason"
                )
            elif target in owned:
                continue  # the same person's row: services keep it so (module docstring)
            elif target in d.REFERENCE or target in d.THIRD_PARTY_REFERENCE:
                continue
            elif target in d.LOCAL or target in ours:
                wrong.append(
                    f"{name}.{f.name} points at the coordinator table {target}: Citus keeps no key from a "
                    "distributed table to it; make the target REFERENCE or keep a plain value"
                )
            else:
                wrong.append(
                    f"{name}.{f.name} points at {target} (another app): list it in THIRD_PARTY_REFERENCE if it "
                    "is small enough to replicate"
                )
    assert not wrong, "Links from a person's rows:\n" + "\n".join(wrong)


def test_reference_and_local_tables_hold_no_person_rows():
    ours = _models()
    owned = set(_owned()) | {d.ROOT}
    wrong = []
    for name in d.REFERENCE:
        for f in d.foreign_keys(ours[name]):
            target = d.label(f.related_model)
            if target not in d.REFERENCE:
                wrong.append(
                    f"{name}.{f.name} → {target}: a reference table is copied to every node and may point only at "
                    "other reference tables; if its rows belong to a person, it is person-owned (give it `person`)"
                )
    for name in d.LOCAL:
        for f in d.foreign_keys(ours[name]):
            target = d.label(f.related_model)
            if target in owned and (name, f.name) not in d.LOCAL_LINKS_TO_PEOPLE:
                wrong.append(
                    f"{name}.{f.name} → {target}: a coordinator table naming a person; if its rows belong to one "
                    "person make it person-owned, else declare the link in LOCAL_LINKS_TO_PEOPLE with its reason"
                )
    assert not wrong, "\n".join(wrong)


def test_the_found_person_tables_are_the_expected_kind():
    """A table listed by hand is not also reached from a person: that would hide it from the person rules."""
    listed = set(d.REFERENCE) | set(d.LOCAL)
    assert not listed & set(_owned()), listed & set(_owned())
    kinds = d.classify()
    assert kinds[d.ROOT] == "root"
    assert kinds["records.Visit"] == "person"
    assert kinds["audit.AccessLog"] == "person"
    assert kinds["records.Institution"] == "reference"
