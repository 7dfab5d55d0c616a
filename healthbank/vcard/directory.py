"""The public list of institutions that accept the virtual NHI card (SPEC §9: 虛擬健保卡特約院所查詢).

Anyone may look, without logging in: a page at ``/vcard/institutions/`` and ``GET /api/vcard/v1/institutions``.
Both read through one selector and one set of rules (``InstitutionFilterForm``), so the page and the API refuse
the same values with the same message naming the same field. Counties and townships are checked against the
fixed list in ``healthbank/core/data/counties.json`` (which also gives their English names), not against what
happens to be in the table: a county with no such institution yet is a valid, empty search.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django import forms
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_safe
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from pydantic import BaseModel, Field
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from healthbank import policy
from healthbank.core import codes
from healthbank.core.api import ErrorBody, error_response
from healthbank.records.models import Institution

# Not yet in policy.py (this module may not edit it): move both there as VCARD_DIRECTORY_*.
PAGE_SIZE = policy.VCARD_DIRECTORY_PAGE_SIZE
QUERY_MAX_LENGTH = policy.VCARD_DIRECTORY_QUERY_MAX_LENGTH

LANGUAGES = ("zh-hant", "en")
PARAMETERS = ("county", "township", "kind", "q", "page", "lang")


# ------------------------------------------------------------------ counties and townships


@dataclass(frozen=True)
class County:
    """A county or city of the fixed list, with its townships (Chinese name → English name)."""

    name_zh: str
    name_en: str
    townships: dict[str, str]

    def name(self, language: str | None) -> str:
        return self.name_zh if _chinese(language) else self.name_en or self.name_zh


@cache
def counties() -> dict[str, County]:
    """Chinese name → county, in the list's own (official) order; loaded once per process."""
    return {
        c["name_zh"]: County(c["name_zh"], c["name_en"], {t["name_zh"]: t["name_en"] for t in c["townships"]})
        for c in codes.counties()
    }


def _chinese(language: str | None) -> bool:
    return (language or "").lower().startswith("zh")


def county_name(county: str, language: str | None) -> str:
    """A stored county in the page's language; a county outside the fixed list keeps its stored name."""
    found = counties().get(county)
    return found.name(language) if found else county


def township_name(county: str, township: str, language: str | None) -> str:
    found = counties().get(county)
    if _chinese(language) or found is None:
        return township
    return found.townships.get(township) or township


# ------------------------------------------------------------------ the rules and the selector


class InstitutionFilterForm(forms.Form):
    """What may be asked: the page renders it, the selector and the API validate with it (one set of rules)."""

    county = forms.ChoiceField(
        label=gettext_lazy("County or city"),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Not a county or city of Taiwan; choose one from the list.")},
    )
    # A select on the page, but checked here against the chosen county (its options depend on it).
    township = forms.CharField(label=gettext_lazy("Township"), required=False, max_length=10, widget=forms.Select)
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of institution"),
        required=False,
        choices=[("", gettext_lazy("All kinds")), *Institution.Kind.choices],
        error_messages={"invalid_choice": gettext_lazy("Not a kind of institution; choose one from the list.")},
    )
    q = forms.CharField(
        label=gettext_lazy("Name or institution code"),
        required=False,
        max_length=QUERY_MAX_LENGTH,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )

    def __init__(self, data=None, *, language: str | None = None):
        super().__init__(data)
        language = language or translation.get_language()
        self.fields["county"].choices = [("", _("All counties and cities"))] + [
            (c.name_zh, c.name(language)) for c in counties().values()
        ]
        chosen = counties().get((self.data.get("county") or "") if self.is_bound else "")
        if chosen is None:
            townships = [("", _("All townships (choose a county or city first)"))]
        else:
            townships = [("", _("All townships"))] + [
                (zh, zh if _chinese(language) else en or zh) for zh, en in chosen.townships.items()
            ]
        self.fields["township"].widget.choices = townships

    def clean_township(self) -> str:
        township = self.cleaned_data["township"]
        if not township or "county" not in self.cleaned_data:  # no township, or the county is refused already
            return township
        county = counties().get(self.cleaned_data["county"])
        if county is None:
            raise forms.ValidationError(_("Choose the county or city first."), code="no_county")
        if township not in county.townships:
            # Usually the county was changed while a township of the old one stayed chosen.
            raise forms.ValidationError(
                _("Not a township of %(county)s; choose one of its townships, or all.")
                % {"county": county.name(translation.get_language())},
                code="other_county",
            )
        return township


