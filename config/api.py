"""The JSON API under /api/ (django-ninja): one NinjaAPI, the routers of the rooms mounted on it. The OpenAPI 3
schema is at /api/openapi.json, the browsable docs at /api/docs."""

from agreements.api import activities, plan, records
from agreements.api.base import build_api
from workflows import api as procedure

api = build_api()
api.add_router("", records.router)
api.add_router("", procedure.router)
api.add_router("", plan.router)
api.add_router("", activities.router)
