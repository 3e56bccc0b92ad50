"""No drift: the template, the settings and the code agree, and tables come from the template."""

from __future__ import annotations

import copy
import html
import importlib
import json
import re

import pytest

from mailer.aws.clients import Clients
from mailer.aws.table import Table
from mailer.catalogue.store import CatalogueStore
from mailer.local.template import Template, physical_names
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
        assert function["Properties"]["CodeUri"] == "..", logical_id
        assert function["Metadata"]["BuildMethod"] == "makefile", logical_id
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

    from mailer.catalogue.schema import Catalogue
    from mailer.errors import StoreError
    from mailer.local.provision import provision
    from mailer.paths import catalogue_dir

    changed = copy.deepcopy(template.data)
    table = changed["Resources"]["CatalogueTable"]["Properties"]
    table["AttributeDefinitions"] = [{"AttributeName": "slug", "AttributeType": "S"}]
    table["KeySchema"] = [{"AttributeName": "slug", "KeyType": "HASH"}]
    with mock_aws():
        clients = Clients(settings, boto3.Session(region_name=settings.region))
        provision(clients, Template(changed))
        store = CatalogueStore(Table(clients.dynamodb.Table(settings.catalogue_table)))
        with pytest.raises(StoreError):
            store.sync(Catalogue.load(catalogue_dir()))


def test_provisioning_a_table_restored_without_an_index_adds_it(
    template: Template, settings: Settings
) -> None:
    """A local stack restored from a state saved before an index was added gets the index on
    start, as a deploy would add it, and keeps the table's items."""
    import boto3
    from moto import mock_aws

    from mailer.local.provision import provision

    older = copy.deepcopy(template.data)
    table_properties = older["Resources"]["CampaignsTable"]["Properties"]
    del table_properties["GlobalSecondaryIndexes"]
    table_properties["AttributeDefinitions"] = table_properties["AttributeDefinitions"][:2]
    with mock_aws():
        clients = Clients(settings, boto3.Session(region_name=settings.region))
        provision(clients, Template(older))
        table = clients.dynamodb.Table(settings.campaigns_table)
        table.put_item(Item={"pk": "kept", "sk": "meta", "listed": "campaign", "listed_at": "1"})
        provision(clients, template)
        found = table.query(
            IndexName="listed-by-time",
            KeyConditionExpression="listed = :kind",
            ExpressionAttributeValues={":kind": "campaign"},
        )["Items"]
        assert [item["pk"] for item in found] == ["kept"]


def test_the_sending_client_never_retries_a_send_by_itself(aws: Clients) -> None:
    """A botocore retry after a lost answer would send the same email twice."""
    assert aws.sesv2_send.meta.config.retries["total_max_attempts"] == 1


