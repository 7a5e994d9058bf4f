"""Entry point of the controller-module container (``controller-module``, ``python -m controller_module``)."""

from __future__ import annotations

from collections.abc import Callable

from controller_module.metrics import ControllerMetrics
from controller_module.service import ControllerService
from energy_edge.messaging.edge import EdgeClient
from energy_edge.modulehost.runner import EdgeModule, MetricsEndpoint, ModuleContext, run_edge_module, utc_now


def build(context: ModuleContext) -> tuple[MetricsEndpoint, Callable[[EdgeClient], EdgeModule]]:
    metrics = ControllerMetrics()

    def bind(client: EdgeClient) -> EdgeModule:
        return ControllerService(
            client, clock=utc_now, metrics=metrics, tracer_provider=context.tracer_provider
        )

    return metrics, bind


def main() -> None:
    run_edge_module(build)
