from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("", views.my_account, name="index"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password/reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("organisations/", views.organisation_list, name="organisations"),
    path("organisations/add/", views.organisation_edit, name="organisation_add"),
    path("organisations/<int:pk>/", views.organisation_edit, name="organisation_edit"),
    path("experts/", views.expert_list, name="experts"),
    path("accounts/", views.account_list, name="accounts"),
    path("accounts/add/", views.account_add, name="account_add"),
    path("accounts/<int:pk>/", views.account_edit, name="account_edit"),
    path("accounts/<int:pk>/active/", views.account_set_active, name="account_set_active"),
    path("accounts/<int:pk>/reset-password/", views.account_reset_password, name="account_reset_password"),
]
