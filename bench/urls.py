"""The real URLconf plus ``bench/bare/``: the ceiling each page is compared with."""

from django.urls import path

from bench.views import bare
from hotwave.urls import handler400, handler403, handler404, handler500
from hotwave.urls import urlpatterns as real

urlpatterns = [path("bench/bare/", bare, name="bench-bare"), *real]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
