"""The OAuth 2.0 / OpenID Connect endpoints under /oauth/ (DOT's views), the discovery document at the root."""

from django.urls import path, re_path
from oauth2_provider import views as dot

from . import views

app_name = "oauth2_provider"  # DOT reverses its endpoints in this namespace (discovery, redirects)

urlpatterns = [
    path("oauth/authorize/", views.AuthorizeView.as_view(), name="authorize"),
    path("oauth/token/", dot.TokenView.as_view(), name="token"),
    path("oauth/revoke_token/", dot.RevokeTokenView.as_view(), name="revoke-token"),
    path("oauth/userinfo/", dot.UserInfoView.as_view(), name="user-info"),
    path("oauth/jwks/", dot.JwksInfoView.as_view(), name="jwks-info"),
    re_path(r"^\.well-known/openid-configuration$", views.DiscoveryView.as_view(), name="oidc-connect-discovery-info"),
]