def _statements(template: Template):
    for logical_id, role in template.of_type("AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                yield logical_id, statement


# Actions with no resource-level permissions (the IAM reference lists no resource type).
_NO_RESOURCE_TYPE = ["ses:GetAccount"]


def test_least_privilege_no_wildcards_and_no_managed_policies(template: Template) -> None:
    """Every action and resource is named; AWS-managed policies (logs on "*") are not used."""
    found = list(_statements(template))
    assert len(found) > 20
    for logical_id, statement in found:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        assert all("*" not in action for action in actions), (logical_id, statement)
        resources = statement.get("Resource", [])
        resources = resources if isinstance(resources, list) else [resources]
        if actions == _NO_RESOURCE_TYPE:
            continue  # IAM accepts only "*" for these; each is a read of account settings
        assert "*" not in resources, (logical_id, statement)
    for logical_id, role in template.of_type("AWS::IAM::Role").items():
        assert "ManagedPolicyArns" not in role["Properties"], logical_id


def test_every_function_has_its_own_role_log_group_and_error_alarm(template: Template) -> None:
    alarms = template.of_type("AWS::CloudWatch::Alarm").values()
    alarmed = {
        d["Value"]["Ref"]
        for a in alarms
        for d in a["Properties"].get("Dimensions", [])
        if isinstance(d["Value"], dict) and "Ref" in d["Value"]
    }
    roles = set()
    for logical_id, function in template.of_type("AWS::Serverless::Function").items():
        properties = function["Properties"]
        roles.add(properties["Role"]["Fn::GetAtt"][0])
        assert properties["LoggingConfig"]["LogGroup"]["Ref"] in template.resources
        assert logical_id in alarmed, f"no error alarm for {logical_id}"
    assert len(roles) == len(template.of_type("AWS::Serverless::Function"))


def test_every_dead_letter_queue_has_an_alarm(template: Template) -> None:
    queues = {k for k in template.of_type("AWS::SQS::Queue") if "DeadLetter" in k}
    watched = {
        d["Value"]["Fn::GetAtt"][0]
        for a in template.of_type("AWS::CloudWatch::Alarm").values()
        for d in a["Properties"].get("Dimensions", [])
        if d["Name"] == "QueueName"
    }
    assert queues and queues == watched


def test_bounce_and_complaint_alarms_sit_below_the_ses_review_thresholds(
    template: Template,
) -> None:
    alarms = {
        a["Properties"]["MetricName"]: a["Properties"]
        for a in template.of_type("AWS::CloudWatch::Alarm").values()
    }
    assert 0 < alarms["Reputation.BounceRate"]["Threshold"] < 0.05
    assert 0 < alarms["Reputation.ComplaintRate"]["Threshold"] < 0.001


# --- Issue 10: the infrastructure's gaps ---------------------------------------------------


def test_alarm_topic_key_lets_cloudwatch_publish(template: Template) -> None:
    """Item 7: CloudWatch cannot use the AWS-managed SNS key, so alarms failed silently."""
    topic = template.resources["AlarmTopic"]["Properties"]
    key = template.resources[topic["KmsMasterKeyId"]["Ref"]]
    assert key["Type"] == "AWS::KMS::Key" and key["Properties"]["EnableKeyRotation"]
    grants = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s["Principal"].get("Service") == "cloudwatch.amazonaws.com"
    ]
    assert grants and {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(grants[0]["Action"])


def test_throttling_is_per_route_and_the_web_function_is_reserved(template: Template) -> None:
    """Item 8: one client could exhaust the single default limit, one-click unsubscribe too."""
    api = template.resources["HttpApi"]["Properties"]
    default = api["DefaultRouteSettings"]["ThrottlingRateLimit"]
    routes = api["RouteSettings"]
    assert routes["POST /subscribe"]["ThrottlingRateLimit"] < default
    assert routes["ANY /unsubscribe/{token}"]["ThrottlingRateLimit"] > default
    web = template.resources["WebFunction"]["Properties"]
    declared = {
        f"{e['Properties']['Method']} {e['Properties']['Path']}"
        for e in web["Events"].values()
        if "Path" in e["Properties"]
    }
    assert set(routes) <= declared  # a setting for a route that does not exist does nothing
    assert "ReservedConcurrentExecutions" in web


def test_least_privilege_tightened(template: Template) -> None:
    """Item 9: secrets only where used, SES sends only from our address, staff MFA, no
    permissive framing default, payload 2.0 pinned."""

    def ssm_resources(role: str) -> list[str]:
        found = []
        for logical_id, statement in _statements(template):
            if logical_id == role and statement["Action"] == "ssm:GetParameter":
                resources = statement["Resource"]
                found += resources if isinstance(resources, list) else [resources]
        return [json.dumps(r) for r in found]

    assert ssm_resources("DigestPlannerRole") == []
    assert [r for r in ssm_resources("SesEventsRole") if "SecretKeyParameterName" in r] == []
    assert any("AddressPepperParameterName" in r for r in ssm_resources("SesEventsRole"))
    ses = [s for _, s in _statements(template) if "ses:SendEmail" in json.dumps(s["Action"])]
    # the public pages, the console (members' tests), the senders, the import (re-permission),
    # the planner (its notices to the senders group)
    assert len(ses) == 5
    for statement in ses:
        assert statement["Action"] == "ses:SendEmail"  # no ses:SendRawEmail
        assert statement["Condition"]["StringEquals"]["ses:FromAddress"] == {"Ref": "SenderAddress"}
    assert template.resources["StaffUserPool"]["Properties"]["MfaConfiguration"] == "ON"
    assert "Default" not in template.data["Parameters"]["EmbedAllowedOrigins"]
    events = template.resources["WebFunction"]["Properties"]["Events"].values()
    assert all(e["Properties"]["PayloadFormatVersion"] == "2.0" for e in events)


def test_api_5xx_alarm_and_access_logs_that_name_the_route(template: Template) -> None:
    """Item 10: Flask answers its own 500s, so only the API's 5xx metric sees them; paths
    carry tokens, so access logs record the route."""
    alarms = template.of_type("AWS::CloudWatch::Alarm").values()
    assert any(
        a["Properties"]["Namespace"] == "AWS/ApiGateway"
        and a["Properties"]["MetricName"] == "5xx"
        and a["Properties"]["Dimensions"] == [{"Name": "ApiId", "Value": {"Ref": "HttpApi"}}]
        for a in alarms
    )
    access = template.resources["HttpApi"]["Properties"]["AccessLogSettings"]
    assert "$context.routeKey" in access["Format"]
    assert "$context.path" not in access["Format"] and "rawPath" not in access["Format"]
    json.loads(access["Format"].replace("\n", " "))


def test_each_log_alarm_counts_the_line_the_code_logs(template: Template) -> None:
    """Item 1 and issue 16: the hourly caps (web log) and a group's email that cannot be made
    (sender log) raise alarms through metric filters on the phrases the code logs."""
    from mailer.campaigns.sender import VARIANT_FAILED_LOG
    from mailer.subscribers.lifecycle import CAP_REACHED_LOG

    filters = template.of_type("AWS::Logs::MetricFilter")
    expected = {
        "SubscribeCapMetricFilter": (CAP_REACHED_LOG, "WebLogGroup"),
        "EmailVariantFailedMetricFilter": (VARIANT_FAILED_LOG, "DigestSenderLogGroup"),
    }
    assert set(filters) == set(expected)
    alarms = template.of_type("AWS::CloudWatch::Alarm").values()
    for name, (phrase, log_group) in expected.items():
        properties = filters[name]["Properties"]
        assert properties["FilterPattern"] == f'"{phrase}"'
        assert properties["LogGroupName"] == {"Ref": log_group}
        metric = properties["MetricTransformations"][0]["MetricName"]
        assert any(a["Properties"]["MetricName"] == metric for a in alarms)


# --- Issue 19: the console's privileges leave the public function ---------------------------


def _grants(template: Template, role: str) -> set[tuple[str, str]]:
    """(action, resource) pairs a role's policies allow, resources as the template names them."""

    def name(resource: object) -> str:
        if isinstance(resource, dict) and "Fn::GetAtt" in resource:
            return resource["Fn::GetAtt"][0]
        if isinstance(resource, dict) and "Fn::Sub" in resource:
            text = resource["Fn::Sub"]
            if "/index/" in text:  # "${Table.Arn}/index/name" -> "Tablename"
                return text.split("${")[1].split(".")[0] + text.split("/index/")[1]
            if "parameter${" in text:  # an SSM parameter -> its template parameter's name
                return text.split("parameter${")[1].rstrip("}")
            return text.split(":")[-1]
        return str(resource)

    pairs = set()
    for logical_id, statement in _statements(template):
        if logical_id != role:
            continue
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        resources = (
            statement["Resource"]
            if isinstance(statement["Resource"], list)
            else [statement["Resource"]]
        )
        pairs |= {(a, name(r)) for a in actions for r in resources}
    return pairs


# What the public pages' code calls (catalogue pages, subscribe, confirm, preferences,
# unsubscribe, the one-off notices): nothing more may be granted to the web function.
PUBLIC_CALLS = {
    ("logs:CreateLogStream", "WebLogGroup"),
    ("logs:PutLogEvents", "WebLogGroup"),
    ("dynamodb:GetItem", "CatalogueTable"),
    ("dynamodb:Scan", "CatalogueTable"),
    ("dynamodb:GetItem", "SubscribersTable"),
    ("dynamodb:PutItem", "SubscribersTable"),
    ("dynamodb:UpdateItem", "SubscribersTable"),
    ("dynamodb:Query", "SubscribersTableby-link"),
    # The public archive and feeds (issue 17): only the archive's partitions (LeadingKeys).
    ("dynamodb:GetItem", "CampaignsTable"),
    ("dynamodb:Query", "CampaignsTable"),
    ("ssm:GetParameter", "SecretKeyParameterName"),
    ("ssm:GetParameter", "AddressPepperParameterName"),
    ("ses:SendEmail", "identity/${SenderDomain}"),
    ("ses:SendEmail", "configuration-set/${SendingConfigurationSet}"),
}
# What the console's code calls besides logging, SSM and SES as the public pages do.
STAFF_CALLS = {
    ("logs:CreateLogStream", "StaffLogGroup"),
    ("logs:PutLogEvents", "StaffLogGroup"),
    ("dynamodb:GetItem", "CatalogueTable"),
    ("dynamodb:Scan", "CatalogueTable"),
    ("dynamodb:PutItem", "CatalogueTable"),
    ("dynamodb:UpdateItem", "CatalogueTable"),  # a sender's approval marks resources reviewed
    ("dynamodb:GetItem", "SubscribersTable"),
    ("dynamodb:UpdateItem", "SubscribersTable"),
    ("dynamodb:Query", "SubscribersTableby-send-group"),
    # Drafts and the approved campaign's record (PutItem, in a transaction too); resume and
    # cancel hand the requeue to the planner, so no send queue and no deletes here.
    *{(f"dynamodb:{a}", "CampaignsTable") for a in ("GetItem", "PutItem", "Query", "UpdateItem")},
    ("dynamodb:Query", "CampaignsTablelisted-by-time"),  # the campaigns list, the dashboard
    ("lambda:InvokeFunction", "DigestPlannerFunction"),
    # Data protection (issue 18): a person's record and suppressions, written with their census
    # counters (PutItem; DeleteItem removes a suppression), import batches, exports
    # (BatchGetItem); uploads signed for the import bucket, imports handed to their function.
    *{(f"dynamodb:{a}", "SubscribersTable") for a in ("PutItem", "DeleteItem", "BatchGetItem")},
    ("s3:PutObject", "${ImportBucket.Arn}/imports/*"),
    ("lambda:InvokeFunction", "SubscriberImportFunction"),
    *{(f"dynamodb:{a}", "StaffTable") for a in ("GetItem", "PutItem", "UpdateItem", "DeleteItem")},
    ("dynamodb:Query", "StaffTableby-subject"),
    ("dynamodb:PutItem", "AuditTable"),
    ("dynamodb:Query", "AuditTable"),
    *{
        (f"cognito-idp:{a}", "StaffUserPool")
        for a in ("ListUsers", "AdminGetUser", "AdminUserGlobalSignOut")
    },
    ("ssm:GetParameter", "SecretKeyParameterName"),
    ("ssm:GetParameter", "AddressPepperParameterName"),
    ("ses:SendEmail", "identity/${SenderDomain}"),
    ("ses:SendEmail", "configuration-set/${SendingConfigurationSet}"),
}


def test_each_web_role_grants_exactly_what_its_code_calls(template: Template) -> None:
    assert _grants(template, "WebRole") == PUBLIC_CALLS
    assert _grants(template, "StaffRole") == STAFF_CALLS


def test_the_console_scans_nothing_but_the_catalogue(template: Template) -> None:
    """The dashboard, the campaigns list and a person's history query indexes and counters, so
    the staff role may not scan the subscribers or the campaigns (millions of items)."""
    scans = {p for p in _grants(template, "StaffRole") if p[0] == "dynamodb:Scan"}
    assert scans == {("dynamodb:Scan", "CatalogueTable")}


def test_the_public_function_has_no_scan_no_queue_no_planner_and_no_staff_table(
    template: Template,
) -> None:
    web = _grants(template, "WebRole")
    assert not [p for p in web if p[0] == "dynamodb:Scan" and p[1] != "CatalogueTable"]
    assert not [p for p in web if p[0].startswith(("sqs:", "lambda:", "cognito-idp:"))]
    assert not [p for p in web if p[1].startswith(("StaffTable", "AuditTable"))]
    # Campaigns: reads of the public archive's items only, never a record or a ledger entry.
    campaigns = [
        statement
        for logical_id, statement in _statements(template)
        if logical_id == "WebRole" and "CampaignsTable" in json.dumps(statement["Resource"])
    ]
    assert [s["Condition"] for s in campaigns] == [
        {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["archive#*"]}}
    ]
    assert sorted(campaigns[0]["Action"]) == ["dynamodb:GetItem", "dynamodb:Query"]
    assert not [
        p
        for p in web
        if p[1] == "CatalogueTable" and p[0] != "dynamodb:GetItem" and p[0] != "dynamodb:Scan"
    ]
    routes = {
        e["Properties"]["Path"]
        for e in template.resources["StaffFunction"]["Properties"]["Events"].values()
    }
    assert routes == {"/staff", "/staff/{proxy+}"}
    assert template.resources["StaffFunction"]["Properties"]["Handler"] == (
        "handlers.staff.lambda_handler"
    )


