"""Walk every URL pattern of the site and request each one as each role, inside a savepoint rolled back after
each request, and classify what happened."""

import copy
import json
import re

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import ERROR, get_messages
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.support.register import drained

# Outcomes
OK = "ok"  # the page or action was reached (2xx, or a redirect without an error message)
LOGIN = "login"  # sent to a login page
FORBIDDEN = "403"
HIDDEN = "404"
UNAUTHENTICATED = "401"  # the API without a valid key
REFUSED = "refused"  # reached, and the service refused (an error message, or an API 400/409/422)

API_POST = {"api:start_proposal", "api:complete_task"}


def url_patterns():
    """Every pattern as (key, route, name, callback): key is the URL name or, for unnamed patterns, the route."""
    seen = set()

    def walk(patterns, prefix="", namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                name = f"{namespace}{p.name}" if p.name else None
                key = name or route
                if (key, route) not in seen:
                    seen.add((key, route))
                    yield key, route, name, p.callback

    return list(walk(get_resolver().url_patterns))


ADMIN_MODELS = {"auth/user": "user", "auth/group": "group", "viewflow/process": "process",
                "viewflow/task": "task", "agreements/reminderpolicy": "policy"}


def path_for(route: str, name: str | None, world) -> str:
    """A concrete path for the route, with the world's objects in its parameters."""
    if route.startswith("admin/^"):
        return "/admin/agreements/"
    if route == "admin/(?P<url>.*)$":
        return "/admin/nonexistent/"
    node = None
    match = re.match(r"workflow/agreement/<int:process_pk>/(\w+)/<int:task_pk>/", route)
    if match:
        node = world.task_of_node(match.group(1))
    admin_model = next((m for prefix, m in ADMIN_MODELS.items() if route.startswith(f"admin/{prefix}/")), None)
    user = world.users["redattore"]
    values = {
        "reference": world.a.reference,
        "pk": world.a.counterpart_id if name == "activities:territory_counterpart"
        else world.outbox.pk if (name or "").startswith("reminders:")
        else 999_999 if (name or "").startswith("notifications:") else world.version.pk,
        "name": "intesa_bilingue",
        "code": "FR" if (name or "").startswith("activities:") else "finanziarie",
        "kind": "intesa",
        "activity_id": 999_999,
        "version": world.version.pk,
        "key": world.calendar_key,
        "fmt": "csv",
        "task_pk": node.pk if node else world.open_task.pk,
        "process_pk": node.process_id if node else world.open_task.process_id,
        "task_id": world.open_task.pk,
        "uidb64": "MQ",
        "token": "abc-123",
        "id": user.pk,
        "content_type_id": ContentType.objects.get_for_model(get_user_model()).pk,
        "object_id": {
            "user": user.pk, "group": world.group().pk, "process": world.open_task.process_id,
            "task": world.open_task.pk, "policy": world.policy.pk, None: user.pk,
        }[admin_model],
    }

    def fill(m):
        return str(values[m.group(2)])

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)


def client_for(role, world, api: bool) -> Client:
    """One client per role and kind, logged in once (outside the savepoints, so the session stays)."""
    cache = world.__dict__.setdefault("_clients", {})
    if (role, api) not in cache:
        user = world.users[role]
        if api:
            key = world.api_keys.get(role)
            client = Client(headers={"Authorization": f"Bearer {key}"} if key else {})
        else:
            client = Client()
            if user is not None:
                client.force_login(user)
        cache[role, api] = client
    return cache[role, api]


def classify(response, posted=False) -> str:
    """What a response says happened. After a POST, a page shown again (200) means the form was refused."""
    code = response.status_code
    if posted and code == 200 and not response["Content-Type"].startswith("application/json"):
        return REFUSED
    if code in (301, 302, 303):
        location = response["Location"]
        if location.startswith(("/accounts/login/", "/admin/login/")):
            return LOGIN
        errors = [m for m in get_messages(response.wsgi_request) if m.level >= ERROR]
        return REFUSED if errors else OK
    if 200 <= code < 300 or code == 503:  # 503: the health page reporting a stale job, shown to who may see it
        return OK
    return {401: UNAUTHENTICATED, 403: FORBIDDEN, 404: HIDDEN, 400: REFUSED, 409: REFUSED, 422: REFUSED}.get(
        code, str(code)
    )


QUERY = {"exports:transparency": "?semester=2026-1"}


def _get(client, path):
    """GET, following redirects inside the site (a redirect to a login page or with an error message decides)."""
    response = client.get(path)
    for _hop in range(3):
        if response.status_code not in (301, 302, 303) or classify(response) != OK:
            break
        location = response["Location"]
        if not location.startswith("/"):
            break
        response = client.get(location)
    return response


def request(role, route, name, world, post=None) -> str:
    """The outcome of one role on one URL, writing nothing (the request runs in a savepoint rolled back).
    GET, or POST with `post(world)` as data; a GET answered 405 is retried as an empty POST."""
    path = path_for(route, name, world) + QUERY.get(name, "")
    api = route.startswith("api/")
    client = client_for(role, world, api)
    cookies = copy.deepcopy(client.cookies)  # a logout must not log the role's client out for the next URL
    sid = transaction.savepoint()
    try:
        if post is not None:
            data = post(world)
            if api:
                response = client.post(path, json.dumps(data), content_type="application/json")
                return classify(drained(response), posted=True)
            return classify(drained(client.post(data.pop("_path", path), data)), posted=True)
        if name in API_POST:
            return classify(drained(client.post(path, "{}", content_type="application/json")))
        response = drained(_get(client, path))
        if response.status_code == 405:
            return classify(drained(client.post(path, {})), posted=True)
        return classify(response)
    except Exception as error:  # noqa: BLE001 - a crash is an outcome the matrix reports
        return f"crash {error.__class__.__name__}: {error}"[:160]
    finally:
        transaction.savepoint_rollback(sid)
        client.cookies = cookies
