from django.urls import path

from dnscc.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("console/", views.console_lines, name="console"),
    path("healthz", views.healthz, name="healthz"),
]
