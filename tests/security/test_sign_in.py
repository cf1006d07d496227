"""Classes 4 and 5: sign-in failures back off per account and per client address (429 +
Retry-After), an unknown user costs the same hashing as a known one, look-alike
usernames are one account, and common passwords are refused."""

import pytest

from cinematch.adapters.memory import MemoryLimitStore
from cinematch.domain.users import canonical_username
from cinematch.services.accounts import password_problem
from cinematch.services.limits import LoginThrottle, RateLimited

from .support import PASSWORD


def token(client, name, password, client_ip=None):
    return client.post("/api/auth/token", json={"username": name, "password": password})


def frozen(container):
    """The throttle's clock stopped: a slow machine cannot let a block run out mid-test."""
    container.services.accounts().throttle.clock = lambda: 1_800_000_000.0


def test_repeated_failures_for_one_account_get_429_with_retry_after(app_client):
    container, client = app_client
    frozen(container)
    client.post("/api/auth/register", json={"username": "victim", "password": PASSWORD})
    codes = [token(client, "victim", f"wrong-guess-{i}").status_code for i in range(8)]
    assert codes[:5] == [401] * 5 and codes[6:] == [429, 429], codes
    blocked = token(client, "VICTIM", PASSWORD)  # even the right password waits: no oracle for the attacker
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
    assert "retry" in blocked.json()["detail"]


def test_a_client_address_spraying_many_accounts_is_limited_too(app_client):
    container, client = app_client
    frozen(container)
    codes = [token(client, f"user{i}", "wrong-guess-123").status_code for i in range(25)]
    assert codes[0] == 401 and 429 in codes


async def test_backoff_grows_and_a_success_clears_the_account():
    now = [0.0]
    throttle = LoginThrottle(MemoryLimitStore(), free_account=2, free_client=100, base=1, clock=lambda: now[0])
    keys = throttle.keys("a", "1.2.3.4")
    waits = []
    for _ in range(5):
        await throttle.failed(keys)
        try:
            await throttle.check(keys)
            waits.append(0)
        except RateLimited as exc:
            waits.append(exc.retry_after)
            now[0] += exc.retry_after
    assert waits[:2] == [0, 0] and waits[2] < waits[3] < waits[4]  # 1 s, 2 s, 4 s, …
    await throttle.succeeded(keys)
    await throttle.check(keys)  # the account is free again


async def test_the_throttle_keeps_a_bounded_number_of_keys():
    store = MemoryLimitStore(max_keys=100)
    throttle = LoginThrottle(store)
    for i in range(1000):
        await throttle.failed(throttle.keys(f"name{i}", f"10.0.{i // 256}.{i % 256}"))
    assert len(store) <= 100


async def test_an_unknown_user_is_verified_against_a_dummy_hash(app_client, monkeypatch):
    container, client = app_client
    accounts = container.services.accounts()
    client.post("/api/auth/register", json={"username": "known", "password": PASSWORD})
    verified = []
    real = accounts._verify
    monkeypatch.setattr(accounts, "_verify", lambda h, p: verified.append(h) or real(h, p))
    assert token(client, "known", "wrong-guess-1").status_code == 401
    assert token(client, "nobody-here", "wrong-guess-1").status_code == 401
    assert token(client, "admin\n", "wrong-guess-1").status_code == 401  # not even a valid name
    assert len(verified) == 3 and all(h.startswith("$argon2") for h in verified)


def test_hashing_runs_off_the_event_loop(app_client, monkeypatch):
    import threading
    container, client = app_client
    accounts = container.services.accounts()
    threads = []
    real = accounts._verify
    monkeypatch.setattr(accounts, "_verify", lambda h, p: threads.append(threading.get_ident()) or real(h, p))
    loop_threads = []
    lookup = accounts.users.by_username

    async def on_the_loop(name):
        loop_threads.append(threading.get_ident())
        return await lookup(name)
    monkeypatch.setattr(accounts.users, "by_username", on_the_loop)
    client.post("/api/auth/register", json={"username": "carol", "password": PASSWORD})
    assert token(client, "carol", PASSWORD).status_code == 200
    assert threads and loop_threads and not set(loop_threads) & set(threads)


@pytest.mark.parametrize("name", ["admin\n", "admin ", " admin", "ad", "a" * 33, "adm!n", "ädmin", "admin\x00"])
def test_look_alike_or_invalid_usernames_are_refused(app_client, name):
    _, client = app_client
    r = client.post("/api/auth/register", json={"username": name, "password": PASSWORD})
    assert r.status_code == 400 and "username" in r.json()["detail"]


@pytest.mark.parametrize("name", ["ADMIN", "Admin", "ａｄｍｉｎ", "ＡＤＭＩＮ"])
def test_a_name_that_differs_only_in_case_or_width_is_taken(app_client, name):
    _, client = app_client
    assert client.post("/api/auth/register", json={"username": name, "password": PASSWORD}).status_code == 409


def test_sign_in_ignores_case_and_width(app_client):
    _, client = app_client
    client.post("/api/auth/register", json={"username": "Dana", "password": PASSWORD})
    for name in ("dana", "DANA", "ｄａｎａ"):
        assert token(client, name, PASSWORD).status_code == 200
    assert canonical_username("ｄａｎａ") == "dana" and canonical_username("dana\n") is None


@pytest.mark.parametrize("password", ["12345678", "password", " " * 8, " " * 12, "1234567890", "password12",
                                      "qwertyuiop", "iloveyou12", "aaaaaaaaaa", "abcdefghij", "erin-the-user-1"])
def test_common_or_personal_passwords_are_refused(app_client, password):
    _, client = app_client
    r = client.post("/api/auth/register", json={"username": "erin-the-user", "password": password})
    assert r.status_code == 400 and "password" in r.json()["detail"]


def test_good_passwords_pass():
    for password in (PASSWORD, "Tr0ub4dor&3-x", "correct horse battery staple", "my cat eats 4 olives"):
        assert password_problem(password, "someone") is None, password


def test_a_password_longer_than_zxcvbn_reads_is_judged_not_a_server_error(app_client):
    _, client = app_client
    long_one = "a sentence long enough to pass every strength rule, well past seventy two characters!"
    assert len(long_one) > 72
    assert client.post("/api/auth/register", json={"username": "longpass", "password": long_one}).status_code == 201
    assert client.post("/api/auth/token", json={"username": "longpass", "password": long_one}).status_code == 200
