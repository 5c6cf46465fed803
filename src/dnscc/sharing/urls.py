from dnscc.sharing import taxii, views

app_name = "sharing"
urlpatterns = views.patterns
taxii_urlpatterns = taxii.patterns
