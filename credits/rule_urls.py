from django.urls import path

from . import rule_views

# Included under credits/rules/ inside the "credits" namespace.
urlpatterns = [
    path("", rule_views.rule_list, name="rules"),
    path("new/", rule_views.rule_new, name="rule_new"),
    path("<int:pk>/", rule_views.rule_detail, name="rule_detail"),
]
