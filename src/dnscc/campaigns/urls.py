from dnscc.campaigns import views, views_dashboard

app_name = "campaigns"
urlpatterns = [*views.patterns, *views_dashboard.patterns]
