"""Creates the template's tables and queues on a fake AWS (moto), for the local stack and tests."""

from __future__ import annotations

import json
from typing import Any

from mailer.aws.clients import Clients

from . import fast_moto, moto_dynamodb
from .template import Template, physical_names


def provision(clients: Clients, template: Template) -> dict[str, str]:
    """Create every table, queue, bucket and schedule group the template declares, plus the
    SES sender identity.

    Safe to run twice: what already exists is left alone. Returns logical id -> physical name.
    moto, running in this process, is mended first (moto_dynamodb.py) and answers faster
    (fast_moto.py).
    """
    moto_dynamodb.apply()
    fast_moto.install()
    settings = clients.settings
    names = physical_names(template, settings)
    for logical_id in template.of_type("AWS::DynamoDB::Table"):
        _create_table(clients, template, logical_id, names[logical_id])
    queue_arns: dict[str, str] = {}
    # Dead-letter queues first, so the queues that redrive into them can name their ARN.
    queues = sorted(
        template.of_type("AWS::SQS::Queue"), key=lambda q: template.dead_letter_of(q) is not None
    )
    for logical_id in queues:
        queue_arns[logical_id] = _create_queue(clients, template, logical_id, names, queue_arns)
    for logical_id in template.of_type("AWS::S3::Bucket"):
        _create_bucket(clients, template, logical_id, names[logical_id])
    for logical_id in template.of_type("AWS::Scheduler::ScheduleGroup"):
        _create_schedule_group(clients.scheduler, names[logical_id])
    _create_identity(clients.sesv2, settings.sender_address)
    return names


def _create_bucket(clients: Clients, template: Template, logical_id: str, name: str) -> None:
    s3 = clients.s3
    try:
        s3.create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": clients.settings.region}
        )
    except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        return
    rules = template.bucket_lifecycle_rules(logical_id)
    if rules:
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})


def _create_schedule_group(scheduler: Any, name: str) -> None:
    existing = {g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"]}
    if name not in existing:
        scheduler.create_schedule_group(Name=name)


def _create_table(clients: Clients, template: Template, logical_id: str, name: str) -> None:
    client = clients.dynamodb.meta.client
    args = template.create_table_args(logical_id, name)
    try:
        client.create_table(**args)
    except client.exceptions.ResourceInUseException:
        _add_missing_indexes(client, args)
        return
    client.get_waiter("table_exists").wait(TableName=name)
    ttl = template.ttl_attribute(logical_id)
    if ttl:
        client.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"AttributeName": ttl, "Enabled": True}
        )


def _add_missing_indexes(client: Any, args: dict[str, Any]) -> None:
    """Add the template's global secondary indexes a table restored from an older state lacks,
    one per update, as CloudFormation does on a deploy."""
    table = client.describe_table(TableName=args["TableName"])["Table"]
    present = {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])}
    for index in args.get("GlobalSecondaryIndexes", []):
        if index["IndexName"] not in present:
            client.update_table(
                TableName=args["TableName"],
                AttributeDefinitions=args["AttributeDefinitions"],
                GlobalSecondaryIndexUpdates=[{"Create": index}],
            )


def _create_queue(
    clients: Clients,
    template: Template,
    logical_id: str,
    names: dict[str, str],
    queue_arns: dict[str, str],
) -> str:
    attributes: dict[str, Any] = template.queue_attributes(logical_id)
    dead_letter = template.dead_letter_of(logical_id)
    if dead_letter:
        target, max_receive = dead_letter
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": queue_arns[target], "maxReceiveCount": str(max_receive)}
        )
    url = clients.sqs.create_queue(QueueName=names[logical_id], Attributes=attributes)["QueueUrl"]
    return clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]


def _create_identity(sesv2: Any, sender_address: str) -> None:
    domain = sender_address.rpartition("@")[2]
    existing = {i["IdentityName"] for i in sesv2.list_email_identities()["EmailIdentities"]}
    if domain not in existing:
        sesv2.create_email_identity(EmailIdentity=domain)
