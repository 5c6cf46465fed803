from dnscc.metrics import views

app_name = "metrics"
urlpatterns = views.patterns
