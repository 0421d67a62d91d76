"""Drives Longshore's lifecycle policy operations with botocore and reports, as JSON on stdout,
what each answered and which modeled exceptions it raised.

Usage: python3 botocore-lifecycle.py <endpoint-url> <repository-name>

Run by test/ecr/botocore-lifecycle.test.ts. Exit code 3: botocore is not importable.
"""

import json
import sys
import time

from botocore_driver import botocore, caught, ecr_client  # exits with code 3 when botocore is missing




POLICY = json.dumps(
    {
        "rules": [
            {
                "rulePriority": 1,
                "description": "Expire untagged images older than 14 days",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 14,
                },
                "action": {"type": "expire"},
            }
        ]
    }
)


def main():
    endpoint, repository = sys.argv[1], sys.argv[2]
    ecr = ecr_client(endpoint)
    ecr.create_repository(repositoryName=repository)
    results = {"policy": POLICY}
    results["getBeforePut"] = caught(
        ecr, "LifecyclePolicyNotFoundException", lambda: ecr.get_lifecycle_policy(repositoryName=repository)
    )
    results["previewBeforeStart"] = caught(
        ecr,
        "LifecyclePolicyPreviewNotFoundException",
        lambda: ecr.get_lifecycle_policy_preview(repositoryName=repository),
    )
    results["invalidPolicy"] = caught(
        ecr,
        "InvalidParameterException",
        lambda: ecr.put_lifecycle_policy(
            repositoryName=repository, lifecyclePolicyText=POLICY.replace('"untagged"', '"tagged"')
        ),
    )
    put = ecr.put_lifecycle_policy(repositoryName=repository, lifecyclePolicyText=POLICY)
    results["put"] = {k: put[k] for k in ("registryId", "repositoryName", "lifecyclePolicyText")}
    got = ecr.get_lifecycle_policy(repositoryName=repository)
    results["get"] = {k: got[k] for k in ("registryId", "repositoryName", "lifecyclePolicyText")}
    started = ecr.start_lifecycle_policy_preview(repositoryName=repository)
    results["startStatus"] = started["status"]
    preview = ecr.get_lifecycle_policy_preview(repositoryName=repository)
    deadline = time.time() + 20
    while preview["status"] == "IN_PROGRESS" and time.time() < deadline:
        preview = ecr.get_lifecycle_policy_preview(repositoryName=repository)
    results["preview"] = {
        "status": preview["status"],
        "expiring": preview["summary"]["expiringImageTotalCount"],
        "results": preview.get("previewResults", []),
    }
    deleted = ecr.delete_lifecycle_policy(repositoryName=repository)
    results["deletedText"] = deleted["lifecyclePolicyText"]
    results["deleteAgain"] = caught(
        ecr, "LifecyclePolicyNotFoundException", lambda: ecr.delete_lifecycle_policy(repositoryName=repository)
    )
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
