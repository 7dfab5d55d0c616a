"""/fhir/R4/: the CapabilityStatement, SMART's configuration, and read and search of each resource type."""

from django.urls import path, re_path

from . import api

app_name = "fhir"

urlpatterns = [
    path("metadata", api.MetadataView.as_view(), name="metadata"),
    path(".well-known/smart-configuration", api.SmartConfigurationView.as_view(), name="smart-configuration"),
]
for resource_type, view in api.SEARCH_VIEWS.items():
    urlpatterns += [
        path(resource_type, view.as_view(), name=f"search-{resource_type}"),
        re_path(
            rf"^{resource_type}/(?P<resource_id>[A-Za-z0-9\-.]{{1,64}})$",
            api.READ_VIEWS[resource_type].as_view(),
            name=f"read-{resource_type}",
        ),
    ]
urlpatterns += [
    re_path(r"^Organization/(?P<resource_id>[A-Za-z0-9\-.]{1,64})$", api.OrganizationRead.as_view()),
    re_path(r"^(?P<rest>.*)$", api.NotFoundView.as_view()),
]
