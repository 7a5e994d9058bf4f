"""Entry point of the controller-module container (``controller-module``, ``python -m controller_module``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from controller_module.metrics import ControllerMetrics
from controller_module.service import ControllerService
from controller_module.state import STATE_DIR_ENV, StateStore
from energy_edge.messaging.edge import EdgeClient
from energy_edge.modulehost.runner import EdgeModule, MetricsEndpoint, ModuleContext, run_edge_module, utc_now


def build(context: ModuleContext) -> tuple[MetricsEndpoint, Callable[[EdgeClient], EdgeModule]]:
    metrics = ControllerMetrics()
    state_dir = context.environ.get(STATE_DIR_ENV)
    state = StateStore(Path(state_dir)) if state_dir else None

    def bind(client: EdgeClient) -> EdgeModule:
        return ControllerService(
            client, clock=utc_now, metrics=metrics, tracer_provider=context.tracer_provider, state=state
        )

    return metrics, bind


def main() -> None:
    run_edge_module(build)
