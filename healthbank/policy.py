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

# ---- §10 unpaid premiums (個人未繳保費查詢/下載/簡易分期申請)
# Whose bills the person sees: the categories whose insured persons pay their own share themselves. NHI Act
# art. 30: category 1 employees' share is withheld from the pay and remitted by the employer (投保單位負責扣、
# 收繳); categories 2 and 3 pay their union or farmers' association, category 6 its township office or the NHIA's
# monthly bill (the person owes it and is sent the bill); categories 4 and 5 are paid by the government (share 0).
PREMIUM_SELF_BILLED_CATEGORIES = (2, 3, 6)
# 全民健康保險保險費及滯納金分期繳納辦法 (Regulations for paying NHI premiums and late fees in instalments):
# art. 4 (as amended 2010): an insured person (保險對象) may ask for instalments when the arrears total NT$ 2,000
# or more (the 2003 text said 5,000); art. 5 (2017): 2 to 12 instalments under NT$ 50,000, 24 under 100,000,
# 36 under 200,000, 48 above; each instalment at least 60 % of the NHIA's announced average premium of all
# insured (= the category-6 premium, PREMIUM_CATEGORY6_FLAT); instalments at most one month apart.
PREMIUM_INSTALMENT_MIN_TOTAL = 2000  # NT$, art. 4
PREMIUM_INSTALMENT_MIN_COUNT = 2  # art. 5 "得分二至…期"
PREMIUM_INSTALMENT_MAX_COUNT_BY_TOTAL = ((50_000, 12), (100_000, 24), (200_000, 36), (None, 48))  # art. 5 item 2
PREMIUM_INSTALMENT_MIN_EACH = PREMIUM_CATEGORY6_FLAT  # NT$, art. 5: 60 % of the average premium
# The convenience-store slip (超商代收 three-segment Code 39 barcodes, docs/decisions.md "Issue 11: unpaid
# premiums"): the collection-item code (代收項目代號) the stores' clearing house assigns to the NHIA is not
# public; ours is made up. Stores take at most NT$ 20,000 on one slip (the common 超商代收 limit): a larger
# bill's slip carries no store barcodes and says to pay at a bank or post office.
PREMIUM_SLIP_AGENCY_CODE = "NHI"
PREMIUM_SLIP_STORE_LIMIT = 20_000
# ---- §10 township-office enrolment (公所加保、轉出、停保、復保; issue 11)
# 停保 (suspension), 全民健康保險法施行細則 art. 37: a person may suspend "if planning to be abroad for six months or
# more" (item 2), counted from the day of leaving (停保 from the month of leaving); someone who suspended before
# must have been insured again for three months after resuming before suspending again (item 2, proviso); a
# missing person (失蹤未滿六個月, item 1) is suspended from when they went missing (NHI Act art. 13: 退保 at six
# months). Art. 36-1 (added 2024-12-23 after Constitutional Court judgment 111 憲判字第19號): from 2024-12-23 no one
# may suspend for going abroad; a suspension made before may be resumed on the day of return, and one shorter than
# six months is cancelled (註銷停保: insured throughout, the premiums paid back) — never suspended again after.
TOWNSHIP_ABROAD_SUSPENSION_MIN_MONTHS = 6  # art. 37 item 2: planned stay abroad, departure day to return
TOWNSHIP_RESUSPENSION_AFTER_MONTHS = 3  # art. 37 item 2 proviso: insured again this long before a new suspension
TOWNSHIP_ABROAD_SUSPENSION_LAST_DAY = dt.date(2024, 12, 22)  # art. 36-1: the last day an abroad suspension is made
TOWNSHIP_MISSING_LONGEST_MONTHS = 6  # NHI Act art. 13 item 1: missing six months → withdrawn, not suspended
# Our numbers (decisions.md): a transfer out is for a new cover that starts within this many days; the document
# each request carries (PDF, JPEG or PNG) is at most this large; the office's reason for a refusal at most this long.
TOWNSHIP_TRANSFER_AHEAD_DAYS = 30
TOWNSHIP_DOCUMENT_MAX_BYTES = 8 * 1024 * 1024
TOWNSHIP_REJECTION_REASON_MAX = 200
# Category 6 (地區人口) pays the average premium, not a salary grade; the enrolment row carries the lowest grade of
# the insured-salary table (投保金額分級表 2024, grade 1 = the minimum wage, as demo.population) as a nominal salary.
TOWNSHIP_NOMINAL_INSURED_SALARY = 27_470
# ---- §10 certificates (issue 11): 中英文投保證明 and 保險費繳納證明, checked at /verify/<code>
# The verification code: 16 characters of Crockford's base32 (no I, L, O, U: nothing to misread when typed from
# paper), 80 random bits, printed in groups of four. Our numbers (decisions.md).
CERTIFICATE_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CERTIFICATE_CODE_LENGTH = 16
CERTIFICATE_CODE_GROUP = 4
# How long the public page confirms a certificate after it was issued: a visa file or a tax return is checked
# within months; after that the person issues a fresh one (it is free). Our number (decisions.md).
CERTIFICATE_VERIFIABLE_FOR = dt.timedelta(days=180)
# Wrong codes the public check page takes from one address (IPv6 by /64) in a window; a code that checks out
# gives its slot back, so an embassy clerk checking many genuine certificates is never slowed. Ours.
CERTIFICATE_VERIFY_ATTEMPTS = (20, dt.timedelta(hours=1))
# Certificates one person may issue in a day (a spam guard; the same certificate again the same day is the same
# row and code, and does not count twice in storage). Ours.
CERTIFICATES_MAX_PER_DAY = (30, dt.timedelta(days=1))
# The English certificate prints the name as in the passport (外交部護照英文姓名: Latin letters, with a comma
# between surname and given names, hyphens, spaces and apostrophes); the passport's name field is at most 39
# characters on the machine-readable line, a little more allowed for the comma and spaces.
CERTIFICATE_PASSPORT_NAME_MAX_LENGTH = 50
# NHI began on 1 March 1995 (全民健康保險法 施行): no certificate period starts before it.
NHI_STARTED_ON = dt.date(1995, 3, 1)
# ---- §10 one-off direct debit and e-bill (issue 11)
# 單次約定轉帳: a Taiwanese bank is named by its 3-digit code (金融機構代碼, FISC / 財金資訊公司); an account number
# is digits only, 10 to 16 of them depending on the bank (our bounds cover every bank's format, decisions.md).
BANK_CODE_DIGITS = 3
BANK_ACCOUNT_DIGITS = (10, 16)
DIRECT_DEBIT_ATTEMPTS_SHOWN = 10  # the page's list of the person's latest debits (ours)
# 電子繳款單: a month's bill is issued in the following month (NHI Act art. 30: due by the end of that month); the
# ready-notice goes out on this day of the following month (ours, within the NHIA's mailing in the month's first
# half), and the e-bill page offers this many months back.
EBILL_NOTICE_DAY = 10
EBILL_MONTHS_LISTED = 12
# ---- §10 records: enrolment records, mailing address, notices sent, adult preventive check (issue 11)
# The street line of a mailing address (路/街、巷、弄、號、樓): the NHI's address change form (全民健康保險
# 通訊地址變更申請表) leaves one line for it; 100 characters hold the longest Taiwanese street address. Ours.
MAILING_ADDRESS_STREET_MAX_LENGTH = 100
NOTICES_SHOWN = 100  # §10 notices sent: the newest letters and e-mails listed (the NHI's page lists a year); ours
# ---- §10 card replacement (健保卡補發及更換照片, issue 11)
# 全民健康保險保險憑證收費標準 第2條 (law.moj.gov.tw, pcode L0060023, as amended 2008-03-24): a card costs
# NT$200 (工本費 每張新臺幣二百元); free for the first card, and for a new card when the old one became unusable
# through no fault of the holder (非人為造成卡體與晶片之彎折、刮壓裂痕…致無法使用) or when the NHI misprinted the
# holder's details (基本資料本局印製錯誤). Lost, damaged by use, and a new photo pay the fee.
NHI_CARD_FEE = 200  # NT$ a card
NHI_CARD_FREE_REASONS = ("defective", "misprinted")  # CardReplacementRequest.Reason values exempt by art. 2
# The NHI's card application form: children under 14 may apply without a photo (未滿14歲者可免貼照片); ours reads
# the same age as the virtual card's (§9).
NHI_CARD_PHOTO_OPTIONAL_UNDER_AGE = 14
NHI_CARD_REJECTION_REASON_MAX = 200  # characters the person reads in the e-mail (as the virtual card's)
NHI_CARD_NUMBER_DIGITS = 12  # SPEC §2
NHI_CARD_STREET_MAX = 60  # characters of the street part of a delivery address (路街、巷弄、號樓): ours
# One photo (VCARD_PHOTO_MAX_BYTES) and the form; a larger app upload is refused (413) before it is read.
NHI_CARD_REQUEST_MAX_BODY = 8 * 1024 * 1024 + 256 * 1024
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

