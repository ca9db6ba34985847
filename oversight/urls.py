from django.urls import path

from . import views

app_name = "oversight"
urlpatterns = [
    path("", views.index, name="index"),
    path("province/", views.province, name="province"),
    path("cities/<int:pk>/", views.city, name="city"),
    path("districts/<int:pk>/", views.district, name="district"),
    path("districts/<int:pk>/refresh/", views.refresh, name="refresh"),
    path("schools/<int:pk>/", views.school, name="school"),
]
