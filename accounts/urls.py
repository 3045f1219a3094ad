from django.urls import path

from accounts.views import LoginView, LogoutView, MeView, RegisterView

urlpatterns = [
    path("me", MeView.as_view(), name="me"),
    path("register", RegisterView.as_view(), name="register"),
    path("login", LoginView.as_view(), name="login"),
    path("logout", LogoutView.as_view(), name="logout"),
]
