"""JSON API under /api/ (django-ninja). Owned by the register/API work (issue 7)."""

from ninja import NinjaAPI

api = NinjaAPI(title="Intese API", version="1", urls_namespace="api")
