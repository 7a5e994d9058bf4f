"""The in-process hub routes by the real deployment manifest and answers methods as edgeHub does."""

from __future__ import annotations

import contextvars
import dataclasses
import json
from pathlib import Path

import anyio
import pytest

from energy_edge.messaging.edge.inprocess import InProcessHub
from energy_edge.messaging.edge.port import EdgeTransportError, MethodRequest, MethodResponse
from energy_edge.messaging.manifest import DeploymentManifest, load_manifest, parse_manifest
from energy_edge.messaging.message import EdgeMessage
from energy_edge.messaging.routes import Route

pytestmark = pytest.mark.anyio

TEMPLATE = Path(__file__).parents[4] / "deployment" / "deployment.template.json"
ASSETS = ("solar-module", "battery-module", "boiler-module", "meter-module")


@pytest.fixture(scope="module")
def manifest() -> DeploymentManifest:
    return load_manifest(TEMPLATE)


def reading(n: int) -> EdgeMessage:
    return EdgeMessage(body=b'{"n":%d}' % n)


async def test_every_asset_telemetry_reaches_the_controller_input(manifest: DeploymentManifest) -> None:
    with InProcessHub(manifest) as hub:
        async with hub.client("controller-module") as controller:
            for n, module_id in enumerate(ASSETS):
                async with hub.client(module_id) as asset:
                    await asset.send_message("telemetry", reading(n))
            inbox = controller.messages("telemetry")
            received = [await anext(inbox) for _ in ASSETS]
    assert [m.connection_module_id for m in received] == list(ASSETS)
    assert [m.body for m in received] == [reading(n).body for n in range(4)]
    assert {m.input_name for m in received} == {"telemetry"}
    assert {m.output_name for m in received} == {"telemetry"}
    assert {m.connection_device_id for m in received} == {"edge-device-01"}


async def test_the_hub_stamp_replaces_what_the_sender_set_and_keeps_the_rest(
    manifest: DeploymentManifest,
) -> None:
    spoofed = EdgeMessage(
        body=b"{}",
        properties={"traceparent": "00-x"},
        message_id="m-1",
        correlation_id="c-1",
        connection_device_id="other-device",
        connection_module_id="controller-module",
        output_name="cloud",
        input_name="somewhere",
    )
    with InProcessHub(manifest, device_id="dev") as hub:
        async with hub.client("controller-module") as controller, hub.client("meter-module") as meter:
            await meter.send_message("telemetry", spoofed)
            received = await anext(controller.messages("telemetry"))
    assert (received.connection_device_id, received.connection_module_id) == ("dev", "meter-module")
    assert (received.output_name, received.input_name) == ("telemetry", "telemetry")
    assert received.enqueued_time is not None
    assert (received.message_id, received.correlation_id) == ("m-1", "c-1")
    assert dict(received.properties) == {"traceparent": "00-x"}
    assert received.content_type == spoofed.content_type
    assert received.content_encoding == spoofed.content_encoding
    assert hub.upstream.delivered == []  # the spoofed output name did not route it to the cloud


async def test_controller_cloud_output_reaches_upstream_only(manifest: DeploymentManifest) -> None:
    with InProcessHub(manifest) as hub:
        async with hub.client("controller-module") as controller:
            await controller.send_message("cloud", reading(1))
        assert [m.body for m in hub.upstream.delivered] == [reading(1).body]
        assert hub.upstream.delivered[0].connection_module_id == "controller-module"


async def test_messages_no_route_matches_are_counted(manifest: DeploymentManifest) -> None:
    with InProcessHub(manifest) as hub:
        async with hub.client("solar-module") as solar:
            await solar.send_message("debug", reading(1))
        assert hub.unrouted[("solar-module", "debug")] == 1
        assert hub.upstream.delivered == []


async def test_a_modules_output_is_matched_against_the_route_sources_once(
    manifest: DeploymentManifest,
) -> None:
    consulted: list[str] = []

    def counted(route: Route) -> Route:
        def matches(message: EdgeMessage) -> bool:
            consulted.append(route.name)
            return route.source.matches(message)

        return dataclasses.replace(route, source=dataclasses.replace(route.source, matches=matches))

    counting = dataclasses.replace(manifest, routes=tuple(counted(route) for route in manifest.routes))
    with InProcessHub(counting) as hub:
        async with hub.client("battery-module") as battery, hub.client("controller-module") as controller:
            for n in range(3):
                await battery.send_message("telemetry", reading(n))
            inbox = controller.messages("telemetry")
            received = [(await anext(inbox)).body for _ in range(3)]
    assert received == [reading(n).body for n in range(3)]
    assert sorted(consulted) == sorted(route.name for route in manifest.routes)  # once each, not per message


