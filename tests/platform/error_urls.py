"""The site's URLs plus one page that fails, to see the 500 page as a user would."""

from django.urls import path

from config.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


def broken(request):
    raise RuntimeError("the disk is full")


urlpatterns = [path("guasto/", broken), *urlpatterns]