def test_no_role_can_update_or_delete_audit_entries(template: Template) -> None:
    audit = {
        (role, action)
        for role in template.of_type("AWS::IAM::Role")
        for action, resource in _grants(template, role)
        if resource == "AuditTable"
    }
    assert audit == {("StaffRole", "dynamodb:PutItem"), ("StaffRole", "dynamodb:Query")}
    assert "TimeToLiveSpecification" not in template.resources["AuditTable"]["Properties"]


def test_the_public_app_serves_no_staff_page_and_the_staff_app_no_public_one(
    container,
) -> None:
    from web import create_public_app, create_staff_app

    public, staff = create_public_app(container), create_staff_app(container)
    rules = {
        "public": {r.rule for r in public.url_map.iter_rules()},
        "staff": {r.rule for r in staff.url_map.iter_rules()},
    }
    assert not [r for r in rules["public"] if r.startswith("/staff")]
    assert all(r.startswith(("/staff", "/static")) for r in rules["staff"])
    assert public.test_client().get("/").status_code == 200


def test_the_staff_app_alone_renders_its_pages_and_its_errors(staff) -> None:
    """The staff function's app has no public routes: its pages still link to the public ones
    (the header, the error page) instead of failing to build those links."""
    from web import create_staff_app

    client = create_staff_app(staff).test_client()
    page = client.get("/staff/sign-in")
    assert page.status_code == 200
    assert 'class="brand" href="/"' in page.text and 'href="/subscribe"' in page.text
    missing = client.get("/staff/no-such-page")
    assert missing.status_code == 404 and 'href="/">Back to the resources' in missing.text


