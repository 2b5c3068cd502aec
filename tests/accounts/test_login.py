"""Login: password guessing is locked out, and no form accepts a POST without its CSRF token."""

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt
from django.db.models import Sum
from django.http import HttpRequest
from django.test import Client
from django.utils import timezone

from agreements.common.roles import Role
from tests.support.factories import UserFactory

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
LIMIT = 5  # the default LOGIN_FAILURE_LIMIT
LOCKED = "Troppi tentativi di accesso non riusciti"


def _login(client, username, password, url=LOGIN):
    return client.post(url, {"username": username, "password": password})


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def _failures(username) -> int:
    """The failures django-axes counts for this user name (its AccessAttempt rows, one per address and browser)."""
    return AccessAttempt.objects.filter(username=username).aggregate(n=Sum("failures_since_start"))["n"] or 0


@pytest.fixture
def officer(db):
    return UserFactory(username="mario.rossi", roles=[Role.DRAFTER])


def test_wrong_passwords_lock_the_user_name_from_that_address(officer):
    client = Client(REMOTE_ADDR="203.0.113.7")
    # given four wrong passwords: each one refused with the ordinary message
    for _ in range(LIMIT - 1):
        response = _login(client, "mario.rossi", "wrong-password")
        assert response.status_code == 200
        assert LOCKED not in response.content.decode()
    # when the fifth one fails too
    response = _login(client, "mario.rossi", "wrong-password")
    # then the page says the account is locked, in Italian, and counts the minutes
    assert LOCKED in response.content.decode()
    assert "riprova tra 15 minuti" in response.content.decode()
    # and even the right password is refused now, without logging in
    response = _login(client, "mario.rossi", "password-123")
    assert response.status_code == 200
    assert LOCKED in response.content.decode()
    assert not _logged_in(client)
    # the refused attempts while locked do not extend the count beyond the limit
    assert _failures("mario.rossi") == LIMIT


def test_lockout_ignores_the_case_of_the_user_name(officer):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for name in ["Mario.Rossi", "MARIO.ROSSI", "mario.rossi", "mArio.rossi", "mario.ROSSI"]:
        _login(client, name, "wrong-password")
    assert LOCKED in _login(client, "mario.rossi", "password-123").content.decode()
    assert not _logged_in(client)


def test_another_address_and_another_user_are_not_locked(officer):
    other = UserFactory(username="anna.bianchi", roles=[Role.DRAFTER])
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(LIMIT):
        _login(attacker, "mario.rossi", "wrong-password")
    # the real user, from the office's address, still gets in
    office = Client(REMOTE_ADDR="10.1.2.3")
    _login(office, "mario.rossi", "password-123")
    assert _logged_in(office)
    # and another user from the attacker's address too
    _login(attacker, other.username, "password-123")
    assert _logged_in(attacker)


def test_lock_ends_after_the_window(officer):
    client = Client(REMOTE_ADDR="203.0.113.7")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(LIMIT):
            _login(client, "mario.rossi", "wrong-password")
    with time_machine.travel(start + datetime.timedelta(minutes=14), tick=False):
        assert LOCKED in _login(client, "mario.rossi", "password-123").content.decode()
        assert not _logged_in(client)
    with time_machine.travel(start + datetime.timedelta(minutes=16), tick=False):
        _login(client, "mario.rossi", "password-123")
        assert _logged_in(client)
    # a successful login clears the count
    assert not AccessAttempt.objects.filter(username="mario.rossi").exists()


def test_success_before_the_limit_resets_the_count(officer):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(LIMIT - 1):
        _login(client, "mario.rossi", "wrong-password")
    _login(client, "mario.rossi", "password-123")
    assert _logged_in(client)
    client.logout()
    for _ in range(LIMIT - 1):
        _login(client, "mario.rossi", "wrong-password")
    _login(client, "mario.rossi", "password-123")
    assert _logged_in(client)


def test_admin_login_page_shares_the_lockout(db):
    UserFactory(username="admin.sistema", roles=[Role.ADMIN], is_staff=True, is_superuser=True)
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(LIMIT):
        _login(client, "admin.sistema", "wrong-password", url=ADMIN_LOGIN)
    # locked on the admin page and on the office's page alike
    response = _login(client, "admin.sistema", "password-123", url=ADMIN_LOGIN)
    assert LOCKED in response.content.decode()
    assert not _logged_in(client)
    assert LOCKED in _login(client, "admin.sistema", "password-123").content.decode()
    assert not _logged_in(client)


def test_test_client_login_works_with_a_request_and_respects_the_lockout(officer):
    # django-axes needs the request: tests pass a blank one (axes' documented guidance), or use force_login
    client = Client()
    assert client.login(request=HttpRequest(), username="mario.rossi", password="password-123")
    assert _logged_in(client)
    client.logout()
    for _ in range(LIMIT):
        assert not client.login(request=HttpRequest(), username="mario.rossi", password="wrong-password")
    assert not client.login(request=HttpRequest(), username="mario.rossi", password="password-123")


def test_login_page_is_italian_and_renders_a_csrf_token(db):
    response = Client().get(LOGIN)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Accesso" in body and "Nome utente" in body
    assert 'name="csrfmiddlewaretoken"' in body


# --- CSRF ----------------------------------------------------------------------------------------------------


def test_login_post_without_csrf_token_is_refused(officer):
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR="203.0.113.7")
    client.get(LOGIN)  # the browser has the cookie, the attacker's page cannot read the token
    response = _login(client, "mario.rossi", "password-123")
    assert response.status_code == 403
    assert not _logged_in(client)
    assert not AccessAttempt.objects.exists()


def test_login_post_with_csrf_token_is_accepted(officer):
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN)
    token = client.cookies["csrftoken"].value
    response = client.post(LOGIN, {"username": "mario.rossi", "password": "password-123",
                                   "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert _logged_in(client)


@pytest.mark.parametrize(
    "url, data",
    [
        (ADMIN_LOGIN, {"username": "mario.rossi", "password": "password-123"}),
        ("/accounts/logout/", {}),
        ("/accounts/password_change/", {"old_password": "password-123", "new_password1": "Nuova-parola-lunga-42",
                                        "new_password2": "Nuova-parola-lunga-42"}),
        ("/i18n/setlang/", {"language": "en"}),
    ],
)
def test_other_forms_refuse_a_post_without_csrf_token(officer, url, data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    password_before = type(officer).objects.get(pk=officer.pk).password
    response = client.post(url, data)
    assert response.status_code == 403
    # nothing happened: still logged in, same password
    assert _logged_in(client)
    assert type(officer).objects.get(pk=officer.pk).password == password_before
