"""Drives Longshore with botocore and reports, as JSON on stdout, which exceptions it raised.

Usage: python3 botocore-errors.py <endpoint-url> <repository-name>

Run by test/ecr/botocore.test.ts. Each case prints what the test asserts on: the error code,
whether botocore raised its modeled exception class, the HTTP status and the modeled fields it
parsed into the response dict. Exit code 3: botocore is not importable.
"""

import hashlib
import json
import os
import sys
import uuid

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


def client(endpoint):
    session = botocore.session.get_session()
    return session.create_client(
        "ecr",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        config=Config(retries={"total_max_attempts": 1}),
    )


def caught(ecr, name, call):
    """Runs `call`, which must raise; describes the exception botocore raised."""
    try:
        result = call()
    except ClientError as e:
        modeled = getattr(ecr.exceptions, name, None)
        fields = {k: v for k, v in e.response.items() if k not in ("Error", "ResponseMetadata")}
        return {
            "code": e.response["Error"]["Code"],
            "message": e.response["Error"].get("Message", ""),
            "httpStatus": e.response["ResponseMetadata"]["HTTPStatusCode"],
            "isModeledClass": modeled is not None and isinstance(e, modeled),
            "className": type(e).__name__,
            "fields": fields,
        }
    return {"code": None, "unexpectedResult": repr(result)[:500]}


def push(ecr, repository, data):
    upload_id = ecr.initiate_layer_upload(repositoryName=repository)["uploadId"]
    ecr.upload_layer_part(
        repositoryName=repository,
        uploadId=upload_id,
        partFirstByte=0,
        partLastByte=len(data) - 1,
        layerPartBlob=data,
    )
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    return ecr.complete_layer_upload(repositoryName=repository, uploadId=upload_id, layerDigests=[digest])


def main():
    endpoint, repository = sys.argv[1], sys.argv[2]
    ecr = client(endpoint)
    ecr.create_repository(repositoryName=repository)
    results = {"botocoreVersion": botocore.__version__}

    upload_id = ecr.initiate_layer_upload(repositoryName=repository)["uploadId"]
    results["uploadId"] = upload_id
    results["InvalidLayerPartException"] = caught(
        ecr,
        "InvalidLayerPartException",
        lambda: ecr.upload_layer_part(
            repositoryName=repository,
            uploadId=upload_id,
            partFirstByte=100,
            partLastByte=199,
            layerPartBlob=os.urandom(100),
        ),
    )

    results["RepositoryNotFoundException"] = caught(
        ecr,
        "RepositoryNotFoundException",
        lambda: ecr.describe_repositories(repositoryNames=[repository + "-missing"]),
    )

    layer = os.urandom(2048)
    results["firstPush"] = push(ecr, repository, layer)["layerDigest"]
    results["LayerAlreadyExistsException"] = caught(
        ecr, "LayerAlreadyExistsException", lambda: push(ecr, repository, layer)
    )

    results["UploadNotFoundException"] = caught(
        ecr,
        "UploadNotFoundException",
        lambda: ecr.complete_layer_upload(
            repositoryName=repository,
            uploadId=str(uuid.uuid4()),
            layerDigests=[results["firstPush"]],
        ),
    )

    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
