"""The page for people at `/`. It is static: everything it shows comes from the public API."""

from django.views.generic import TemplateView


class IndexView(TemplateView):
    template_name = "web/index.html"