async def test_conditions_are_evaluated_per_message_beside_routes_without_one() -> None:
    manifest = _with_routes(
        {
            "faults": {
                "route": "FROM /messages/modules/battery-module/outputs/* "
                "WHERE $body.state = 'FAULT' INTO $upstream",
                "priority": 0,
                "timeToLiveSecs": 60,
            },
            "everything": "FROM /messages/modules/battery-module/outputs/* INTO $upstream",
            "telemetry": "FROM /messages/modules/battery-module/outputs/telemetry "
            'INTO BrokeredEndpoint("/modules/controller-module/inputs/telemetry")',
        }
    )
    now = [0.0]
    with InProcessHub(manifest, clock=lambda: now[0]) as hub:
        hub.upstream.set_reachable(False)
        async with hub.client("battery-module") as battery:
            for state in ("FAULT", "RUNNING", "FAULT"):
                await battery.send_message("telemetry", EdgeMessage(body=b'{"state":"%s"}' % state.encode()))
        now[0] = 100.0  # past the fault route's TTL, within the hub's default
        hub.upstream.set_reachable(True)
        assert len(hub.input_queue("controller-module", "telemetry")) == 3
    # Each message reached $upstream once, faults by their own route (and its TTL), the rest by the other.
    assert [m.body for m in hub.upstream.delivered] == [b'{"state":"RUNNING"}']
    assert hub.upstream.expired == 2


async def test_messages_wait_for_a_module_that_connects_later(manifest: DeploymentManifest) -> None:
    with InProcessHub(manifest) as hub:
        async with hub.client("battery-module") as battery:
            await battery.send_message("telemetry", reading(7))
        async with hub.client("controller-module") as controller:
            message = await anext(controller.messages("telemetry"))
    assert message.body == reading(7).body


async def test_a_full_input_drops_its_oldest_messages_and_counts_them(manifest: DeploymentManifest) -> None:
    with InProcessHub(manifest, input_capacity=2) as hub:
        async with hub.client("meter-module") as meter:
            for n in range(5):
                await meter.send_message("telemetry", reading(n))
        assert hub.dropped[("controller-module", "telemetry")] == 3
        async with hub.client("controller-module") as controller:
            inbox = controller.messages("telemetry")
            assert [(await anext(inbox)).body for _ in range(2)] == [reading(3).body, reading(4).body]


async def test_store_and_forward_loses_nothing_across_an_outage(manifest: DeploymentManifest) -> None:
    with InProcessHub(manifest) as hub:
        async with hub.client("controller-module") as controller:
            await controller.send_message("cloud", reading(0))
            hub.upstream.set_reachable(False)
            for n in range(1, 6):
                await controller.send_message("cloud", reading(n))
            assert hub.upstream.held == 5
            hub.upstream.set_reachable(True)
            await controller.send_message("cloud", reading(6))
    assert [m.body for m in hub.upstream.delivered] == [reading(n).body for n in range(7)]
    assert hub.upstream.expired == hub.upstream.overflowed == 0


async def test_route_ttl_bounds_how_long_upstream_messages_are_held(manifest: DeploymentManifest) -> None:
    now = [0.0]
    with InProcessHub(manifest, clock=lambda: now[0]) as hub:
        hub.upstream.set_reachable(False)
        async with hub.client("telemetry-module") as metrics, hub.client("controller-module") as controller:
            await metrics.send_message("metricOutput", reading(1))  # route TTL 7200 s
            await controller.send_message("cloud", reading(2))  # route TTL 86400 s
        now[0] = 10_000.0
        hub.upstream.set_reachable(True)
    assert [m.body for m in hub.upstream.delivered] == [reading(2).body]
    assert hub.upstream.expired == 1


async def test_method_reaches_the_target_and_returns_its_status_and_payload(
    manifest: DeploymentManifest,
) -> None:
    async def solar_methods(request: MethodRequest) -> MethodResponse:
        if request.name == "set_output":
            return MethodResponse(200, {"status": "ok", "actual_kw": request.payload["target_kw"]})
        return MethodResponse(404, {"status": "error", "error": f"unknown method '{request.name}'"})

    with InProcessHub(manifest) as hub:
        async with hub.client("solar-module") as solar, hub.client("controller-module") as controller:
            solar.serve_methods(solar_methods)
            ok = await controller.invoke_method("solar-module", "set_output", {"target_kw": 30.0})
            unknown = await controller.invoke_method("solar-module", "explode")
    assert ok == MethodResponse(200, {"status": "ok", "actual_kw": 30.0})
    assert unknown.status == 404


