from django.urls import include, path

app_name = "credits"
urlpatterns = [
    path("declarations/", include("credits.registration_urls")),
    path("rules/", include("credits.rule_urls")),
    path("recognition/", include("credits.recognition_urls")),
    path("", include("credits.ledger_urls")),
]
