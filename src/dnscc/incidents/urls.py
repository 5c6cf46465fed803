from dnscc.incidents import views, views_desks, views_reports

app_name = "incidents"
urlpatterns = [*views.patterns, *views_reports.patterns, *views_desks.patterns]
