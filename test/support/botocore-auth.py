"""Drives Longshore's authentication with botocore; reports, as JSON on stdout, what each case raised.

Usage: python3 botocore-auth.py <endpoint-url> <admin-key-id> <admin-secret> <limited-key-id> <limited-secret>

Run by test/auth/botocore-auth.test.ts. Each case reports the error code botocore parsed, its
HTTP status and whether it raised the class botocore has for that code. Exit code 3: botocore
is not importable.
"""

import datetime
import importlib
import json
import sys

try:
    import botocore
    import botocore.auth
    import botocore.session
    from botocore.config import Config
    from botocore.exceptions import ClientError
except ImportError as error:
    print(f"botocore is not importable by {sys.executable} ({error})", file=sys.stderr)
    sys.exit(3)

endpoint, admin_id, admin_secret, limited_id, limited_secret = sys.argv[1:6]


def client(key_id=None, secret=None, unsigned=False):
    config = Config(retries={"total_max_attempts": 1})
    if unsigned:
        config = config.merge(Config(signature_version=botocore.UNSIGNED))
    return botocore.session.get_session().create_client(
        "ecr",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id=key_id or "unused",
        aws_secret_access_key=secret or "unused",
        config=config,
    )


def outcome(ecr, call):
    try:
        result = call(ecr)
    except ClientError as e:
        code = e.response["Error"]["Code"]
        return {
            "code": code,
            "message": e.response["Error"].get("Message", ""),
            "httpStatus": e.response["ResponseMetadata"]["HTTPStatusCode"],
            "className": type(e).__name__,
        }
    result.pop("ResponseMetadata", None)
    return {"code": None, "result": json.loads(json.dumps(result, default=str))}


class SkewedClock:
    """Stands in for the `datetime` module botocore's signer reads the time from."""

    def __init__(self, minutes):
        real = datetime.datetime
        offset = datetime.timedelta(minutes=minutes)

        class Shifted(real):
            @classmethod
            def utcnow(cls):
                return real.utcnow() + offset

            @classmethod
            def now(cls, tz=None):
                return real.now(tz) + offset

        self.datetime = Shifted
        self.timedelta = datetime.timedelta
        self.timezone = datetime.timezone


def signer_modules():
    """botocore signs with botocore.auth, or with botocore.crt.auth when awscrt is installed."""
    modules = [botocore.auth]
    try:
        modules.append(importlib.import_module("botocore.crt.auth"))
    except ImportError:
        pass
    return modules


def skewed(minutes, call):
    """Signs as if the clock were `minutes` off, whichever signer botocore uses."""
    saved = []
    shift = datetime.timedelta(minutes=minutes)
    for module in signer_modules():
        now = getattr(module, "get_current_datetime", None)
        saved.append((module, module.datetime, now))
        module.datetime = SkewedClock(minutes)
        if now is not None:
            module.get_current_datetime = lambda *a, _now=now, **k: _now(*a, **k) + shift
    try:
        return outcome(client(admin_id, admin_secret), call)
    finally:
        for module, clock, now in saved:
            module.datetime = clock
            if now is not None:
                module.get_current_datetime = now


def tampered():
    ecr = client(admin_id, admin_secret)

    def swap(request, **_):
        request.body = request.body.replace(b"team-a/", b"team-b/")
        request.headers["Content-Length"] = str(len(request.body))

    ecr.meta.events.register("before-send.ecr.CreateRepository", swap)
    return outcome(ecr, lambda c: c.create_repository(repositoryName="team-a/botocore-tampered"))


describe = lambda c: c.describe_repositories()  # noqa: E731
results = {
    "botocoreVersion": botocore.__version__,
    "correctKey": outcome(client(admin_id, admin_secret), describe),
    "noCredentials": outcome(client(unsigned=True), describe),
    "unknownKey": outcome(client("AKIAUNKNOWNBOTOCORE0", "some-secret"), describe),
    "wrongSecret": outcome(client(admin_id, "not-the-secret"), describe),
    "tamperedBody": tampered(),
    "sixteenMinutesBehind": skewed(-16, describe),
    "sixteenMinutesAhead": skewed(16, describe),
    "limitedPushElsewhere": outcome(
        client(limited_id, limited_secret), lambda c: c.initiate_layer_upload(repositoryName="team-b/app")
    ),
    "limitedPullAllowed": outcome(
        client(limited_id, limited_secret),
        lambda c: c.batch_check_layer_availability(repositoryName="team-b/app", layerDigests=["sha256:" + "0" * 64]),
    ),
    "limitedPushOwn": outcome(client(limited_id, limited_secret), lambda c: c.initiate_layer_upload(repositoryName="team-a/app")),
    "authorizationToken": outcome(client(admin_id, admin_secret), lambda c: c.get_authorization_token()),
}
print(json.dumps(results))
