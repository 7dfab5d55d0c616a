"""Sorting, filtering, paging and the span of a passbook list (SPEC §6.1, §6.2: "every list sorts and filters").

A list's parameters come from the query string (web and app API alike):
``sort`` (a column key, ``-`` for descending), ``page`` (from 1), ``older``
(``1`` shows records before the category's span: nothing is deleted) and the
list's own filters. A parameter that does not exist for the list, a sort key it
does not have or a page past the end is refused with ``ListError`` naming the
parameter, never silently ignored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.utils.translation import gettext as _

from healthbank import policy

COMMON_PARAMETERS = {"sort", "page", "older", "lang", "person", "names"}


class ListError(ValueError):
    def __init__(self, field_name: str, message: str, *, status: int = 400):
        super().__init__(message)
        self.field = field_name
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Filter:
    """One filter of a list: its query parameter and how it narrows the queryset (value already checked)."""

    parameter: str
    apply: Callable  # (queryset, value) -> queryset
    choices: Callable[[], Mapping[str, str]] | None = None  # allowed values → label; None: free text, checked by apply


@dataclass(frozen=True)
class ListSpec:
    """What a list may be sorted and filtered by, its default order and the span shown by default."""

    sorts: Mapping[str, tuple[str, ...]]  # key → order_by fields (ascending)
    default_sort: str  # e.g. "-date"
    date_field: str | None = None
    since: Callable[[dt.date], dt.date] | None = None  # today → first day shown by default
    filters: tuple[Filter, ...] = ()
    page_size: int = policy.PASSBOOK_PAGE_SIZE


@dataclass
class ListParams:
    sort: str
    page: int
    older: bool
    filters: dict[str, str] = field(default_factory=dict)

    def query(self, **changes) -> str:
        """The query string of this list with ``changes`` (for sort links, filters and pages)."""
        values = {"sort": self.sort, "page": self.page, "older": "1" if self.older else "", **self.filters}
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in ("", None) and not (k == "page" and v == 1)})

    @property
    def without_page(self) -> str:
        """The query string without the page (a page link adds its own)."""
        return self.query(page=None)

    @property
    def without_sort(self) -> str:
        """The query string without the sort and page (a column's sort link adds its own)."""
        return self.query(sort=None, page=None)


def parse_params(spec: ListSpec, query: Mapping[str, str], *, extra: set[str] = frozenset()) -> ListParams:
    """Read and check the list parameters; ``ListError`` names the first bad one."""
    known = COMMON_PARAMETERS | {f.parameter for f in spec.filters} | set(extra)
    for name in query:
        if name not in known:
            raise ListError(name[:40], _("This list has no parameter “%(name)s”.") % {"name": name[:40]})
        value = query.get(name, "")
        # Codes and numbers only: a control character (PostgreSQL refuses NUL) or a page of text is no value.
        if len(value) > policy.PASSBOOK_MAX_PARAMETER_LENGTH or any(ord(c) < 32 or c == "\x7f" for c in value):
            raise ListError(name, _("This value is too long or has characters a list parameter cannot have."))
    sort = query.get("sort") or spec.default_sort
    if sort.lstrip("-") not in spec.sorts:
        allowed = ", ".join(sorted(spec.sorts))
        raise ListError(
            "sort", _("This list cannot be sorted by that; it sorts by: %(allowed)s.") % {"allowed": allowed}
        )
    raw_page = query.get("page") or "1"
    if not raw_page.isdigit() or int(raw_page) < 1 or len(raw_page) > 6:
        raise ListError("page", _("A page number is a whole number from 1."))
    older = query.get("older", "")
    if older not in ("", "0", "1"):
        raise ListError("older", _("“older” is 1 (show older records too) or 0."))
    filters = {}
    for f in spec.filters:
        value = query.get(f.parameter, "")
        if value == "":
            continue
        if f.choices is not None and value not in f.choices():
            raise ListError(
                f.parameter, _("“%(value)s” is not one of the values this filter takes.") % {"value": value[:40]}
            )
        filters[f.parameter] = value
    return ListParams(sort=sort, page=int(raw_page), older=older == "1", filters=filters)


@dataclass
class ListPage:
    rows: list
    params: ListParams
    count: int
    pages: int
    since: dt.date | None  # the first day shown (None: everything)
    has_older: bool

    @property
    def page(self) -> int:
        return self.params.page

    @property
    def numbers(self) -> list[int]:
        """The page links to show: all of a short list; first, last and the neighbours of this one otherwise."""
        if self.pages <= 9:
            return list(range(1, self.pages + 1))
        return sorted({1, self.pages, *range(max(1, self.page - 2), min(self.pages, self.page + 2) + 1)})


def page_of(queryset, spec: ListSpec, params: ListParams, today: dt.date, *, row: Callable = lambda r: r) -> ListPage:
    """Apply span, filters and sort; cut one page; ``ListError`` (404) for a page past the end."""
    since = spec.since(today) if spec.since is not None and not params.older else None
    has_older = False
    if spec.since is not None and spec.date_field:
        first_day = spec.since(today)
        has_older = queryset.filter(**{f"{spec.date_field}__lt": first_day}).exists() if not params.older else False
        if since is not None:
            queryset = queryset.filter(**{f"{spec.date_field}__gte": since})
    for f in spec.filters:
        if f.parameter in params.filters:
            queryset = f.apply(queryset, params.filters[f.parameter])
    descending = params.sort.startswith("-")
    fields = spec.sorts[params.sort.lstrip("-")]
    queryset = queryset.order_by(
        *[("-" if descending else "") + name for name in fields], "-pk" if descending else "pk"
    )
    return cut_page(queryset, params, spec.page_size, since=since, has_older=has_older, row=row)


def cut_page(items, params: ListParams, page_size: int, *, since, has_older: bool, row: Callable = lambda r: r):
    """One page of ``items`` (a queryset or a list already in order); ``ListError`` (404) past the last page."""
    paginator = Paginator(items, page_size, allow_empty_first_page=True)
    if params.page > paginator.num_pages:
        raise ListError(
            "page",
            _("There is no page %(page)s; this list has %(pages)s.")
            % {"page": params.page, "pages": paginator.num_pages},
            status=404,
        )
    return ListPage(
        rows=[row(o) for o in paginator.page(params.page).object_list],
        params=params,
        count=paginator.count,
        pages=paginator.num_pages,
        since=since,
        has_older=has_older,
    )


def years_back(years: int) -> Callable[[dt.date], dt.date]:
    def since(today: dt.date) -> dt.date:
        try:
            return today.replace(year=today.year - years)
        except ValueError:  # 29 February
            return today.replace(year=today.year - years, day=28)

    return since


def fixed_since(day: dt.date) -> Callable[[dt.date], dt.date]:
    return lambda today: day


def span_back(delta: dt.timedelta) -> Callable[[dt.date], dt.date]:
    return lambda today: today - delta
