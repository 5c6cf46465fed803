from django.contrib.auth import views as auth_views
from django.urls import path

from dnscc.accounts import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/verify/", views.verify, name="login_verify"),
    path(
        "login/verify/passkey/options", views.passkey_verify_options, name="passkey_verify_options"
    ),
    path("login/verify/passkey", views.passkey_verify, name="passkey_verify"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/security/", views.security, name="security"),
    path(
        "account/security/passkey/options",
        views.passkey_register_options,
        name="passkey_register_options",
    ),
    path("account/security/passkey", views.passkey_register, name="passkey_register"),
    path("account/tokens/", views.tokens, name="tokens"),
    path("account/tokens/<int:token_id>/revoke", views.revoke_token, name="revoke_token"),
    path("audit/", views.audit_log, name="audit"),
]
