"""Drives Longshore's ECR image operations with botocore and reports, as JSON on stdout, what it saw.

Usage: python3 botocore-images.py <endpoint-url> <repository-name>

Run by test/ecr/botocore-images.test.ts. Layers are pushed with the ECR layer API, images put
with PutImage; every image operation is called once successfully and every image error is
provoked once. Each error case reports the code, whether botocore raised its modeled class and
the HTTP status. Exit code 3: botocore is not importable.
"""

import hashlib
import json
import os
import sys

from botocore_driver import botocore, caught_in_detail, ecr_client  # exits with code 3 when botocore is missing

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"




def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def push_blob(ecr, repository, data):
    upload_id = ecr.initiate_layer_upload(repositoryName=repository)["uploadId"]
    ecr.upload_layer_part(
        repositoryName=repository, uploadId=upload_id, partFirstByte=0, partLastByte=len(data) - 1, layerPartBlob=data
    )
    ecr.complete_layer_upload(repositoryName=repository, uploadId=upload_id, layerDigests=[digest(data)])
    return {"digest": digest(data), "size": len(data)}


def image(ecr, repository, layer_sizes, push=True):
    blobs = [os.urandom(size) for size in [200] + layer_sizes]
    described = [push_blob(ecr, repository, b) if push else {"digest": digest(b), "size": len(b)} for b in blobs]
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **described[0]},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **d} for d in described[1:]],
        }
    )
    return manifest, digest(manifest.encode())


def main():
    endpoint, repository = sys.argv[1], sys.argv[2]
    ecr = ecr_client(endpoint)
    ecr.create_repository(repositoryName=repository)
    results = {"botocoreVersion": botocore.__version__}

    manifest, manifest_digest = image(ecr, repository, [1000, 2000])
    results["manifestDigest"] = manifest_digest
    put = ecr.put_image(repositoryName=repository, imageManifest=manifest, imageTag="v1")["image"]
    results["putImage"] = {k: put[k] for k in ("imageId", "imageManifestMediaType")}
    got = ecr.batch_get_image(repositoryName=repository, imageIds=[{"imageTag": "v1"}, {"imageTag": "nope"}])
    results["batchGetImage"] = {
        "manifestsEqual": [i["imageManifest"] == manifest for i in got["images"]],
        "failureCodes": [f["failureCode"] for f in got["failures"]],
    }
    detail = ecr.describe_images(repositoryName=repository)["imageDetails"][0]
    results["describeImages"] = {
        "imageDigest": detail["imageDigest"],
        "imageTags": detail.get("imageTags"),
        "imageSizeInBytes": detail["imageSizeInBytes"],
        "imagePushedAtIsDatetime": type(detail["imagePushedAt"]).__name__ == "datetime",
        "imageManifestMediaType": detail["imageManifestMediaType"],
        "artifactMediaType": detail.get("artifactMediaType"),
    }
    results["listImages"] = ecr.list_images(repositoryName=repository, filter={"tagStatus": "TAGGED"})["imageIds"]

    results["ImageAlreadyExistsException"] = caught_in_detail(
        ecr, "ImageAlreadyExistsException", lambda: ecr.put_image(repositoryName=repository, imageManifest=manifest, imageTag="v1")
    )
    results["ImageDigestDoesNotMatchException"] = caught_in_detail(
        ecr,
        "ImageDigestDoesNotMatchException",
        lambda: ecr.put_image(repositoryName=repository, imageManifest=manifest, imageDigest=digest(b"other")),
    )
    unpushed, _ = image(ecr, repository, [10], push=False)
    results["LayersNotFoundException"] = caught_in_detail(
        ecr, "LayersNotFoundException", lambda: ecr.put_image(repositoryName=repository, imageManifest=unpushed)
    )
    other, other_digest = image(ecr, repository, [10])
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {"mediaType": OCI_MANIFEST, "digest": d, "size": len(m)}
                for m, d in ((manifest, manifest_digest), (other, other_digest))
            ],
        }
    )
    results["ReferencedImagesNotFoundException"] = caught_in_detail(
        ecr, "ReferencedImagesNotFoundException", lambda: ecr.put_image(repositoryName=repository, imageManifest=index)
    )
    results["ImageNotFoundException"] = caught_in_detail(
        ecr,
        "ImageNotFoundException",
        lambda: ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": "nope"}]),
    )
    results["InvalidParameterException"] = caught_in_detail(
        ecr, "InvalidParameterException", lambda: ecr.put_image(repositoryName=repository, imageManifest="{not json")
    )
    results["RepositoryNotFoundException"] = caught_in_detail(
        ecr,
        "RepositoryNotFoundException",
        lambda: ecr.list_images(repositoryName=repository + "-missing"),
    )

    mutability = ecr.put_image_tag_mutability(repositoryName=repository, imageTagMutability="IMMUTABLE")
    results["putImageTagMutability"] = mutability["imageTagMutability"]
    results["ImageTagAlreadyExistsException"] = caught_in_detail(
        ecr,
        "ImageTagAlreadyExistsException",
        lambda: ecr.put_image(repositoryName=repository, imageManifest=other, imageTag="v1"),
    )

    deleted = ecr.batch_delete_image(
        repositoryName=repository, imageIds=[{"imageDigest": manifest_digest}, {"imageTag": "nope"}]
    )
    results["batchDeleteImage"] = {
        "imageIds": deleted["imageIds"],
        "failureCodes": [f["failureCode"] for f in deleted["failures"]],
    }

    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
