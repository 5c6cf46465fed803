from dnscc.incidents import views, views_desks, views_editing, views_reports

app_name = "incidents"
urlpatterns = [
    *views.patterns,
    *views_editing.patterns,
    *views_reports.patterns,
    *views_desks.patterns,
]
