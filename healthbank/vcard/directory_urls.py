"""Where the public list of institutions that accept the virtual card is served.

``web_patterns`` go inside ``i18n_patterns`` under the ``vcard`` namespace (``vcard:institutions``), so the page
exists in both languages; ``api_patterns`` go at the top level, before the APIs' catch-all 404.
"""

from django.urls import path

from .directory import InstitutionListView, institutions_page

web_patterns = [path("vcard/institutions/", institutions_page, name="institutions")]
api_patterns = [path("api/vcard/v1/institutions", InstitutionListView.as_view(), name="vcard-institutions")]