# ---------------------------------------------------------------- the app (issue 13)
APP_IDLE_LOCK_AFTER = dt.timedelta(minutes=5)  # an untouched app forgets its token and asks again; our number

# ---------------------------------------------------------------- other agencies and health apps (issue 14)
# Log in with HealthBank (OpenID Connect) and apps the person connects (OAuth2). Our numbers (decisions.md).
CONNECT_LONGEST_ACCESS_MONTHS = 13  # the longest an app may keep access (issue 14: "one time, or up to 13 months")
CONNECT_ONE_TIME = 0  # longest access 0 months: one visit, no refresh token, the grant ends with the access token
CONNECT_AUTHORIZATION_CODE_SECONDS = 60  # a code not exchanged within a minute is refused
CONNECT_ACCESS_TOKEN_SECONDS = 3600  # an access token is good for an hour; a connected app refreshes it
CONNECT_REFRESH_TOKEN_SECONDS = 400 * 86400  # past the longest access (13 months); the grant ends it sooner
CONNECT_ID_TOKEN_SECONDS = 600  # an ID token proves a login for ten minutes (it is read once, at the login)
CONNECT_SIGNING_KEYS_PUBLISHED = 2  # the JWKS lists the signing key and the one before it (rotation)
CONNECT_LAST_USE_EVERY = dt.timedelta(minutes=1)  # "last used" is written at most this often (our number)
CONNECT_DURATIONS_MONTHS = (1, 3, 6, 13)  # what the consent page offers besides one time, up to the app's longest
# The FHIR API (/fhir/R4/) apps read with their tokens.
FHIR_DEFAULT_COUNT = 50  # resources a search page holds when the app gives no _count (our number)
FHIR_MAX_COUNT = 200  # the most a page may hold; a larger _count is refused (400) rather than silently cut
FHIR_MAX_OFFSET = 100_000  # the deepest page offset a search accepts (a person has far fewer resources)
