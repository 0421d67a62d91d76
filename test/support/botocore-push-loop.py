"""Pushes small layers with botocore and its default retry policy until told to stop.

Usage: python3 botocore-push-loop.py <endpoint-url> <repository-name>

Run by test/resilience/chaos.test.ts next to the SDK clients. Pushes one single-part layer after
another (InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload) and prints one JSON line per
push: {"ok": bool, "digest": "sha256:...", "error": "..."}. Stops after the push in progress when
stdin closes. Exit code 3: botocore is not importable.
"""

import hashlib
import json
import os
import sys
import threading

try:
    import botocore.session
except ImportError as error:
    print(f"botocore is not importable by {sys.executable} ({error})", file=sys.stderr)
    sys.exit(3)


def main():
    endpoint, repository = sys.argv[1], sys.argv[2]
    session = botocore.session.get_session()
    # No retry config: botocore's own default policy, as a CI job would have it.
    ecr = session.create_client(
        "ecr",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    )
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    while not stop.is_set():
        data = os.urandom(16 * 1024 + int.from_bytes(os.urandom(2), "big") % (48 * 1024))
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        try:
            upload_id = ecr.initiate_layer_upload(repositoryName=repository)["uploadId"]
            ecr.upload_layer_part(
                repositoryName=repository,
                uploadId=upload_id,
                partFirstByte=0,
                partLastByte=len(data) - 1,
                layerPartBlob=data,
            )
            done = ecr.complete_layer_upload(repositoryName=repository, uploadId=upload_id, layerDigests=[digest])
            outcome = {"ok": done["layerDigest"] == digest, "digest": digest}
        except Exception as error:  # every failure that outlasted botocore's retries
            outcome = {"ok": False, "digest": digest, "error": f"{type(error).__name__}: {error}"}
        print(json.dumps(outcome), flush=True)


main()