async def test_method_on_an_unknown_or_disconnected_module_is_404(manifest: DeploymentManifest) -> None:
    with InProcessHub(manifest) as hub:
        async with hub.client("controller-module") as controller:
            unknown = await controller.invoke_method("wind-module", "start")
            absent = await controller.invoke_method("battery-module", "stop")
    assert (unknown.status, absent.status) == (404, 404)
    assert "not deployed" in unknown.payload["error"]
    assert "not connected" in absent.payload["error"]


async def test_a_target_that_does_not_answer_in_time_is_504_and_keeps_running(
    manifest: DeploymentManifest,
) -> None:
    finished = anyio.Event()

    async def slow(request: MethodRequest) -> MethodResponse:
        await anyio.sleep(0.2)
        finished.set()
        return MethodResponse(200, {"status": "ok"})

    with InProcessHub(manifest) as hub:
        async with hub.client("boiler-module") as boiler, hub.client("controller-module") as controller:
            boiler.serve_methods(slow)
            response = await controller.invoke_method("boiler-module", "set_temperature", {}, timeout_s=0.05)
            assert response.status == 504
            with anyio.fail_after(2):
                await finished.wait()  # edgeHub cannot cancel the target: its handler completes


async def test_a_late_answer_is_dropped_not_given_to_the_next_call(manifest: DeploymentManifest) -> None:
    async def answer_after(request: MethodRequest) -> MethodResponse:
        await anyio.sleep(request.payload["delay_s"])
        return MethodResponse(200, {"call": request.payload["call"]})

    with InProcessHub(manifest) as hub:
        async with hub.client("boiler-module") as boiler, hub.client("controller-module") as controller:
            boiler.serve_methods(answer_after)
            slow = {"call": 1, "delay_s": 0.1}
            late = await controller.invoke_method("boiler-module", "m", slow, timeout_s=0.05)
            await anyio.sleep(0.1)  # the first call's answer comes now, with nobody waiting for it
            prompt = await controller.invoke_method("boiler-module", "m", {"call": 2, "delay_s": 0.0})
    assert late.status == 504
    assert prompt == MethodResponse(200, {"call": 2})


SERVED_HERE: contextvars.ContextVar[int] = contextvars.ContextVar("served_here", default=0)


async def test_consecutive_methods_to_a_module_are_served_by_one_task(manifest: DeploymentManifest) -> None:
    served_before: list[int] = []

    async def record(request: MethodRequest) -> MethodResponse:
        # A context variable set in a task stays set in that task only: it counts calls per task.
        served_before.append(SERVED_HERE.get())
        SERVED_HERE.set(SERVED_HERE.get() + 1)
        return MethodResponse(200, {"call": request.payload})

    with InProcessHub(manifest) as hub:
        async with hub.client("battery-module") as battery, hub.client("controller-module") as controller:
            battery.serve_methods(record)
            answers = [await controller.invoke_method("battery-module", "m", n) for n in range(3)]
    assert answers == [MethodResponse(200, {"call": n}) for n in range(3)]
    assert served_before == [0, 1, 2]  # the task that served the first call waited for the next


async def test_a_method_is_not_held_up_by_a_slow_one_to_the_same_module(manifest: DeploymentManifest) -> None:
    slow_done = anyio.Event()
    order: list[str] = []

    async def handler(request: MethodRequest) -> MethodResponse:
        if request.name == "slow":
            await anyio.sleep(0.2)
            slow_done.set()
        order.append(request.name)
        return MethodResponse(200, {"method": request.name})

    with InProcessHub(manifest) as hub:
        async with hub.client("boiler-module") as boiler, hub.client("controller-module") as controller:
            boiler.serve_methods(handler)
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(controller.invoke_method, "boiler-module", "slow")
                await anyio.sleep(0.01)  # the slow call's server is busy now
                quick = await controller.invoke_method("boiler-module", "quick")
                assert quick == MethodResponse(200, {"method": "quick"})
                assert not slow_done.is_set()
    assert order == ["quick", "slow"]


CALLER_ONLY: contextvars.ContextVar[str] = contextvars.ContextVar("caller_only", default="unset")


