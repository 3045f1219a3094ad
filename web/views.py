"""The page for people at `/`. It is static: everything it shows comes from the public API."""

from typing import Any

from django.views.generic import TemplateView

from web.editor import MODES


class IndexView(TemplateView):
    template_name = "web/index.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "editor_modes": MODES}
