"""The stack the cold-start children call: moto's threaded server in this process, provisioned
from the template, with the catalogue, the awareness days, a few confirmed subscribers, a staff
pool and the two SSM parameters a deployed function reads at its first request."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mailer.container import Container
from mailer.local import state
from mailer.local.provision import provision
from mailer.local.staff import provision_staff
from mailer.local.template import Template, default_template_path
from mailer.settings import Settings
from mailer.subscribers.model import Status, Subscriber

SUBSCRIBERS = 30  # three groups, ten each: a small first digest
SECRETS = {
    "SECRET_KEY_PARAMETER": ("/cold-start/secret-key", "cold-start-secret-key"),
    "ADDRESS_PEPPER_PARAMETER": ("/cold-start/address-pepper", "cold-start-pepper"),
}
# The deployed functions' environment, as the template's Globals give it (fake names).
ENVIRONMENT = {
    "SENDER_ADDRESS": "news@mailer.example.org",
    "SITE_URL": "https://mailer.example.org",
    "CATALOGUE_TABLE": "cold-catalogue",
    "SUBSCRIBERS_TABLE": "cold-subscribers",
    "CAMPAIGNS_TABLE": "cold-campaigns",
    "STAFF_TABLE": "cold-staff",
    "AUDIT_TABLE": "cold-audit",
    "IMPORT_BUCKET": "cold-imports",
    "POSTAL_ADDRESS": "1 Test Street, London",
    "EMBED_ALLOWED_ORIGINS": "https://www.example.org",
    "POWERTOOLS_SERVICE_NAME": "awareness-mailer",
    "POWERTOOLS_LOG_LEVEL": "WARNING",  # INFO would be the children's stdout
    "AWS_REGION": "eu-west-2",
    "AWS_DEFAULT_REGION": "eu-west-2",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    **{name: path for name, (path, _) in SECRETS.items()},
}


class Stack:
    """moto serving one provisioned stack, which `reset` returns to as provisioned."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.env = {**ENVIRONMENT, "AWS_ENDPOINT_URL": endpoint}
        self.env["SEND_QUEUE_URL"] = f"{endpoint}/123456789012/cold-send"
        self.container = Container(Settings.from_env({**self.env, "SECRET_KEY": ""}))
        self._snapshot = b""

    def provision(self) -> None:
        """Create the stack's resources and data, and keep a snapshot of them."""
        clients = self.container.clients
        for path, value in SECRETS.values():
            clients.ssm.put_parameter(Name=path, Value=value, Type="SecureString")
        names = provision(clients, Template.load(default_template_path()))
        self.env["SEND_QUEUE_URL"] = clients.sqs.get_queue_url(QueueName=names["SendQueue"])[
            "QueueUrl"
        ]
        staff = provision_staff(clients.cognito)
        self.env |= {"STAFF_USER_POOL_ID": staff.user_pool_id, "STAFF_CLIENT_ID": staff.client_id}
        self.container = Container(Settings.from_env(self.env))
        self.container.catalogue_store.sync(self.container.catalogue_files())
        self.container.awareness_day_store.sync(self.container.awareness_days_file())
        self._subscribers()
        # SSM's backend does not pickle, and no first event changes a parameter.
        self._snapshot = state.dump({k: v for k, v in state.current().items() if k[0] != "ssm"})

    def _subscribers(self) -> None:
        audiences = list(self.container.vocabulary.audiences)
        for i in range(SUBSCRIBERS):
            address = f"reader{i}@example.org"
            self.container.subscriber_store.put(
                Subscriber(
                    key=self.container.keys.key(address),
                    email=address,
                    audience=audiences[i % len(audiences)],
                    status=Status.CONFIRMED,
                    updated_at="2026-11-01T00:00:00+00:00",
                )
            )

    def reset(self) -> None:
        """Back to the stack as provisioned (each round's first events are firsts)."""
        state.load(self._snapshot)

    def environment(self, function: str) -> dict[str, str]:
        """What a child gets: this machine's PATH and the function's settings, nothing else."""
        own = {"PLANNER_FUNCTION": "", "IMPORT_FUNCTION": ""}  # plan and import in-process
        return {"PATH": os.environ.get("PATH", ""), **self.env, **own}

    def first_batch(self) -> dict[str, Any]:
        """An SQS event of the first ten recipients the planner queued (its child ran first)."""
        sqs = self.container.clients.sqs
        messages = sqs.receive_message(
            QueueUrl=self.env["SEND_QUEUE_URL"], MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            raise RuntimeError("the planner queued nothing for the sender's first batch")
        return {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": {},
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:eu-west-2:123456789012:cold-send",
                    "awsRegion": "eu-west-2",
                }
                for m in messages
            ]
        }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def moto_stack() -> Iterator[Stack]:
    """A provisioned stack on moto's threaded server, stopped on the way out."""
    from moto.server import ThreadedMotoServer  # a development dependency, never on Lambda

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per request otherwise
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ.update({name: ENVIRONMENT[name] for name in saved})  # this process's clients
    try:
        stack = Stack(f"http://127.0.0.1:{port}")
        stack.provision()
        yield stack
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