def test_a_subscribers_whole_journey_calls_only_what_the_public_role_grants(
    container, template: Template, settings: Settings, make_user, outbox
) -> None:
    """The role list above, held against the calls the public pages really make."""
    from web import create_public_app

    names = {v: k for k, v in physical_names(template, settings).items()}
    calls: set[tuple[str, str]] = set()

    # IAM authorises a transaction item by item: Put as PutItem, Update as UpdateItem, Delete
    # as DeleteItem, ConditionCheck as ConditionCheckItem (subscriber writes carry their census
    # counters in one transaction since issue 18).
    in_transaction = {
        "Put": "PutItem",
        "Update": "UpdateItem",
        "Delete": "DeleteItem",
        "ConditionCheck": "ConditionCheckItem",
    }

    def record(params: dict, model: object, **_: object) -> None:
        operation = model.name  # type: ignore[attr-defined]
        if operation == "TransactWriteItems":
            for item in params["TransactItems"]:
                for kind, body in item.items():
                    target = body["TableName"]
                    calls.add((f"dynamodb:{in_transaction[kind]}", names.get(target, target)))
            return
        target = params.get("TableName", "")
        logical = names.get(target, target)
        index = params.get("IndexName", "")
        calls.add((f"dynamodb:{operation}", logical + index))

    client = container.clients.dynamodb.meta.client
    client.meta.events.register("before-parameter-build.dynamodb", record)
    try:
        user = make_user(create_public_app(container))
        assert user.client.get("/").status_code == 200
        user.subscribe("journey@example.org")
        confirm = user.path(outbox.link(outbox.to("journey@example.org")[-1], "/confirm/"))
        page = user.client.get(confirm).get_data(as_text=True)
        done = user.client.post(confirm, data={"csrf_token": user.form_token(page)})
        manage = re.search(r'href="([^"]*/preferences/[^"]+)"', done.get_data(as_text=True))
        prefs = user.path(html.unescape(manage[1]))
        page = user.client.get(prefs).get_data(as_text=True)
        assert "journey@example.org" in page or "preferences" in page.lower()
        saved = user.client.post(
            prefs,
            data={
                "csrf_token": user.form_token(page),
                "audience": "individuals",
                "topics": ["housing"],
                "name": "Jo",
            },
        )
        assert saved.status_code < 500
        unsubscribe = user.path(outbox.link(outbox.to("journey@example.org")[-1], "/unsubscribe/"))
        assert user.client.post(unsubscribe).status_code == 200
        # The archive and the feeds read the archive's partition of the campaigns table only.
        for path in ("/archive/schools/", "/archive/schools/digest-2026-12", "/feeds/schools.atom"):
            assert user.client.get(path).status_code in (200, 404)
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb", record)
    granted = {(a, r) for a, r in PUBLIC_CALLS if a.startswith("dynamodb:")}
    assert calls and calls <= granted, calls - granted


