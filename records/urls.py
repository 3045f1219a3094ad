from django.urls import path

from records.views import AllRecordsView, NewRecordsView, RecordByKeyView

urlpatterns = [
    path("new", NewRecordsView.as_view(), name="records-new"),
    path("all", AllRecordsView.as_view(), name="records-all"),
    # Last: every other single-segment path is a record uuid, a count, or a 404.
    path("<str:key>", RecordByKeyView.as_view(), name="records-by-key"),
]
