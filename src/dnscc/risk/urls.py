from dnscc.risk import views

app_name = "risk"
urlpatterns = views.patterns
