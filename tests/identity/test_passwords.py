import re

import pytest

from identity.passwords import (
    COMMON_PASSWORDS,
    PasswordPolicy,
    generate_one_time_password,
    hash_password,
    policy_problems,
    verify_password,
)

POLICY = PasswordPolicy()
NAME = "Priya Sharma"
EMAIL = "priya.sharma@sunnyside-care.co.uk"
GOOD = "violet-otter-harbour"


def problems(password, *, name=NAME, email=EMAIL, previous_hashes=(), policy=POLICY):
    return policy_problems(password, name=name, email=email,
                           previous_hashes=list(previous_hashes), policy=policy)


def mentions(found, fragment):
    return any(fragment in p for p in found)


def test_good_password_passes():
    assert problems(GOOD) == []


def test_too_short():
    found = problems("Qz7#kw9!v")  # 9 characters
    assert found == ["Use at least 10 characters."]
    assert problems("Qz7#kw9!vX") == []
    assert problems("Qz7#kw9!vX", policy=PasswordPolicy(min_length=12)) == ["Use at least 12 characters."]


@pytest.mark.parametrize("password", [
    "password", "PASSWORD", "PassWord", "Password123!", "password1234", "qwerty123456",
    "Qwerty!!2024", "iloveyou99", "Capacitytracker", "CareHome2024!", "nhs12345678", "Welcome2024",
])
def test_common_passwords_refused(password):
    assert mentions(problems(password), "commonly used")


def test_deny_list_is_lower_case_and_has_both_sources():
    assert all(p == p.lower() and p for p in COMMON_PASSWORDS)
    assert {"123456", "password", "qwerty"} <= COMMON_PASSWORDS  # zxcvbn's list
    assert {"capacitytracker", "carehome123", "nhs12345678", "welcome2024"} <= COMMON_PASSWORDS  # our file
    assert len(COMMON_PASSWORDS) > 30_000


@pytest.mark.parametrize("password", [
    "priya.sharma@sunnyside-care.co.uk",
    "PRIYA.SHARMA@SUNNYSIDE-CARE.CO.UK!",
    "xx-Priya.Sharma-2024",
])
def test_email_or_local_part_refused(password):
    assert mentions(problems(password), "email address")


def test_short_local_part_allowed_but_not_whole_email():
    assert problems("jovial-kettle-harbour", name="Jo Wu", email="jo@example.org") == []
    assert mentions(problems("kettle-JO@example.org", name="Jo Wu", email="jo@example.org"), "email address")


@pytest.mark.parametrize("password", ["PRIYA-rocks-2024", "harbour-sharma-otter", "xx.Sharma.xx"])
def test_name_part_refused(password):
    assert mentions(problems(password, email="ps@example.org"), "your name")


def test_name_parts_handle_punctuation_and_case():
    assert mentions(problems("violet-brien-otter", name="Siobhán O'Brien", email="x@y.org"), "your name")
    assert mentions(problems("violet-SIOBHÁN-otter", name="Siobhán O'Brien", email="x@y.org"), "your name")


def test_short_name_parts_allowed():
    assert problems("lighthouse-ngaio-keeper", name="Li Ng", email="x@y.org") == []


def test_history_refuses_last_four_allows_fifth():
    passwords = [f"old-harbour-otter-{i}" for i in range(5)]  # newest first
    hashes = [hash_password(p) for p in passwords]
    for recent in passwords[:4]:
        assert mentions(problems(recent, previous_hashes=hashes), "last 4 passwords")
    assert problems(passwords[4], previous_hashes=hashes) == []
    assert mentions(problems(passwords[4], previous_hashes=hashes, policy=PasswordPolicy(history=5)),
                    "last 5 passwords")


def test_several_problems_reported_together():
    found = problems("Sharma1!")
    assert len(found) == 2 and mentions(found, "at least") and mentions(found, "your name")


def test_hash_round_trip():
    hashed = hash_password(GOOD)
    assert hashed.startswith("$argon2id$") and "m=19456,t=2,p=1" in hashed
    assert hashed != hash_password(GOOD)  # salted
    assert verify_password(hashed, GOOD) is True
    assert verify_password(hashed, GOOD + "x") is False


@pytest.mark.parametrize("garbage", [
    "", "not a hash", "$argon2id$v=19$m=19456,t=2,p=1$garbage",
    "$2b$12$KIXQJQ5v0gk1xZ5k8QeLxe0o3pN8mD6l9Yt3m3nG7k3G1s8Q2e6aW",
])
def test_verify_garbage_hash_is_false(garbage):
    assert verify_password(garbage, GOOD) is False


def test_one_time_passwords_pass_policy():
    people = [(NAME, EMAIL), ("Ann Lee", "ann.lee@nhs.net"), ("Siobhán O'Brien-Smith", "sob@care.org.uk"),
              ("Mohammed Al-Khan", "mohammed.khan@gmail.com")]
    seen = set()
    for i in range(200):
        otp = generate_one_time_password()
        name, email = people[i % len(people)]
        assert problems(otp, name=name, email=email) == [], otp
        assert len(otp) == 14
        assert re.search("[A-Z]", otp) and re.search("[a-z]", otp) and re.search("[0-9]", otp)
        assert not set(otp) & set("0O1lI")
        seen.add(otp)
    assert len(seen) == 200


def test_policy_defaults():
    assert PasswordPolicy() == PasswordPolicy(10, 4, 90, (18, 10, 5, 2, 1), 5, 24)


def test_from_environment_reads_env(monkeypatch):
    for key, value in {"PASSWORD_MIN_LENGTH": "12", "PASSWORD_HISTORY": "6", "PASSWORD_MAX_AGE_DAYS": "60",
                       "PASSWORD_REMINDER_DAYS": "7, 14,1", "MAX_FAILED_LOGINS": "3", "LOCKOUT_HOURS": "2"}.items():
        monkeypatch.setenv(key, value)
    assert PasswordPolicy.from_environment() == PasswordPolicy(
        min_length=12, history=6, max_age_days=60, reminder_days=(14, 7, 1), max_failed_logins=3, lockout_hours=2)


def test_from_environment_defaults(monkeypatch):
    for key in ("PASSWORD_MIN_LENGTH", "PASSWORD_HISTORY", "PASSWORD_MAX_AGE_DAYS",
                "PASSWORD_REMINDER_DAYS", "MAX_FAILED_LOGINS", "LOCKOUT_HOURS"):
        monkeypatch.delenv(key, raising=False)
    assert PasswordPolicy.from_environment() == PasswordPolicy()


def test_hashing_offloaded_to_a_thread_lets_other_greenlets_run():
    import eventlet
    from eventlet import tpool

    from identity import passwords

    finished = []

    def hashing():
        passwords.hash_password("Kestrel-Harbour-Lantern-7")
        finished.append("hash")

    def other():
        eventlet.sleep(0.001)
        finished.append("other")

    passwords.offload_hashing(tpool.execute)
    try:
        threads = [eventlet.spawn(hashing), eventlet.spawn(other)]
        for thread in threads:
            thread.wait()
    finally:
        passwords.offload_hashing(passwords._run_here)
    assert finished == ["other", "hash"]  # in the hub's thread, the hash would finish first
