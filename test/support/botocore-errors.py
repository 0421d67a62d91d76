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

from botocore_driver import botocore, caught_in_detail, ecr_client  # exits with code 3 when botocore is missing




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
    ecr = ecr_client(endpoint)
    ecr.create_repository(repositoryName=repository)
    results = {"botocoreVersion": botocore.__version__}

    upload_id = ecr.initiate_layer_upload(repositoryName=repository)["uploadId"]
    results["uploadId"] = upload_id
    results["InvalidLayerPartException"] = caught_in_detail(
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

    results["RepositoryNotFoundException"] = caught_in_detail(
        ecr,
        "RepositoryNotFoundException",
        lambda: ecr.describe_repositories(repositoryNames=[repository + "-missing"]),
    )

    layer = os.urandom(2048)
    results["firstPush"] = push(ecr, repository, layer)["layerDigest"]
    results["LayerAlreadyExistsException"] = caught_in_detail(
        ecr, "LayerAlreadyExistsException", lambda: push(ecr, repository, layer)
    )

    results["UploadNotFoundException"] = caught_in_detail(
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
