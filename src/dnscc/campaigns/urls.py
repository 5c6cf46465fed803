from dnscc.campaigns import views  # noqa: F401

app_name = "campaigns"
urlpatterns: list[object] = []
