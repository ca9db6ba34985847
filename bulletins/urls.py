from django.urls import path

from . import views

app_name = "bulletins"
urlpatterns = [
    path("", views.issued_list, name="list"),
    path("bulletin/", views.bulletin_new, name="bulletin_new"),
    path("bulletin/preview/", views.bulletin_preview, name="bulletin_preview"),
    path("bulletin/preview/pdf/", views.bulletin_preview_pdf, name="bulletin_preview_pdf"),
    path("commendation/", views.commendation_new, name="commendation_new"),
    path("commendation/preview/", views.commendation_preview, name="commendation_preview"),
    path("commendation/preview/pdf/", views.commendation_preview_pdf, name="commendation_preview_pdf"),
    path("<int:pk>/", views.issued_detail, name="detail"),
    path("<int:pk>/pdf/", views.issued_pdf, name="pdf"),
    path("<int:pk>/withdraw/", views.issued_withdraw, name="withdraw"),
]