class FilterRefused(ValueError):
    """A filter value the list cannot use; ``field`` is the query parameter's name (county, township, kind, q)."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        self.field, (self.message, *_rest) = next(iter(errors.items()))
        super().__init__(f"{self.field}: {self.message}")


def _variants(text: str) -> set[str]:
    """臺 and 台 are written interchangeably (臺北 / 台北); a search for either finds both."""
    return {text, text.replace("台", "臺"), text.replace("臺", "台")}


def institutions_accepting_card(
    county: str = "", township: str = "", kind: str = "", query: str = ""
) -> QuerySet[Institution]:
    """Listed institutions that accept the virtual card, ordered by county, township and code.

    Raises ``FilterRefused`` for an unknown county or kind, a township outside the county, or an unusable
    query, so that a typo answers "no such county" rather than an empty list that looks like a real answer.
    """
    form = InstitutionFilterForm({"county": county, "township": township, "kind": kind, "q": query})
    if not form.is_valid():
        raise FilterRefused({name: [str(e) for e in errors] for name, errors in form.errors.items()})
    found = Institution.objects.filter(accepts_virtual_card=True, listed=True)
    wanted = form.cleaned_data
    if wanted["county"]:
        found = found.filter(county=wanted["county"])
    if wanted["township"]:
        found = found.filter(township=wanted["township"])
    if wanted["kind"]:
        found = found.filter(kind=wanted["kind"])
    if wanted["q"]:
        matches = Q()
        for text in _variants(wanted["q"]):
            matches |= Q(name__icontains=text) | Q(name_en__icontains=text) | Q(code__icontains=text)
        found = found.filter(matches)
    return found.order_by("county", "township", "code")


# ------------------------------------------------------------------ the page


@dataclass(frozen=True)
class InstitutionCard:
    """One institution as the page shows it, in the page's language."""

    code: str
    name: str
    name_is_chinese: bool  # the English page falls back to the Chinese name when there is no English one
    kind_label: str
    area: str  # county and township in the language's own order: 臺北市 中正區 / Zhongzheng District, Taipei City
    address: str
    phone: str
    phone_link: str

    @classmethod
    def of(cls, institution: Institution, language: str) -> InstitutionCard:
        english_name = "" if _chinese(language) else institution.name_en
        county = county_name(institution.county, language)
        township = township_name(institution.county, institution.township, language)
        return cls(
            code=institution.code,
            name=english_name or institution.name,
            name_is_chinese=not english_name,
            kind_label=str(institution.get_kind_display()),
            area=_area(county, township, language),
            address=institution.address,
            phone=institution.phone,
            phone_link=tel_link(institution.phone),
        )


def _area(county: str, township: str, language: str) -> str:
    """Chinese names the larger place first (臺北市 中正區); English the smaller (Zhongzheng District, Taipei City)."""
    if _chinese(language):
        return f"{county} {township}".strip()
    return ", ".join(part for part in (township, county) if part)


def tel_link(phone: str) -> str:
    """``tel:`` with digits only (and an extension after ``,``, which phones dial after a pause); "" for none."""
    number, _sep, extension = phone.replace("轉", "#").replace("ext", "#").partition("#")
    digits = "".join(ch for ch in number if ch.isascii() and (ch.isdigit() or ch == "+"))
    extension = "".join(ch for ch in extension if ch.isascii() and ch.isdigit())
    if not digits:
        return ""
    return f"tel:{digits}{',' + extension if extension else ''}"


@require_safe
def institutions_page(request):
    """The public page: filter by county, township, kind and name or code; 20 cards a page; no login."""
    language = translation.get_language()
    form = InstitutionFilterForm(request.GET, language=language)
    page = None
    if form.is_valid():
        wanted = form.cleaned_data
        found = institutions_accepting_card(wanted["county"], wanted["township"], wanted["kind"], wanted["q"])
        try:
            page = Paginator(found, PAGE_SIZE).page(request.GET.get("page") or 1)
        except (EmptyPage, PageNotAnInteger):
            raise Http404(_("There is no such page of the list.")) from None
    return render(
        request,
        "vcard/institutions.html",
        {
            "title": _("Institutions that accept the virtual NHI card"),
            "form": form,
            "page": page,
            "cards": [InstitutionCard.of(i, language) for i in page.object_list] if page is not None else [],
            "page_numbers": (
                list(page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1))
                if page is not None
                else []
            ),
            "ellipsis": Paginator.ELLIPSIS,
        },
    )


# ------------------------------------------------------------------ the API


class AcceptingInstitutionOut(BaseModel):
    code: str = Field(description="the 10-character institution code (醫事機構代碼)")
    name: str = Field(description="name in Chinese")
    name_en: str = Field(description="name in English; empty when the institution has none")
    kind: str = Field(description=f"one of: {', '.join(Institution.Kind.values)}")
    kind_label: str = Field(description="the kind in the language asked for (lang)")
    county: str = Field(description="county or city in Chinese, as the county parameter takes it")
    township: str = Field(description="township in Chinese, as the township parameter takes it")
    address: str = Field(description="address in Chinese")
    phone: str


