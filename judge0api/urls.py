from django.urls import path

from judge0api import views

urlpatterns = [
    path("judge0/about", views.AboutView.as_view(), name="judge0-about"),
    path("judge0/config_info", views.ConfigInfoView.as_view(), name="judge0-config-info"),
    path("judge0/statuses", views.StatusesView.as_view(), name="judge0-statuses"),
    path("judge0/languages", views.LanguagesView.as_view(), name="judge0-languages"),
    path("judge0/languages/<int:language_id>", views.LanguageView.as_view(), name="judge0-language"),
    path("judge0/submissions", views.SubmissionsView.as_view(), name="judge0-submissions"),
    path("judge0/submissions/batch", views.BatchView.as_view(), name="judge0-batch"),
    path("judge0/submissions/<str:token>", views.SubmissionView.as_view(), name="judge0-submission"),
]
