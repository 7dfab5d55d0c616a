"""Every product rule number of HealthBank, in one place (SPEC.md; DESIGN.md conventions).

Each constant names the SPEC section it comes from. Rules that follow a
regulation also name the regulation; they change by regulation, so code reads
them from here and never repeats the number.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

# ---------------------------------------------------------------- §2 identifiers
NHI_CARD_NUMBER_LENGTH = 12  # §2: 12 digits printed on the card
INSTITUTION_CODE_LENGTH = 10  # §2
INSURANCE_UNIT_CODE_LENGTH = 9  # §2
NHI_DRUG_CODE_LENGTH = 10  # §2, e.g. AC31223100
NHI_DIVISIONS = {  # §2: 分區業務組
    1: ("臺北業務組", "Taipei Division"),
    2: ("北區業務組", "Northern Division"),
    3: ("中區業務組", "Central Division"),
    4: ("南區業務組", "Southern Division"),
    5: ("高屏業務組", "Kaoping Division"),
    6: ("東區業務組", "Eastern Division"),
}

# ---------------------------------------------------------------- §3 registration
REGISTRATION_CONFIRM_DAYS = 5  # §3: confirm e-mail link within 5 days
REGISTRATION_TERMS_ARTICLES = 15  # §3: 全民健康保險網路服務註冊管理作業要點
PASSWORD_MIN_LENGTH = 6  # §3
PASSWORD_MAX_LENGTH = 12  # §3
PASSWORD_STRONG_MIN_LENGTH = 8  # §3: strong = upper + lower + digit + symbol, ≥ 8
BATCH_REGISTRATION_MAX_BYTES = 5 * 1024 * 1024  # §3 batch CSV; our ceiling (decisions.md)
UNIT_PORTAL_PASSWORD_MIN_LENGTH = 12  # §3.3 unit portal password set by an NHI administrator; our number

# ---------------------------------------------------------------- §4 login
LOGIN_MAX_FAILURES_PER_ACCOUNT = 5  # §4 / terms art. 10; our number (decisions.md)
LOGIN_MAX_FAILURES_PER_SOURCE = 20  # §4 per client address per window
LOGIN_FAILURE_WINDOW = dt.timedelta(minutes=15)
LOGIN_MAX_FAILURES_PER_DEVICE = 20  # §4 "per source": the app's device too (phone check, app login); our number
IPV6_THROTTLE_PREFIX = 64  # §4 per source: an IPv6 client counts by its /64 (one subscriber's usual allocation)
UNIT_LOGIN_MAX_FAILURES = 5  # §3.3 unit portal: wrong passwords per unit code and address, then a pause; ours
UNIT_LOGIN_LOCK_WINDOW = dt.timedelta(hours=1)  # time-limited: a unit code is no secret (decisions.md)
SESSION_IDLE_TIMEOUT = dt.timedelta(minutes=20)  # issue 3; our number
KIOSK_IDLE_TIMEOUT = dt.timedelta(minutes=2)  # §4 kiosk: signs itself out; our number (decisions.md)
KIOSK_SESSION_LIMIT = dt.timedelta(minutes=10)  # §4 kiosk: however busy, a kiosk session ends; our number
CAPTCHA_DIGITS = 5  # §4 圖形驗證碼 on the two password logins: digits, read or heard (issue 7); our number

# ---------------------------------------------------------------- §5 devices
DEVICE_CODE_LENGTH = 8  # §5: e.g. De7242jZ
DEVICE_CODE_VALID_FOR = dt.timedelta(minutes=10)  # §5 "valid for minutes"; our number
DEVICE_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"  # no 0/O/1/l/I
MAX_ENABLED_DEVICES_PER_PERSON = 1  # §5: only one enabled at a time
# §5 phone verification: wrong card digits per national ID, whatever the address, before the phone route pauses
# for that ID (the device code still works). Four digits are 10,000 guesses: spread over many addresses they were
# found, and the wrong passwords after them locked a stranger's account. Our numbers (decisions.md).
PHONE_CHECK_MAX_WRONG_DIGITS = 10
PHONE_CHECK_WINDOW = dt.timedelta(hours=1)

# ---------------------------------------------------------------- §6 My Health Bank spans
SPAN_CARD_RECORDS = dt.timedelta(days=365)  # §6.1 past 1 year
SPAN_PREMIUM_CALCULATION = dt.timedelta(days=365)  # §6.1 past 1 year
SPAN_PREMIUM_PAYMENTS_YEARS = 3  # §6.1 past 3 years
SPAN_MEDICAL_YEARS = 3  # §6.1 outpatient, inpatient, dental, labs, imaging, discharge, Chinese medicine
ALLERGIES_SINCE = dt.date(2015, 1, 1)  # §6.1
ORGAN_DONATION_WISHES_SINCE = dt.date(2004, 11, 1)  # §6.1
HOSPICE_WISHES_SINCE = dt.date(2006, 9, 1)  # §6.1
VACCINATIONS_SINCE = dt.date(2003, 1, 1)  # §6.1
DISCHARGE_SUMMARIES_SINCE = dt.date(2015, 1, 1)  # §6.1 stays from 2015
PREVENTIVE_CHECKS_SHOWN = 2  # §6.1 last 2 checks
CARD_UPLOAD_DEADLINE = dt.timedelta(hours=24)  # §6.1 card uploads reach us within 24 h
DATA_LAG_NOTICE_HOURS = (24, 48)  # §6.1 pages say data can lag 24–48 h
CHILD_AUTO_VISIBLE_UNTIL_AGE = 15  # §6.1 / §9: children under 15
TOP_DIAGNOSES_SHOWN = 5  # §6.2 top 5 diagnoses over 3 years
COUNTER_VIEW_VALID_FOR = dt.timedelta(minutes=30)  # §4 counter: an ID check lets the operator show it this long; ours

# ---------------------------------------------------------------- §7 risk assessments
# REACH-B liver-cancer score (Yang et al., Lancet Oncol 2011), SPEC §7 / §7.1.
LIVER_SEX_POINTS = {"F": 0, "M": 2}
LIVER_AGE_POINTS = ((0, 0), (35, 1), (40, 2), (45, 3), (50, 4), (55, 5), (60, 6))  # (from age, points)
LIVER_ALT_POINTS = ((0, 0), (15, 1), (45, 3))  # (from U/L, points), half-open
LIVER_HBEAG_POINTS = {False: 0, True: 4}
LIVER_RISK_BANDS = (  # (max total, 10-year liver-cancer probability); the last band takes every higher total
    (4, "<1%"),
    (9, "1-10%"),
    (12, "10-25%"),
    (14, "30-50%"),
    (15, "65%"),
)
LIVER_COHORT_AGES = (30, 65)  # §7.1 REACH-B cohort ages, inclusive; outside them the result carries a caveat

# KDIGO 2012 CKD heat map, SPEC §7 / §7.1 (half-open lower bounds).
GFR_CATEGORIES = (("G1", 90), ("G2", 60), ("G3a", 45), ("G3b", 30), ("G4", 15), ("G5", 0))
ACR_A2_FROM = Decimal(30)  # mg/g
ACR_A3_ABOVE = Decimal(300)  # KDIGO 2012: 300 is A2
KDIGO_EDITION = 2012  # switch to 2024 to move ACR 300 into A3 (§7.1)
PCR_A2_FROM = Decimal(150)
PCR_A3_ABOVE = Decimal(500)  # 500 is A2 in both editions (§7.1)
ALBUMINURIA_CATEGORIES = ("A1", "A2", "A3")
# The heat map of the KDIGO 2012 Clinical Practice Guideline for the Evaluation and Management of CKD (Kidney Int
# Suppl 2013;3:1-150, Figure 23, after Levey et al., Kidney Int 2011;80:17-28): the colour of the risk of
# progression and how many times a year to measure GFR and albuminuria. (GFR, albuminuria) → (colour, per year).
# KDIGO 2024 (Kidney Int 2024;105(4S):S117-S314) keeps the grid; only its ACR 300 boundary differs (KDIGO_EDITION).
KDIGO_HEAT_MAP = {
    ("G1", "A1"): ("green", "1 if CKD"),
    ("G1", "A2"): ("yellow", "1"),
    ("G1", "A3"): ("orange", "2"),
    ("G2", "A1"): ("green", "1 if CKD"),
    ("G2", "A2"): ("yellow", "1"),
    ("G2", "A3"): ("orange", "2"),
    ("G3a", "A1"): ("yellow", "1"),
    ("G3a", "A2"): ("orange", "2"),
    ("G3a", "A3"): ("red", "3"),
    ("G3b", "A1"): ("orange", "2"),
    ("G3b", "A2"): ("red", "3"),
    ("G3b", "A3"): ("red", "3"),
    ("G4", "A1"): ("red", "3"),
    ("G4", "A2"): ("red", "3"),
    ("G4", "A3"): ("deep red", "4+"),
    ("G5", "A1"): ("deep red", "4+"),
    ("G5", "A2"): ("deep red", "4+"),
    ("G5", "A3"): ("deep red", "4+"),
}

# CKD-EPI 2021 race-free creatinine equation (Inker et al., NEJM 2021), §7.1.
CKD_EPI_2021 = {
    "constant": 142.0,
    "kappa": {"F": 0.7, "M": 0.9},
    "alpha": {"F": -0.241, "M": -0.302},
    "upper_exponent": -1.200,
    "age_base": 0.9938,
    "female_factor": 1.012,
}

# Adult preventive care 成人預防保健 (HPA, from 2025-01-01), §7.1.
PREVENTIVE_CARE_INTERVALS = (  # (from age, interval in years)
    (30, 5),
    (40, 3),
    (65, 1),
)
PREVENTIVE_CARE_INDIGENOUS_YEARLY_FROM = 55
PREVENTIVE_CARE_POLIO_YEARLY_FROM = 35
HEPATITIS_SCREEN_BORN_BY_YEAR = 1986
HEPATITIS_SCREEN_MAX_AGE = 79
# Children's preventive care 兒童預防保健 (HPA): seven visits before age 7, (from, until) age in months.
CHILD_PREVENTIVE_CARE_MONTHS = ((0, 2), (2, 4), (4, 10), (10, 18), (18, 24), (24, 36), (36, 84))
# HPA cancer screening 癌症篩檢 as expanded on 2025-01-01: kind → (from age, to age or None, every n years).
CANCER_SCREENING = {
    "cervical": (30, None, 3),  # Pap smear; 25–29 are offered one every 3 years too since 2025
    "breast": (40, 74, 2),  # mammography (45–69 before 2025)
    "colorectal": (45, 74, 2),  # faecal immunochemical test (50–74 before 2025)
    "oral": (30, None, 2),  # oral mucosa check for smokers and betel chewers
}

# Dental scaling 洗牙 (NHI dental payment rules), §7.1.
DENTAL_SCALING_FROM_AGE = 13
DENTAL_SCALING_INTERVAL = dt.timedelta(days=180)
DENTAL_SCALING_INTERVAL_HIGH_RISK = dt.timedelta(days=90)  # diabetes, pregnancy, ...

# Chronic continuous prescriptions 慢性病連續處方箋, §7.1 (全民健康保險醫療辦法 art. 24: the next fill from 10 days
# before the previous supply runs out).
CHRONIC_PRESCRIPTION_MAX_TOTAL_DAYS = 90
CHRONIC_PRESCRIPTION_MAX_DAYS_PER_FILL = 30
CHRONIC_REFILL_EARLY_DAYS = 10  # earliest = last dispensing + days supplied − 10
CHRONIC_PRESCRIPTION_MAX_FILLS = 3

# BMI (HPA adult definitions), §7.1 — lower bounds, classified on the unrounded value.
BMI_BANDS = (
    (Decimal("0"), "underweight"),
    (Decimal("18.5"), "normal"),
    (Decimal("24"), "overweight"),
    (Decimal("27"), "obese_mild"),
    (Decimal("30"), "obese_moderate"),
    (Decimal("35"), "obese_severe"),
)
WAIST_ABDOMINAL_OBESITY_CM = {"M": Decimal(90), "F": Decimal(80)}

# Metabolic syndrome (HPA 2007 Taiwanese criteria), §7.1.
METABOLIC_SYNDROME_MIN_CRITERIA = 3
METABOLIC_SBP = 130
METABOLIC_DBP = 85
METABOLIC_FASTING_GLUCOSE = 100
METABOLIC_TRIGLYCERIDES = 150
METABOLIC_HDL_BELOW = {"M": 40, "F": 50}

# ---------------------------------------------------------------- §8 downloads
DOWNLOAD_KEPT_FOR = dt.timedelta(days=7)  # §8
# Issue 9 (our numbers, decisions.md): packages one person may have in production at once; how often the sweep
# deletes expired packages; a chosen package password's length; what an import may be.
DOWNLOAD_RUNNING_MAX = 2
DOWNLOAD_SWEEP_EVERY = dt.timedelta(minutes=10)
DOWNLOAD_PRODUCTION_TIMEOUT = dt.timedelta(minutes=30)  # a job running longer lost its worker
DOWNLOAD_PASSWORD_LENGTH = (8, 64)  # printable ASCII, so every unzip tool can type it
IMPORT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # a real three-year download is well under 5 MB
IMPORT_MAX_UNZIPPED_BYTES = 100 * 1024 * 1024  # declared and actual, over all members (zip bombs)
IMPORT_MAX_ZIP_MEMBERS = 50
IMPORT_MAX_RATIO = 200  # a member inflating more than this from its compressed size is refused
# The one-page summary for the doctor (issue 9; ours, decisions.md): a primary diagnosis on this many different
# days within the window counts as a chronic condition; the most lines of each list on the page.
SUMMARY_REPEATED_VISITS_WINDOW = dt.timedelta(days=365)
SUMMARY_REPEATED_VISITS_MIN_DAYS = 3
SUMMARY_MAX_LINES = {"conditions": 6, "medications": 10, "allergies": 4, "labs": 10, "vaccinations": 5}

# ---------------------------------------------------------------- §9 virtual card
VCARD_QR_VALID_FOR = dt.timedelta(minutes=5)  # §9 one-time QR
VCARD_INSTITUTION_ACCEPT_WITHIN = dt.timedelta(minutes=10)  # §9
VCARD_INSTITUTION_AUTH_VALID_FOR = dt.timedelta(hours=1)  # §9
VCARD_DELEGATION_MAX_OUTSIDE_HOUSEHOLD = dt.timedelta(days=31)  # §9 "at most 1 month"
VCARD_HOUSEHOLD_ACCEPT_WITHIN = dt.timedelta(minutes=10)  # §9
VCARD_PHOTO_ID_OPTIONAL_UNDER_AGE = 14  # §9 under 14: ID or NHI card front will do
# Ours (issue 10, decisions.md):
VCARD_DELEGATION_MAX_IN_HOUSEHOLD = dt.timedelta(days=366)  # a household delegation has an end too: at most a year
VCARD_DELEGATION_CODE_VALID_FOR = dt.timedelta(hours=24)  # the delegate types or scans the code within a day
VCARD_DELEGATION_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # typed from another phone: one case, no 0/O/1/I
VCARD_DELEGATION_CODE_LENGTH = 10  # 32**10 ≈ 10^15 codes
VCARD_OBTAIN_ATTEMPTS = (10, dt.timedelta(hours=1))  # wrong delegation codes per account (and per address)
VCARD_QR_ISSUE_RATE = (30, dt.timedelta(minutes=10))  # card QR codes one person (or delegate) may make
VCARD_SCAN_VISIT_VALID_FOR = dt.timedelta(hours=24)  # after a scan the institution reads status / uploads the visit
VCARD_ON_BEHALF_VALID_FOR = dt.timedelta(days=366)  # the household member who applied for a dependent may use it
VCARD_REQUEST_RATE = (20, dt.timedelta(hours=1))  # institution requests for one person from one institution
VCARD_PHOTO_MAX_BYTES = 8 * 1024 * 1024  # an upload larger than this is refused before it is decoded
VCARD_APPLICATION_MAX_BODY = 2 * 8 * 1024 * 1024 + 256 * 1024  # two photos and the form; a larger upload is 413 unread
VCARD_PHOTO_MAX_PIXELS = 40_000_000  # width × height; a larger image is refused (decompression bombs)
VCARD_PHOTO_MIN_SIDE = 200  # pixels; a smaller photo cannot show a face or a document
VCARD_PHOTO_STORED_SIDE = 1200  # the longest side of what we keep (re-encoded JPEG, no metadata)
VCARD_CARD_PHOTO_SIDE = 360  # the longest side of the photo a scan answers with
VCARD_KEY_PUBLISHED_FOR = dt.timedelta(days=30)  # a retired signing key stays in the published key set this long
VCARD_REJECTION_REASON_MAX = 200  # characters
VCARD_DIRECTORY_PAGE_SIZE = 20  # institutions that accept the card, a page (page and API)
VCARD_DIRECTORY_QUERY_MAX_LENGTH = 100  # characters of a name or code searched for

# ---------------------------------------------------------------- ingestion (issue 2)
INGEST_MAX_RECORDS_PER_BATCH = 1000  # institution API batches; our number (decisions.md)
INGEST_MAX_BODY_BYTES = 10 * 1024 * 1024
INGEST_MAX_QUANTITY = Decimal(100000)  # a drug total quantity above this is not sane
INGEST_MAX_DAYS_SUPPLIED = 90  # same ceiling as chronic prescriptions
INGEST_MAX_POINTS = 10_000_000  # NHI points on one visit
INGEST_MAX_COPAYMENT = 1_000_000  # NT$
API_MAX_JSON_DEPTH = 32  # every API body: deeper JSON is refused (400); a visit batch is 5 levels deep

# ---------------------------------------------------------------- premiums (§6.2 insurance status)
# NHI Act art. 18–27 and the 2021 rate; shown to people as "how premiums follow from the insured salary".
PREMIUM_RATE_PER_TEN_THOUSAND = 517  # ‱ (basis points): 517 / 10,000 = 5.17 % since 2021-01-01
PREMIUM_INSURED_SHARE_PCT = {1: 30, 2: 60, 3: 30, 4: 0, 5: 0, 6: 60}  # share the insured pays, by category
PREMIUM_MAX_DEPENDENTS_BILLED = 3  # dependents beyond three are free (NHI Act art. 18)
PREMIUM_CATEGORY6_FLAT = 826  # NT$ per person per month for category 6 (2021 average premium)
PREMIUM_DUE_MONTHS_AFTER = 1  # a month's premium is due by the end of the following month (NHI Act art. 30)

# ---------------------------------------------------------------- copayments (部分負擔)
# Basic outpatient copayment in NT$ by the institution's level, western medicine without a referral
# (NHI Act art. 43, the amounts since 2023-07-01); dental and Chinese-medicine visits pay 50 at every level.
OUTPATIENT_COPAYMENT_BY_LEVEL = {
    "clinic": 50,
    "health_center": 50,
    "district_hospital": 80,
    "regional_hospital": 240,
    "medical_center": 420,
}
DENTAL_AND_CHINESE_MEDICINE_COPAYMENT = 50

# ---------------------------------------------------------------- card proofs and challenges (issue 3)
CARD_CHALLENGE_VALID_FOR = dt.timedelta(minutes=2)  # a server challenge the card must answer in time
CONFIRMATION_TOKEN_BYTES = 32  # e-mail confirmation and reset links
APP_TOKEN_VALID_FOR = dt.timedelta(hours=8)  # §4 app login token; our number (decisions.md)
CARD_LAST_DIGITS_FOR_PHONE_CHECK = 4  # §5 phone verification: last 4 digits of the card number
PASSWORD_RESET_LINK_VALID_FOR = dt.timedelta(hours=24)  # §3 forgot password: reset link; our number (decisions.md)

# ---------------------------------------------------------------- operations (issue 7)
DEPENDENCY_RETRY_AFTER_SECONDS = 30  # a 503 while the database, cache or broker is away says when to try again

# ---------------------------------------------------------------- operators (issue 7)
OPERATOR_LOGIN_MAX_FAILURES = 5  # §11 staff login (django-axes): failures per user name + address; our number
OPERATOR_LOGIN_COOL_OFF = dt.timedelta(minutes=15)  # §11 then that pair waits this long; our number (decisions.md)
OUTBOX_SWEEP_EVERY = dt.timedelta(minutes=1)  # beat delivers e-mails the broker never carried; our number
OUTBOX_CLAIM_FOR = dt.timedelta(minutes=5)  # a worker owns an e-mail this long while sending it (decisions.md)
OUTBOX_RETRY_FIRST = dt.timedelta(minutes=1)  # then doubling per failed attempt
OUTBOX_RETRY_LONGEST = dt.timedelta(hours=1)
OUTBOX_MAX_ATTEMPTS = 30  # about a day of retries before an e-mail is left for an operator

# ---- measurements (issue 8)
# What a person may enter on the measurements page (SPEC §6.2): each value inside a human range, both ends
# allowed; our numbers (decisions.md), wide enough for any real child or adult, narrow enough to catch a unit
# mistake (metres for cm, pounds for kg, mmol/L for mg/dL). The diastolic pressure must also be below the systolic.
MEASUREMENT_RANGES = {  # field → (lowest, highest)
    "height_cm": (Decimal(30), Decimal(250)),
    "weight_kg": (Decimal(1), Decimal(400)),
    "waist_cm": (Decimal(20), Decimal(250)),
    "systolic": (50, 300),  # mmHg
    "diastolic": (20, 200),  # mmHg
    "fasting_glucose": (10, 1000),  # mg/dL
    "heart_rate": (20, 300),  # beats a minute
}
# Dental scaling 洗牙 payment codes (NHI dental payment rules): partial, full mouth, pregnant women, diabetic
# patients, and the periodontal-care scaling; the last of these starts the interval to the next one (§7.1).
DENTAL_SCALING_PAYMENT_CODES = ("91003C", "91004C", "91017C", "91089C", "91104C")
# Diabetes makes the scaling interval the high-risk one (§7.1): any of these ICD-10-CM diagnoses, or a diabetes
# follow-up record of the NHI care programme.
DIABETES_ICD10_PREFIXES = ("E08", "E09", "E10", "E11", "E13")
HOME_NEWS_SHOWN = 5  # §6.2 home page: the newest published health news items
CALENDAR_MONTHS_AROUND = 24  # the calendar page's ?month= reaches this many months either side of today
MEASUREMENTS_MAX_PER_DAY = 50  # §6.2 measurements one passbook accepts a day (spam guard, one atomic count); ours
# §7 risk assessments: values a person may type into the risk forms; anything outside a human body's range is a
# typing error, refused naming the field (our numbers, decisions.md).
RISK_FORM_RANGES = {
    "age": (Decimal(0), Decimal(130)),  # years
    "alt": (Decimal(0), Decimal(10000)),  # U/L
    "egfr": (Decimal(0), Decimal(200)),  # mL/min/1.73 m²
    "creatinine": (Decimal("0.1"), Decimal(30)),  # mg/dL
    "uacr": (Decimal(0), Decimal(100000)),  # mg/g
    "upcr": (Decimal(0), Decimal(100000)),  # mg/g
}
HOME_NEWS_CACHED_FOR = dt.timedelta(minutes=5)  # §6.2 health news is the same for everyone; an edit shows within it
# §6.2 passbook lists (issue 8; our numbers, decisions.md): rows a page, drugs a page of the medication list (a
# class's drugs mostly fit on one), and the longest value a list parameter takes (every code is far shorter).
PASSBOOK_PAGE_SIZE = 20
PASSBOOK_MEDICATION_PAGE_SIZE = 50
PASSBOOK_MAX_PARAMETER_LENGTH = 64
BMI_ADULT_FROM_AGE = 18  # §7.1 Taiwan's adult BMI bands are for adults; children have age-and-sex tables (HPA)

# ---- §10 case progress and employer records
# Ingestion limits of the case and employer records (our numbers, decisions.md): steps one case may carry, and
# the largest NT$ amount of a claim or subsidy and of an insured salary a sender may send.
CASE_MAX_STEPS = 20
INGEST_MAX_CASE_AMOUNT = 100_000_000  # NT$: far above any reimbursement claim
INGEST_MAX_INSURED_SALARY = 10_000_000  # NT$ a month: far above the top grade (NT$ 219,500 in 2024)
# 自墊醫療費用核退: a claim is made within 6 months of the day of treatment (outpatient, emergency) or of
# discharge (inpatient) — NHI Act art. 55 and 全民健康保險自墊醫療費用核退辦法 art. 3; shown on the cases page.
REIMBURSEMENT_CLAIM_WITHIN_MONTHS = 6
# 菸捐及公益彩券補助 and the cases page: years of employer records a person may pick (this year and before).
EMPLOYER_RECORDS_YEARS = 5
CASES_SHOWN_YEARS = 5  # cases applied for in the last five years are listed (our number, decisions.md)
