"""Route sinks: ``$upstream`` (IoT Hub) or ``BrokeredEndpoint("/modules/<module>/inputs/<input>")``.

Both the system endpoint name and the function name ignore case, as edgeHub's ``EndpointFactory`` does;
the address may use double or single quotes, and edgeHub's tolerance of surrounding spaces and of a
missing leading or an extra trailing slash is kept. Wildcards and empty names are rejected: a sink is
one module input.
"""

from __future__ import annotations

from dataclasses import dataclass

from energy_edge.messaging.routes.errors import RouteTextError
from energy_edge.messaging.routes.syntax import SinkSyntax

_UPSTREAM = "$upstream"
_BROKERED_ENDPOINT = "brokeredendpoint"
_ADDRESS_FORM = '"/modules/<module>/inputs/<input>"'


@dataclass(frozen=True, slots=True)
class UpstreamSink:
    """IoT Hub, through the hub's store-and-forward upstream queue."""

    def __str__(self) -> str:
        return _UPSTREAM


@dataclass(frozen=True, slots=True)
class ModuleInputSink:
    """The named input of a module on this device."""

    module_id: str
    input_name: str

    def __str__(self) -> str:
        return f'BrokeredEndpoint("/modules/{self.module_id}/inputs/{self.input_name}")'


Sink = UpstreamSink | ModuleInputSink


def parse_sink(syntax: SinkSyntax) -> Sink:
    target = syntax.target
    if syntax.function is None:
        if target.text.lower() != _UPSTREAM:
            raise RouteTextError(
                target.start, f"unknown sink {target.text!r}; use $upstream or BrokeredEndpoint(...)"
            )
        return UpstreamSink()
    if syntax.function.text.lower() != _BROKERED_ENDPOINT:
        raise RouteTextError(
            syntax.function.start, f"unknown sink function {syntax.function.text!r}; use BrokeredEndpoint"
        )
    address = target.text[1:-1].strip()
    address = address.removeprefix("/").removesuffix("/")
    parts = address.split("/")
    if (
        len(parts) != 4  # modules/<module>/inputs/<input>
        or parts[0].lower() != "modules"
        or parts[2].lower() != "inputs"
        or not all(parts)
    ):
        raise RouteTextError(
            target.start, f"endpoint address must look like {_ADDRESS_FORM}, found {target.text}"
        )
    if "*" in parts[1] or "*" in parts[3]:
        raise RouteTextError(target.start, f"a sink cannot use wildcards, found {target.text}")
    return ModuleInputSink(parts[1], parts[3])