async def test_handlers_see_their_modules_context_not_the_callers(manifest: DeploymentManifest) -> None:
    seen: list[str] = []

    async def handler(request: MethodRequest) -> MethodResponse:
        seen.append(CALLER_ONLY.get())
        return MethodResponse(200, None)

    with InProcessHub(manifest) as hub:
        async with hub.client("solar-module") as solar, hub.client("controller-module") as controller:
            solar.serve_methods(handler)
            token = CALLER_ONLY.set("the controller's")
            try:
                await controller.invoke_method("solar-module", "set_output", {"target_kw": 1.0})
            finally:
                CALLER_ONLY.reset(token)
    assert seen == ["unset"]


async def test_a_module_without_a_handler_answers_404(manifest: DeploymentManifest) -> None:
    with InProcessHub(manifest) as hub:
        async with hub.client("meter-module"), hub.client("controller-module") as controller:
            response = await controller.invoke_method("meter-module", "reset")
    assert response.status == 404


async def test_twins_start_from_the_manifest_and_patches_reach_the_module(
    manifest: DeploymentManifest,
) -> None:
    with InProcessHub(manifest) as hub:
        async with hub.client("solar-module") as solar:
            desired = await solar.get_desired_properties()
            await hub.update_desired("solar-module", {"max_output_kw": 60.0})
            patch = await anext(solar.desired_patches())
            await solar.patch_reported_properties({"max_output_kw": 60.0, "state": "IDLE"})
        assert desired["max_output_kw"] == 80.0
        assert desired["$version"] == 1
        assert patch == {"max_output_kw": 60.0, "$version": 2}
        assert hub.twins["solar-module"].reported == {"max_output_kw": 60.0, "state": "IDLE"}


async def test_one_connection_per_module(manifest: DeploymentManifest) -> None:
    with InProcessHub(manifest) as hub:
        async with hub.client("solar-module"):
            with pytest.raises(RuntimeError, match="already connected"):
                async with hub.client("solar-module"):
                    pass


def test_clients_exist_only_for_deployed_modules(manifest: DeploymentManifest) -> None:
    with InProcessHub(manifest) as hub, pytest.raises(ValueError, match="not in the deployment manifest"):
        hub.client("wind-module")


async def test_body_conditions_route_only_json_utf8_messages() -> None:
    manifest = _with_routes(
        {
            "faults": "FROM /messages/modules/battery-module/outputs/* "
            "WHERE $body.state = 'FAULT' "
            'INTO BrokeredEndpoint("/modules/controller-module/inputs/faults")'
        }
    )
    with InProcessHub(manifest) as hub:
        async with hub.client("battery-module") as battery:
            await battery.send_message("telemetry", EdgeMessage(body=b'{"state":"FAULT"}'))
            await battery.send_message("telemetry", EdgeMessage(body=b'{"state":"RUNNING"}'))
            await battery.send_message("telemetry", EdgeMessage(body=b'{"state":"FAULT"}', content_type=None))
        async with hub.client("controller-module") as controller:
            inbox = controller.messages("faults")
            first = await anext(inbox)
            with anyio.move_on_after(0.05):
                await anext(inbox)
                pytest.fail("a non-matching or non-JSON message was routed")
    assert first.body == b'{"state":"FAULT"}'


def _agent_section() -> dict[str, object]:
    return json.loads(TEMPLATE.read_text())["modulesContent"]["$edgeAgent"]


def _with_routes(routes: dict[str, object]) -> DeploymentManifest:
    """The deployment template's modules with these routes only."""
    return parse_manifest(
        {
            "modulesContent": {
                "$edgeAgent": _agent_section(),
                "$edgeHub": {"properties.desired": {"schemaVersion": "1.2", "routes": routes}},
            }
        }
    )


async def test_a_cut_link_fails_sends_and_hides_the_module_until_restored(
    manifest: DeploymentManifest,
) -> None:
    async def ok(request: MethodRequest) -> MethodResponse:
        return MethodResponse(200, {"status": "ok"})

    with InProcessHub(manifest) as hub:
        async with hub.client("solar-module") as solar, hub.client("controller-module") as controller:
            solar.serve_methods(ok)
            hub.set_link("solar-module", up=False)
            with pytest.raises(EdgeTransportError):
                await solar.send_message("telemetry", reading(1))
            with pytest.raises(EdgeTransportError):
                await solar.patch_reported_properties({"state": "IDLE"})
            unreachable = await controller.invoke_method("solar-module", "start")
            changes = solar.connection_changes()
            hub.set_link("solar-module", up=True)
            reachable = await controller.invoke_method("solar-module", "start")
            events = [await changes.receive(), await changes.receive(), await changes.receive()]
    assert (unreachable.status, reachable.status) == (404, 200)
    assert events == [True, False, True]
