"""Reads infra/template.yaml so the local stack and the tests build exactly what AWS would."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from mailer.paths import project_root
from mailer.settings import Settings


class _CfnLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when present
    """A YAML loader that keeps CloudFormation short forms (!Ref X) as {"Ref": X}-style dicts."""


def _construct_tag(loader: _CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


@dataclass(frozen=True)
class Template:
    """The parsed SAM template, with the questions the code asks of it."""

    data: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> Template:
        """Parse a SAM template, keeping !Ref and friends as CloudFormation's long forms."""
        return cls(yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader))  # noqa: S506

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        """Logical id -> resource."""
        return self.data["Resources"]

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Resources of one CloudFormation type, by logical id."""
        return {k: v for k, v in self.resources.items() if v["Type"] == resource_type}

    def global_environment(self) -> dict[str, Any]:
        """The environment variables every function gets."""
        return self.data["Globals"]["Function"]["Environment"]["Variables"]

    def env_bindings(self) -> dict[str, str]:
        """Environment variable -> the logical id it refers to (for `VAR: !Ref Resource`)."""
        return {
            name: value["Ref"]
            for name, value in self.global_environment().items()
            if isinstance(value, dict) and value.get("Ref") in self.resources
        }

    def create_table_args(self, logical_id: str, table_name: str) -> dict[str, Any]:
        """boto3 create_table arguments for a table as the template declares it."""
        props = self.resources[logical_id]["Properties"]
        args: dict[str, Any] = {
            "TableName": table_name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if props.get("GlobalSecondaryIndexes"):
            args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        return args

    def ttl_attribute(self, logical_id: str) -> str | None:
        """The TTL attribute of a table, if TTL is enabled."""
        spec = self.resources[logical_id]["Properties"].get("TimeToLiveSpecification") or {}
        return spec.get("AttributeName") if spec.get("Enabled") else None

    def bucket_lifecycle_rules(self, logical_id: str) -> list[dict[str, Any]]:
        """A bucket's lifecycle rules as S3's API takes them (the template's spelling differs)."""
        props = self.resources[logical_id].get("Properties", {})
        rules = []
        for rule in props.get("LifecycleConfiguration", {}).get("Rules", []):
            converted: dict[str, Any] = {
                "ID": rule.get("Id", "rule"),
                "Status": rule["Status"],
                "Filter": {"Prefix": rule.get("Prefix", "")},
            }
            if "ExpirationInDays" in rule:
                converted["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
            if "AbortIncompleteMultipartUpload" in rule:
                days = rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
                converted["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": int(days)}
            rules.append(converted)
        return rules

    def queue_attributes(self, logical_id: str) -> dict[str, str]:
        """SQS attributes as the template declares them, without cross-resource references."""
        props = self.resources[logical_id].get("Properties", {})
        keep = (
            "VisibilityTimeout",
            "MessageRetentionPeriod",
            "DelaySeconds",
            "ReceiveMessageWaitTimeSeconds",
        )
        return {k: str(props[k]) for k in keep if k in props}

    def dead_letter_of(self, logical_id: str) -> tuple[str, int] | None:
        """(dead-letter queue logical id, maxReceiveCount) of a queue, if it has one."""
        policy = self.resources[logical_id].get("Properties", {}).get("RedrivePolicy")
        if not policy:
            return None
        return policy["deadLetterTargetArn"]["Fn::GetAtt"][0], int(policy["maxReceiveCount"])


def default_template_path() -> Path:
    """infra/template.yaml in this checkout."""
    return project_root() / "infra" / "template.yaml"


def physical_names(template: Template, settings: Settings) -> dict[str, str]:
    """Logical id -> physical name: what the settings name it, else derived from the logical id.

    On AWS, CloudFormation names resources and passes the names in through the environment;
    locally the settings name them, so the same Settings find them in both places.
    """
    env_to_field = {f.metadata["env"]: f.name for f in fields(Settings)}
    bound = {}
    for env_name, logical_id in template.env_bindings().items():
        value = getattr(settings, env_to_field[env_name])
        if value:  # unset optional settings leave the default name
            bound[logical_id] = value.rsplit("/", 1)[-1]  # a queue URL ends with its name
    return {
        logical_id: bound.get(logical_id, f"mailer-{logical_id}")
        for logical_id in template.resources
    }
