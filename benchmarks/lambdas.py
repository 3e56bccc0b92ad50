"""What the template gives each function (memory, timeout) and the sender's sizing parameters,
read from infra/template.yaml so the benchmarks cannot drift from a deployment.

Lambda allocates CPU in proportion to memory: 1,769 MB is one vCPU (AWS Lambda developer guide,
"Configuring function memory"). Python runs one thread at a time, so above that a function's
Python code gets no more than one core: the share is min(1, memory / 1,769)
(mailer/campaigns/sizing.py, which sizes the senders by the same rule).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from mailer.campaigns.sizing import ONE_VCPU_MB, cpu_slowdown
from mailer.local.template import Template, default_template_path

__all__ = ["ONE_VCPU_MB", "cpu_slowdown", "memory_of", "parameter_default", "timeout_of"]


@cache
def _template() -> Template:
    return Template.load(default_template_path())


def _function(logical_id: str) -> dict[str, Any]:
    resource = _template().resources[logical_id]
    if resource["Type"] != "AWS::Serverless::Function":
        raise KeyError(f"{logical_id} is not a function")
    return resource["Properties"]


def memory_of(logical_id: str) -> int:
    """The function's MemorySize (its own, else the template's Globals)."""
    own = _function(logical_id).get("MemorySize")
    return int(own or _template().data["Globals"]["Function"]["MemorySize"])


def timeout_of(logical_id: str) -> int:
    """The function's Timeout in seconds (its own, else the template's Globals)."""
    own = _function(logical_id).get("Timeout")
    return int(own or _template().data["Globals"]["Function"]["Timeout"])


def parameter_default(name: str) -> Any:
    """A template parameter's default (SenderThreads, SenderConcurrency...)."""
    return _template().data["Parameters"][name]["Default"]