class InstitutionsOut(BaseModel):
    count: int = Field(description="institutions matching, over all pages")
    page: int = Field(description="this page's number, from 1")
    pages: int = Field(description=f"pages of {PAGE_SIZE}; 1 when nothing matches")
    institutions: list[AcceptingInstitutionOut] = Field(description="ordered by county, township and code")


_EXAMPLE = {
    "count": 1,
    "page": 1,
    "pages": 1,
    "institutions": [
        {
            "code": "0101090517",
            "name": "臺北市立聯合醫院中興院區",
            "name_en": "Taipei City Hospital, Zhongxing Branch",
            "kind": "regional_hospital",
            "kind_label": "區域醫院",
            "county": "臺北市",
            "township": "大同區",
            "address": "臺北市大同區鄭州路145號",
            "phone": "02-25523234",
        }
    ],
}
DIRECTORY_PARAMETERS = [
    OpenApiParameter(
        "county",
        str,
        enum=list(counties()),
        description="county or city in Chinese (e.g. 臺北市); empty or absent: all of Taiwan",
    ),
    OpenApiParameter(
        "township",
        {"type": "string", "maxLength": 10},
        description="a township of that county in Chinese (e.g. 中正區); needs county",
    ),
    OpenApiParameter("kind", str, enum=Institution.Kind.values, description="kind of institution"),
    OpenApiParameter(
        "q",
        {"type": "string", "maxLength": QUERY_MAX_LENGTH},
        description="part of the Chinese or English name or of the code; 台 and 臺 find each other",
    ),
    OpenApiParameter(
        "page", {"type": "integer", "minimum": 1}, description="page number from 1; past the last page answers 404"
    ),
    OpenApiParameter("lang", str, enum=list(LANGUAGES), description="language of kind_label and of error messages"),
]


class InstitutionListView(APIView):
    """``GET /api/vcard/v1/institutions``: the same list as the page, for apps and for other sites."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="vcard_institutions",
        summary="Institutions that accept the virtual NHI card, by county, township, kind and name",
        description=(
            "Public: no credentials. Only institutions on the NHI's list that accept the virtual card, "
            f"{PAGE_SIZE} a page. County and township are the Chinese names the answer carries "
            "(the fixed list of healthbank/core/data/counties.json)."
        ),
        parameters=DIRECTORY_PARAMETERS,
        responses={
            200: InstitutionsOut,
            400: OpenApiResponse(
                ErrorBody,
                "a parameter this list does not take, an unknown county or kind, a township outside the county, "
                "a page that is not a number from 1 (the parameter is named in errors)",
            ),
            404: OpenApiResponse(ErrorBody, "a page past the last one"),
        },
        examples=[
            OpenApiExample("one hospital", value=_EXAMPLE, response_only=True, status_codes=["200"]),
            OpenApiExample(
                "a township of another county",
                value={
                    "errors": {"township": ["Not a township of New Taipei City; choose one of its townships, or all."]}
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
        tags=["virtual card: public"],
    )
    def get(self, request):
        params = request.query_params
        unknown = sorted(set(params) - set(PARAMETERS))
        if unknown:
            return error_response(400, unknown[0][:40], _("This list takes no such parameter."))
        language = params.get("lang") or ("zh-hant" if _chinese(translation.get_language()) else "en")
        if language not in LANGUAGES:
            return error_response(400, "lang", _("The language is zh-hant or en."))
        with translation.override(language):  # every word of the answer, errors too, in that language
            return self._answer(params)

    def _answer(self, params) -> Response:
        try:
            found = institutions_accepting_card(
                params.get("county", ""), params.get("township", ""), params.get("kind", ""), params.get("q", "")
            )
        except FilterRefused as refused:
            return error_response(400, refused.field, refused.message)
        raw = params.get("page") or "1"
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 9 and int(raw) >= 1):
            return error_response(400, "page", _("A page number is a whole number from 1."))
        paginator = Paginator(found, PAGE_SIZE)
        if int(raw) > paginator.num_pages:
            message = ngettext(
                "There is only %(pages)d page of this list.",
                "There are only %(pages)d pages of this list.",
                paginator.num_pages,
            )
            return error_response(404, "page", message % {"pages": paginator.num_pages})
        page = paginator.page(int(raw))
        return Response(
            {
                "count": paginator.count,
                "page": page.number,
                "pages": paginator.num_pages,
                "institutions": [
                    {
                        "code": i.code,
                        "name": i.name,
                        "name_en": i.name_en,
                        "kind": i.kind,
                        "kind_label": str(i.get_kind_display()),
                        "county": i.county,
                        "township": i.township,
                        "address": i.address,
                        "phone": i.phone,
                    }
                    for i in page.object_list
                ],
            }
        )
