from django.urls import path

from dnscc.rootinfo import views, views_rssac047

app_name = "rootinfo"
urlpatterns = [
    path("", views.system, name="system"),
    path("letter/<str:letter>/", views.letter, name="letter"),
    path("anomaly/<str:letter>/<str:series>/<str:day>/", views.anomaly, name="anomaly"),
    path("export", views.export, name="export"),
    path("ingest/", views.ingest, name="ingest"),
    path("rssac047/", views_rssac047.reports, name="rssac047"),
    path("rssac047/<str:month>/", views_rssac047.report, name="rssac047_report"),
    path("rssac047/<str:month>/report.csv", views_rssac047.report_csv, name="rssac047_csv"),
]
