from django.urls import path

from dnscc.directory import views, views_self

app_name = "directory"
urlpatterns = [
    path("", views.organizations, name="organizations"),
    path("mine/", views.my_organization, name="my_organization"),
    path("mine/contacts/", views_self.my_contacts, name="my_contacts"),
    path(
        "mine/contacts/add", views_self.my_contact_action, {"action": "add"}, name="my_contact_add"
    ),
    path(
        "mine/contacts/<int:contact_id>/<str:action>",
        views_self.my_contact_action,
        name="my_contact_action",
    ),
    path("tlds/", views.tlds, name="tlds"),
    path("lookup/", views.lookup_page, name="lookup"),
    path("import/", views.import_page, name="import"),
    path("verify/<int:contact_id>/<str:token>/", views.verify_contact, name="verify_contact"),
    path("org/<slug:slug>/", views.organization, name="organization"),
    path("org/<slug:slug>/<str:action>", views.organization_action, name="organization_action"),
]
