from django.urls import path

from . import ledger_views

# Included under credits/ inside the "credits" namespace.
urlpatterns = [
    path("me/", ledger_views.my_credits, name="my_credits"),
    path("teachers/<int:pk>/", ledger_views.teacher_credits, name="teacher_credits"),
    path("teachers/<int:pk>/record.pdf", ledger_views.record_pdf, name="record_pdf"),
    path("school/", ledger_views.school_credits, name="school_credits"),
    path("district/", ledger_views.district_credits, name="district_credits"),
    path("cycle/", ledger_views.cycle_close, name="cycle_close"),
    path("verify/", ledger_views.verify, name="verify"),
]