def test_the_import_bucket_is_private_tls_only_and_each_role_touches_only_uploads(
    template: Template,
) -> None:
    """Issue 18: the bucket of uploaded lists (personal data) and who may reach it."""
    bucket = template.resources["ImportBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] <= 7
    [policy] = template.resources["ImportBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert (
        policy["Effect"] == "Deny" and policy["Condition"]["Bool"]["aws:SecureTransport"] == "false"
    )
    s3 = {
        role: statement
        for role, statement in _statements(template)
        if any(str(a).startswith("s3:") for a in json.dumps(statement["Action"]).split('"'))
    }
    assert set(s3) == {"StaffRole", "SubscriberImportRole"}
    assert s3["StaffRole"]["Action"] == "s3:PutObject"  # signs the browser's upload, no more
    assert sorted(s3["SubscriberImportRole"]["Action"]) == ["s3:DeleteObject", "s3:GetObject"]
    for statement in s3.values():
        assert statement["Resource"] == {"Fn::Sub": "${ImportBucket.Arn}/imports/*"}


def test_the_data_protection_group_is_in_the_pool(template: Template) -> None:
    groups = {
        g["Properties"]["GroupName"]
        for g in template.of_type("AWS::Cognito::UserPoolGroup").values()
    }
    assert groups == {"senders", "admins", "data-protection"}


def test_only_the_planner_may_set_and_delete_the_campaigns_schedules(template: Template) -> None:
    """Issue 17, item 4: one role touches the campaigns' schedule group, in that group only,
    and hands the schedules' own role to the scheduler and nothing else."""

    def actions(statement: dict) -> list[str]:
        found = statement["Action"]
        return found if isinstance(found, list) else [found]

    scheduling = [
        (role, s)
        for role, s in _statements(template)
        if any(a.startswith("scheduler:") for a in actions(s))
    ]
    assert [role for role, _ in scheduling] == ["DigestPlannerRole"]
    [(_, statement)] = scheduling
    assert sorted(actions(statement)) == [
        "scheduler:CreateSchedule",
        "scheduler:DeleteSchedule",
        "scheduler:UpdateSchedule",
    ]
    assert statement["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}"
        ":schedule/${CampaignScheduleGroup}/*"
    }
    passing = [(role, s) for role, s in _statements(template) if "iam:PassRole" in actions(s)]
    assert [role for role, _ in passing] == ["DigestPlannerRole"]
    [(_, pass_role)] = passing
    assert pass_role["Condition"] == {
        "StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}
    }
    schedule_role = template.resources["CampaignScheduleRole"]["Properties"]
    assert schedule_role["RoleName"] == {"Fn::Sub": "${AWS::StackName}-campaign-schedules"}
    role_arn = {
        "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/"
        "${AWS::StackName}-campaign-schedules"
    }
    assert pass_role["Resource"] == role_arn
    planner_env = template.resources["DigestPlannerFunction"]["Properties"]["Environment"]
    assert planner_env["Variables"]["CAMPAIGN_SCHEDULE_ROLE"] == role_arn
    [trust] = schedule_role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert _grants(template, "CampaignScheduleRole") == {
        ("lambda:InvokeFunction", "DigestPlannerFunction"),
        ("sqs:SendMessage", "PlannerDeadLetterQueue"),
    }
