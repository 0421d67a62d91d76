"""Drives the pull-through cache rule operations with botocore; prints, as JSON, what it saw.

Usage: python3 botocore-pull-through-rules.py <endpoint-url> <prefix> <upstream-url> <credential-arn> <ecr-model>

A botocore older than UpdatePullThroughCacheRule and ValidatePullThroughCacheRule (Debian's
1.29 knows only the other three) is given the ECR model at <ecr-model> (the AWS SDKs' own, a
subset: packages/domain/src/ecr-api-model.json), as botocore loads a newer model from its data
path; its parsing and modeled exception classes are still botocore's own.

Run by test/pull-through/pull-through-rules.test.ts. For each error case it prints the error code,
whether botocore raised its modeled exception class, and the HTTP status. Exit code 3: botocore
is not importable.
"""

import atexit
import json
import os
import shutil
import sys
import tempfile

from botocore_driver import botocore, caught, ecr_client  # exits with code 3 when botocore is missing


def client(endpoint, model):
    if "ValidatePullThroughCacheRule" in botocore.session.get_session().get_service_model("ecr").operation_names:
        session = botocore.session.get_session()
    else:
        session = botocore.session.get_session()
        data = tempfile.mkdtemp(prefix="ecr-model-")
        atexit.register(shutil.rmtree, data, True)
        os.makedirs(os.path.join(data, "ecr", "2015-09-21"))
        shutil.copy(model, os.path.join(data, "ecr", "2015-09-21", "service-2.json"))
        session.get_component("data_loader").search_paths.insert(0, data)
    return ecr_client(endpoint, session)



def main():
    endpoint, prefix, upstream, arn, model = sys.argv[1:6]
    ecr = client(endpoint, model)
    out = {"botocoreVersion": botocore.__version__}
    created = ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=prefix, upstreamRegistryUrl=upstream)
    out["created"] = {"prefix": created["ecrRepositoryPrefix"], "hasCreatedAt": "createdAt" in created}
    out["described"] = [
        r["ecrRepositoryPrefix"]
        for r in ecr.describe_pull_through_cache_rules(ecrRepositoryPrefixes=[prefix])["pullThroughCacheRules"]
    ]
    out["validated"] = ecr.validate_pull_through_cache_rule(ecrRepositoryPrefix=prefix)["isValid"]
    updated = ecr.update_pull_through_cache_rule(ecrRepositoryPrefix=prefix, credentialArn=arn)
    out["updatedCredential"] = updated.get("credentialArn")
    out["PullThroughCacheRuleAlreadyExistsException"] = caught(
        ecr,
        "PullThroughCacheRuleAlreadyExistsException",
        lambda: ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=prefix, upstreamRegistryUrl=upstream),
    )
    out["UnsupportedUpstreamRegistryException"] = caught(
        ecr,
        "UnsupportedUpstreamRegistryException",
        lambda: ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=prefix + "-ftp", upstreamRegistryUrl="ftp://example.com"),
    )
    out["SecretNotFoundException"] = caught(
        ecr,
        "SecretNotFoundException",
        lambda: ecr.update_pull_through_cache_rule(ecrRepositoryPrefix=prefix, credentialArn=arn + "-missing"),
    )
    out["InvalidParameterException"] = caught(
        ecr,
        "InvalidParameterException",
        lambda: ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="Upper/Case", upstreamRegistryUrl=upstream),
    )
    deleted = ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix=prefix)
    out["deleted"] = deleted["ecrRepositoryPrefix"]
    out["PullThroughCacheRuleNotFoundException"] = {
        name: caught(ecr, "PullThroughCacheRuleNotFoundException", call)
        for name, call in [
            ("describe", lambda: ecr.describe_pull_through_cache_rules(ecrRepositoryPrefixes=[prefix])),
            ("update", lambda: ecr.update_pull_through_cache_rule(ecrRepositoryPrefix=prefix, credentialArn=arn)),
            ("delete", lambda: ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix=prefix)),
            ("validate", lambda: ecr.validate_pull_through_cache_rule(ecrRepositoryPrefix=prefix)),
        ]
    }
    print(json.dumps(out))


main()
