from django.urls import path

from dnscc.monitoring import views

app_name = "monitoring"
urlpatterns = [
    path("", views.health, name="health"),
    path("zone/<str:name>/", views.zone, name="zone"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/acknowledge", views.acknowledge_many, name="acknowledge_many"),
    path("alerts/<int:alert_id>/acknowledge", views.acknowledge, name="acknowledge"),
]
