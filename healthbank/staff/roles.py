"""The groups an NHI office gives its staff, each with only the permissions its work needs (SPEC §11).

A staff user with none of these groups (and not a superuser) reaches no
operator page: every page that shows a person's data, and every action on a
registration, checks one of these permissions. The table below is the truth:
the migration creates the groups and every later ``migrate`` (and ``flush``)
sets them back to exactly these permissions, so a permission added by hand to
one of them does not last; make a group of your own for local needs.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS

COUNTER_STAFF = "臨櫃人員 Counter staff"
RECORDS_REVIEWERS = "紀錄審查人員 Records reviewers"
REGISTRATION_STAFF = "註冊業務人員 Registration staff"
UNIT_ADMINISTRATORS = "投保單位管理人員 Insurance-unit administrators"
VCARD_REVIEWERS = "虛擬健保卡審核人員 Virtual card reviewers"
TOWNSHIP_OFFICERS = "公所投保承辦人員 Township-office enrolment officers"
CARD_REPLACEMENT_REVIEWERS = "健保卡補發審核人員 NHI card replacement reviewers"
CONNECT_REGISTRARS = "介接服務登記人員 Agency and health-app registrars"

# Opening a person's page (name masked in lists, enrolments and cards on the page).
_PERSON_PAGE = ["identity.view_person", "identity.view_enrolment", "identity.view_nhicard"]

RECORD_VIEW_PERMISSIONS = [
    "records.view_visit",
    "records.view_visitdiagnosis",
    "records.view_drugorder",
    "records.view_nondrugorder",
    "records.view_chronicprescription",
    "records.view_labresult",
    "records.view_report",
    "records.view_allergy",
    "records.view_vaccination",
    "records.view_preventivecheck",
    "records.view_cancerscreening",
    "records.view_followup",
    "records.view_carewish",
    "insurance.view_premiumcalculation",
    "insurance.view_premiumpayment",
    "insurance.view_directdebit",  # 單次約定轉帳 attempts and the bank's answers (issue 11)
    # Case progress and employer records (SPEC §10): the NHIA's and institutions' records of the person.
    "insurance.view_subsidycase",
    "insurance.view_catastrophicillnesscase",
    "insurance.view_reimbursementcase",
    "insurance.view_priorreviewcase",
    "insurance.view_salaryreport",
    "insurance.view_welfaresubsidy",
]

ROLES: dict[str, list[str]] = {
    # Shows or prints the passbook at the counter after checking an ID document (SPEC §4 counter).
    COUNTER_STAFF: [*_PERSON_PAGE, "identity.show_passbook_at_counter"],
    # Reads a person's records on their pages (answering a person's or an institution's question).
    RECORDS_REVIEWERS: [*_PERSON_PAGE, *RECORD_VIEW_PERMISSIONS, "records.view_institution"],
    # Registers at the counter, suspends and reinstates registrations (SPEC §3.2); sees no records.
    REGISTRATION_STAFF: [
        *_PERSON_PAGE,
        "accounts.view_onlineaccount",
        "accounts.register_at_counter",
        "accounts.suspend_onlineaccount",
    ],
    # Keeps insurance units and their portal logins (SPEC §3.3); sees no person.
    UNIT_ADMINISTRATORS: [
        "identity.view_insuranceunit",
        "identity.change_insuranceunit",
        "identity.set_portal_password",
    ],
    # Reviews virtual NHI card applications: the queue, the two photos, approve or reject (SPEC §9); no records.
    VCARD_REVIEWERS: ["identity.view_person", "vcard.view_cardapplication", "vcard.review_cardapplication"],
    # Decides township-office requests (category 6 enrol, transfer, suspend, resume; SPEC §10): the queue, the
    # document, approve or reject; the change to the enrolment records is the decision's, not a page's.
    TOWNSHIP_OFFICERS: ["identity.view_person", "insurance.view_townshiprequest", "insurance.review_townshiprequest"],
    # Decides NHI card replacement requests: the queue, the photo, approve (issues the card) or reject (SPEC §10).
    CARD_REPLACEMENT_REVIEWERS: [
        "insurance.view_cardreplacementrequest",
        "insurance.decide_cardreplacementrequest",
    ],
    # Registers the agencies that log people in with HealthBank and the health apps people may connect (issue
    # 14): name, developer, privacy policy, redirect URIs, scopes, longest access; sees no person.
    CONNECT_REGISTRARS: ["connect.view_application", "connect.register_application"],
}


def sync_groups(apps=global_apps, using: str = DEFAULT_DB_ALIAS) -> None:
    """Create the groups of ``ROLES`` and give each exactly its permissions (creating permissions first)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        stub = getattr(app_config, "models_module", None) is None  # migration state: let create_permissions look
        if stub:
            app_config.models_module = True
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
        if stub:
            app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    # An early staff migration runs before the tables of apps added since (they are not in ``apps`` yet); their
    # permissions are given by the later staff migration that depends on them, and by every post-migrate sync.
    migrated = {app_config.label for app_config in apps.get_app_configs()}
    for name, permissions in ROLES.items():
        wanted = []
        for dotted in permissions:
            app_label, codename = dotted.split(".")
            if app_label not in migrated:
                continue
            wanted.append(
                permission_model.objects.using(using).get(content_type__app_label=app_label, codename=codename)
            )
        group, _ = group_model.objects.using(using).get_or_create(name=name)
        group.permissions.set(wanted)


def keep_groups_in_step(sender, using=DEFAULT_DB_ALIAS, apps=global_apps, **kwargs) -> None:
    sync_groups(apps, using)
