"""What the botocore drivers in test/support share: the check that botocore is importable (exit
code 3 when it is not, which runBotocoreDriver reports), the ECR client they drive Longshore with
(no retries, so each call is one request) and the description of an error botocore raised.

Imported by the drivers as `botocore_driver` (Python puts a script's own directory on its path).
"""

import sys

try:
    import botocore
    import botocore.session
    from botocore.config import Config
    from botocore.exceptions import ClientError
except ImportError as error:
    print(
        f"botocore is not importable by {sys.executable} ({error}); "
        "install it with `apt-get install -y python3-botocore`",
        file=sys.stderr,
    )
    sys.exit(3)

__all__ = ["botocore", "ClientError", "Config", "caught", "caught_in_detail", "ecr_client"]


def ecr_client(endpoint, session=None):
    """An ECR client of `session` (default: a new one) for `endpoint`, signing with a test key, never retrying."""
    return (session or botocore.session.get_session()).create_client(
        "ecr",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        config=Config(retries={"total_max_attempts": 1}),
    )


def caught(ecr, name, call, detailed=False):
    """Runs `call`, which must raise; describes the exception botocore raised: its code, HTTP status
    and whether it is botocore's modeled class `name`; `detailed` adds the message, the class name
    and the modeled fields botocore parsed into the response."""
    try:
        result = call()
    except ClientError as e:
        modeled = getattr(ecr.exceptions, name, None)
        described = {
            "code": e.response["Error"]["Code"],
            "httpStatus": e.response["ResponseMetadata"]["HTTPStatusCode"],
            "isModeledClass": modeled is not None and isinstance(e, modeled),
        }
        if detailed:
            described["message"] = e.response["Error"].get("Message", "")
            described["className"] = type(e).__name__
            described["fields"] = {k: v for k, v in e.response.items() if k not in ("Error", "ResponseMetadata")}
        return described
    return {"code": None, "unexpectedResult": repr(result)[:500]}


def caught_in_detail(ecr, name, call):
    """`caught`, with the message, the class name and the modeled fields."""
    return caught(ecr, name, call, detailed=True)
