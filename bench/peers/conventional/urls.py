from django.urls import path

from bench.peers.conventional.views import Status, Submit

urlpatterns = [path("task", Submit.as_view()), path("status/<str:task_id>", Status.as_view())]
