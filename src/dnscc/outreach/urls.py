from django.urls import path

from dnscc.outreach import views

app_name = "outreach"
urlpatterns = [
    path("", views.outbox, name="outbox"),
    path("mine/", views.my_messages, name="mine"),
    path("notices/new/", views.new_notice, name="new_notice"),
    path("notices/<int:notice_id>/", views.notice, name="notice"),
    path("messages/<str:key>/", views.message, name="message"),
    path("messages/<str:key>/<str:action>", views.message_action, name="message_action"),
    path("ack/<str:key>/<str:signature>/", views.ack_link, name="ack"),
    path("templates/", views.templates_page, name="templates"),
    path("mailbox/", views.demo_mailbox, name="demo_mailbox"),
    path("advisories/", views.advisory_list, name="advisories"),
    path("advisories/new/", views.advisory_new, name="advisory_new"),
    path("advisories/<str:tracking_id>/", views.advisory, name="advisory"),
    path("advisories/<str:tracking_id>/edit/", views.advisory_edit, name="advisory_edit"),
    path(
        "advisories/<str:tracking_id>/<str:action>", views.advisory_action, name="advisory_action"
    ),
]

# Served at /.well-known/csaf/ (CSAF 2.0 §7.1.1, §7.1.11-13).
csaf_urlpatterns = [
    path("provider-metadata.json", views.provider_metadata, name="csaf_provider_metadata"),
    path("openpgp/<str:fingerprint>.asc", views.provider_key, name="csaf_key"),
    path("<str:folder>/<str:listing>", views.provider_index, name="csaf_index"),
    path("<str:folder>/<int:year>/<str:name>", views.provider_file, name="csaf_file"),
]
