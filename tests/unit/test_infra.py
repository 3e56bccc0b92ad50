"""No drift: the template, the settings and the code agree, and tables come from the template."""

from __future__ import annotations

import copy
import importlib
import json

import pytest

from mailer.aws import Clients
from mailer.catalogue_store import CatalogueStore
from mailer.infra import Template, physical_names
from mailer.settings import Settings


def test_template_environment_matches_settings(template: Template) -> None:
    template_vars = set(template.global_environment()) - {
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_LOG_LEVEL",
    }
    assert template_vars == Settings.env_names(template_only=True)


def test_every_function_handler_resolves_to_a_callable(template: Template) -> None:
    functions = template.of_type("AWS::Serverless::Function")
    assert functions, "the template declares no functions"
    for logical_id, function in functions.items():
        module_name, _, attribute = function["Properties"]["Handler"].rpartition(".")
        assert function["Properties"]["CodeUri"] == "../functions", logical_id
        handler = getattr(importlib.import_module(module_name), attribute)
        assert callable(handler), logical_id


def test_moto_tables_have_the_template_key_schema(
    aws: Clients, template: Template, settings: Settings
) -> None:
    names = physical_names(template, settings)
    for logical_id, resource in template.of_type("AWS::DynamoDB::Table").items():
        described = aws.dynamodb.meta.client.describe_table(TableName=names[logical_id])["Table"]
        assert described["KeySchema"] == resource["Properties"]["KeySchema"]


def test_send_queue_redrives_to_its_dead_letter_queue(aws: Clients, settings: Settings) -> None:
    attributes = aws.sqs.get_queue_attributes(
        QueueUrl=aws.sqs.get_queue_url(QueueName="test-send")["QueueUrl"],
        AttributeNames=["All"],
    )["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert int(redrive["maxReceiveCount"]) == 5
    assert redrive["deadLetterTargetArn"].endswith(":mailer-SendDeadLetterQueue")
    assert attributes["VisibilityTimeout"] == "180"


def test_a_changed_table_key_in_the_template_breaks_the_code(
    template: Template, settings: Settings
) -> None:
    """If someone renames the catalogue key in the template, the store can no longer write."""
    import boto3
    from moto import mock_aws

    from mailer.catalogue import Catalogue
    from mailer.errors import StoreError
    from mailer.paths import catalogue_dir
    from mailer.provision import provision

    changed = copy.deepcopy(template.data)
    table = changed["Resources"]["CatalogueTable"]["Properties"]
    table["AttributeDefinitions"] = [{"AttributeName": "slug", "AttributeType": "S"}]
    table["KeySchema"] = [{"AttributeName": "slug", "KeyType": "HASH"}]
    with mock_aws():
        clients = Clients(settings, boto3.Session(region_name=settings.region))
        provision(clients, Template(changed))
        store = CatalogueStore(clients.dynamodb.Table(settings.catalogue_table))
        with pytest.raises(StoreError):
            store.sync(Catalogue.load(catalogue_dir()))


def test_the_sending_client_never_retries_a_send_by_itself(aws: Clients) -> None:
    """A botocore retry after a lost answer would send the same email twice."""
    assert aws.sesv2_send.meta.config.retries["total_max_attempts"] == 1
