"""``archbench:loadWorkers`` under Pulumi mocks: off by default; on, the worker function and a private, encrypted,
expiring results bucket, and a role that may send only to the stack's queues and write only its results prefix."""

from __future__ import annotations

import fnmatch

from stack import LoadWorkerOutputs, StackOutputs
from tests.support.pulumi_harness import ACCOUNT, ProgramRun, run_program

FUNCTION = "aws:lambda/function:Function"
QUEUE = "aws:sqs/queue:Queue"
POLICY = "aws:iam/rolePolicy:RolePolicy"
BUCKET = "aws:s3/bucket:Bucket"
WORKER = "archbench-test_loadworker"


def run(**config) -> ProgramRun:
    return run_program({"layers": False, **config})


def worker_policy(program: ProgramRun) -> dict:
    role = next(r for r in program.of_type("aws:iam/role:Role") if r.inputs["name"] == f"{WORKER}-role")
    return program.one(POLICY, lambda r, role=role: r.inputs["role"] == role.id).json("policy")


def allowed(policy: dict, action: str, resource: str) -> bool:
    """Whether an Allow statement of ``policy`` grants ``action`` on ``resource`` (IAM's wildcards)."""
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if statement["Effect"] == "Allow" and any(fnmatch.fnmatchcase(action, a) for a in actions) and any(
                fnmatch.fnmatchcase(resource, r) for r in resources):
            return True
    return False


def test_off_by_default_nothing_of_it_is_deployed() -> None:
    program = run()
    assert not program.of_type(BUCKET)
    assert WORKER not in {r.inputs["name"] for r in program.of_type(FUNCTION)}
    assert "load_workers" not in program.exports["bench"]


def test_on_the_bucket_is_private_encrypted_tls_only_and_expires_its_results() -> None:
    program = run(loadWorkers=True)
    bucket = program.one(BUCKET)
    name = f"archbench-test-load-results-{ACCOUNT}"
    assert bucket.inputs["bucket"] == name

    def of(type_: str):
        return program.one(type_, lambda r: r.inputs["bucket"] == bucket.id)

    block = of("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(block[key] is True for key in ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy",
                                              "restrictPublicBuckets"))
    assert of("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs["rule"] == {
        "objectOwnership": "BucketOwnerEnforced"}
    (rule,) = of("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs[
        "rules"]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    (expiry,) = of("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    assert expiry["status"] == "Enabled" and expiry["filter"] == {"prefix": "results/"}
    assert 1 <= expiry["expiration"]["days"] <= 30
    (deny,) = of("aws:s3/bucketPolicy:BucketPolicy").json("policy")["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_on_the_worker_role_may_send_only_to_the_stacks_queues_and_routes_and_write_only_its_results_prefix() -> None:
    program = run(loadWorkers=True)
    policy = worker_policy(program)
    queues = [r.outputs["arn"] for r in program.of_type(QUEUE)]
    subjects = [arn for arn in queues if arn.endswith("-queue")]
    assert len(subjects) == 3
    for arn in subjects:
        assert allowed(policy, "sqs:SendMessage", arn)
        assert not allowed(policy, "sqs:ReceiveMessage", arn) and not allowed(policy, "sqs:DeleteMessage", arn)
    for arn in (a for a in queues if a.endswith("-dlq")):
        assert not allowed(policy, "sqs:SendMessage", arn)  # the DLQs hold evidence: never the worker's
    assert not allowed(policy, "sqs:SendMessage", "arn:aws:sqs:eu-west-1:123456789012:archbench-prod_x-queue")
    api = program.one("aws:apigatewayv2/api:Api").outputs["executionArn"]
    for variant in ("py313-1024-arm64", "py313-1024-x86_64", "py313-1024-x86_64-twin"):
        assert allowed(policy, "execute-api:Invoke", f"{api}/$default/POST/{variant}/process")
        assert not allowed(policy, "execute-api:Invoke", f"{api}/$default/GET/{variant}/process")
    assert not allowed(policy, "execute-api:Invoke", f"{api}/$default/POST/py313-2048-arm64/process")
    assert not allowed(policy, "execute-api:Invoke", "arn:aws:execute-api:eu-west-1:123456789012:other-id/$default/"
                                                     "POST/py313-1024-arm64/process")
    bucket = f"arn:aws:s3:::archbench-test-load-results-{ACCOUNT}"
    assert allowed(policy, "s3:PutObject", f"{bucket}/results/run-1/0.json")
    assert not allowed(policy, "s3:PutObject", f"{bucket}/elsewhere.json")
    assert not allowed(policy, "s3:GetObject", f"{bucket}/results/run-1/0.json")
    assert allowed(policy, "s3:GetObject", f"{bucket}/results/run-1/stop")  # the driver's stop marker, only
    assert not allowed(policy, "s3:DeleteObject", f"{bucket}/results/run-1/0.json")
    assert not allowed(policy, "lambda:InvokeFunction", f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:{WORKER}")
    assert not any(r == "*" for s in policy["Statement"] for r in s["Resource"])


def test_on_the_worker_function_is_never_retried_and_its_outputs_follow_the_contract() -> None:
    program = run(loadWorkers=True)
    function = program.one(FUNCTION, lambda r: r.inputs["name"] == WORKER)
    assert function.inputs["handler"] == "handlers.loadworker.handler"
    assert function.inputs["architectures"] == ["arm64"] and function.inputs["timeout"] == 900
    invoke_config = program.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")
    assert invoke_config.inputs["maximumRetryAttempts"] == 0
    outputs = StackOutputs.from_dict(program.exports["bench"])
    assert outputs.load_workers == LoadWorkerOutputs(
        function_name=WORKER, bucket=f"archbench-test-load-results-{ACCOUNT}", results_prefix="results/",
        memory_mb=1769, architecture="arm64", timeout_s=900)
    assert StackOutputs.from_dict(outputs.to_dict()) == outputs


def test_the_worker_role_carries_the_stacks_permissions_boundary() -> None:
    """The CI deploy role may create no role without it (``components.iam_policies``)."""
    program = run(loadWorkers=True)
    role = next(r for r in program.of_type("aws:iam/role:Role") if r.inputs["name"] == f"{WORKER}-role")
    boundary = program.one("aws:iam/policy:Policy")
    assert role.inputs["permissionsBoundary"] == boundary.outputs["arn"]
