from dnscc.exercises import views

app_name = "exercises"
urlpatterns = views.patterns
