from django.urls import include, path

from dnscc.api import api
from dnscc.metrics.prom import metrics_view
from dnscc.metrics.views_transparency import public_patterns as transparency_patterns
from dnscc.outreach.urls import csaf_urlpatterns
from dnscc.sharing.urls import taxii_urlpatterns

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("dnscc.accounts.urls")),
    path("directory/", include("dnscc.directory.urls")),
    path("outreach/", include("dnscc.outreach.urls")),
    path(".well-known/csaf/", include((csaf_urlpatterns, "csaf"))),
    path("health/", include("dnscc.monitoring.urls")),
    path("rootinfo/", include("dnscc.rootinfo.urls")),
    path("incidents/", include("dnscc.incidents.urls")),
    path("report/", include("dnscc.incidents.public_urls")),
    path("campaigns/", include("dnscc.campaigns.urls")),
    path("sharing/", include("dnscc.sharing.urls")),
    path("taxii2/", include((taxii_urlpatterns, "taxii"))),
    path("risk/", include("dnscc.risk.urls")),
    path("exercises/", include("dnscc.exercises.urls")),
    path("performance/", include("dnscc.metrics.urls")),
    path("metrics", metrics_view, name="prometheus"),
    path("transparency/", include((transparency_patterns, "transparency"))),
    path("", include("dnscc.web.urls")),
]

handler400 = "dnscc.web.views.bad_request"
handler403 = "dnscc.web.views.permission_denied"
handler404 = "dnscc.web.views.not_found"
handler500 = "dnscc.web.views.server_error"
