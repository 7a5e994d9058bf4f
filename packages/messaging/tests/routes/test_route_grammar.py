"""The route grammar of edgeHub: what parses into which source, condition and sink, and what is rejected."""

from __future__ import annotations

import pytest

from energy_edge.messaging.message import EdgeMessage
from energy_edge.messaging.routes import (
    ModuleInputSink,
    RouteError,
    RouteSyntaxError,
    SourceKind,
    UpstreamSink,
    compile_route,
)

SEED_ROUTE = (
    "FROM /messages/modules/solar-module/outputs/telemetry "
    'INTO BrokeredEndpoint("/modules/controller-module/inputs/telemetry")'
)


def test_the_seed_route_compiles_to_its_source_and_sink() -> None:
    route = compile_route("solarToController", SEED_ROUTE)

    assert route.source.kind is SourceKind.MODULE_OUTPUT
    assert (route.source.module_id, route.source.output_name) == ("solar-module", "telemetry")
    assert route.sink == ModuleInputSink("controller-module", "telemetry")
    assert route.condition is None
    assert route.text == SEED_ROUTE


@pytest.mark.parametrize(
    ("text", "kind", "module_id", "output_name"),
    [
        ("FROM /* INTO $upstream", SourceKind.ALL, None, None),
        ("FROM /messages/* INTO $upstream", SourceKind.MESSAGES, None, None),
        ("FROM /messages INTO $upstream", SourceKind.MESSAGES, None, None),
        ("FROM /messages/modules/* INTO $upstream", SourceKind.ALL_MODULES, None, None),
        ("FROM /messages/modules INTO $upstream", SourceKind.ALL_MODULES, None, None),
        ("FROM /messages/modules/meter-module/* INTO $upstream", SourceKind.MODULE, "meter-module", None),
        ("FROM /messages/modules/meter-module INTO $upstream", SourceKind.MODULE, "meter-module", None),
        ("FROM /messages/modules/m/outputs/* INTO $upstream", SourceKind.MODULE_OUTPUTS, "m", None),
        ("FROM /messages/modules/m/outputs INTO $upstream", SourceKind.MODULE_OUTPUTS, "m", None),
        ("FROM /messages/modules/m/outputs/cloud INTO $upstream", SourceKind.MODULE_OUTPUT, "m", "cloud"),
        ("FROM /twinChangeNotifications INTO $upstream", SourceKind.TWIN_CHANGE_NOTIFICATIONS, None, None),
        ("FROM /MESSAGES/Modules/m/OUTPUTS/* INTO $upstream", SourceKind.MODULE_OUTPUTS, "m", None),
        ("FROM / messages / modules / m INTO $upstream", SourceKind.MODULE, "m", None),
    ],
)
def test_every_documented_source_form_parses(
    text: str, kind: SourceKind, module_id: str | None, output_name: str | None
) -> None:
    source = compile_route("r", text).source
    assert (source.kind, source.module_id, source.output_name) == (kind, module_id, output_name)


@pytest.mark.parametrize(
    "text",
    [
        "FROM /messages/* INTO $upstream",
        "from /messages/* into $upstream",
        "From /messages/* Into $upstream",
        "SELECT * FROM /messages/* INTO $upstream",
        "select * from /messages/* into $upstream",
        "FROM /messages/* WHERE true INTO $upstream",
        "FROM /messages/* where true into $upstream",
        "  FROM\t/messages/*\nINTO   $upstream  ",
    ],
)
def test_keywords_ignore_case_and_whitespace_is_free(text: str) -> None:
    route = compile_route("r", text)
    assert route.source.kind is SourceKind.MESSAGES
    assert route.sink == UpstreamSink()


@pytest.mark.parametrize(
    ("sink_text", "sink"),
    [
        ("$upstream", UpstreamSink()),
        ("$UPSTREAM", UpstreamSink()),
        (
            'BrokeredEndpoint("/modules/controller-module/inputs/telemetry")',
            ModuleInputSink("controller-module", "telemetry"),
        ),
        (
            "BrokeredEndpoint('/modules/controller-module/inputs/telemetry')",
            ModuleInputSink("controller-module", "telemetry"),
        ),
        ('brokeredendpoint("/modules/a/inputs/b")', ModuleInputSink("a", "b")),
        ('BROKEREDENDPOINT ( "/modules/a/inputs/b" )', ModuleInputSink("a", "b")),
        ('BrokeredEndpoint("modules/a/inputs/b/")', ModuleInputSink("a", "b")),
        ('BrokeredEndpoint(" /modules/a/inputs/b ")', ModuleInputSink("a", "b")),
    ],
)
def test_both_sinks_parse_in_edgehub_spellings(sink_text: str, sink: UpstreamSink | ModuleInputSink) -> None:
    assert compile_route("r", f"FROM /* INTO {sink_text}").sink == sink


def test_sinks_print_as_route_text() -> None:
    assert str(UpstreamSink()) == "$upstream"
    assert str(ModuleInputSink("a", "b")) == 'BrokeredEndpoint("/modules/a/inputs/b")'


@pytest.mark.parametrize(
    ("text", "condition"),
    [
        ("FROM /* WHERE $outputName = 'cloud' INTO $upstream", "$outputName = 'cloud'"),
        ("FROM /* WHERE (a = 'x')   INTO $upstream", "(a = 'x')"),
        (
            "FROM /* WHERE NOT IS_DEFINED($connectionModuleId) INTO $upstream",
            "NOT IS_DEFINED($connectionModuleId)",
        ),
        ("FROM /* INTO $upstream", None),
    ],
)
def test_the_condition_text_is_kept_as_written(text: str, condition: str | None) -> None:
    assert compile_route("r", text).condition == condition


def test_a_closed_comment_is_skipped_like_whitespace() -> None:
    route = compile_route("r", "FROM /messages/* /* all of them */ INTO $upstream")
    assert route.source.kind is SourceKind.MESSAGES


@pytest.mark.parametrize(
    ("text", "position", "reason"),
    [
        ("", 0, "expected FROM, found end of route"),
        ("INTO $upstream", 0, "expected FROM, found 'INTO'"),
        ("SELECT FROM /* INTO $upstream", 7, "expected '*' after SELECT"),
        ("FROM INTO $upstream", 5, "expected a source starting with '/'"),
        ("FROM / INTO $upstream", 7, "expected a source path segment or '*' after '/'"),
        ("FROM /messages/ INTO $upstream", 16, "expected a source path segment"),
        ("FROM /messages/*", 16, "expected WHERE or INTO, found end of route"),
        ("FROM /messages/* $upstream", 17, "expected WHERE or INTO, found '$upstream'"),
        ("FROM /messages/* WHERE INTO $upstream", 23, "expected a condition after WHERE"),
        ("FROM /messages/* WHERE a = 'b' $upstream", 31, "expected INTO, found '$upstream'"),
        ("FROM /messages/* WHERE a = 'b' c INTO $upstream", 31, "expected INTO, found 'c'"),
        ("FROM /messages/* INTO", 21, "expected a sink"),
        ("FROM /messages/* INTO $upstream extra", 32, "expected end of route after the sink, found 'extra'"),
        ("FROM /messages/* INTO $upstream $upstream", 32, "expected end of route after the sink"),
        ("FROM /messages/* INTO $downstream", 22, "unknown sink '$downstream'"),
        ("FROM /messages/* INTO upstream", 22, "unknown sink 'upstream'"),
        ('FROM /messages/* INTO Endpoint("/modules/a/inputs/b")', 22, "unknown sink function 'Endpoint'"),
        ('FROM /messages/modules/m INTO BrokeredEndpoint("/modules/*/inputs/b")', 47, "cannot use wildcards"),
        ('FROM /messages/modules/m INTO BrokeredEndpoint("/modules/a/inputs/*")', 47, "cannot use wildcards"),
        ('FROM /messages/* INTO BrokeredEndpoint("/modules/a/outputs/b")', 39, "must look like"),
        ('FROM /messages/* INTO BrokeredEndpoint("/modules/a")', 39, "must look like"),
        ('FROM /messages/* INTO BrokeredEndpoint("/modules//inputs/b")', 39, "must look like"),
        (
            "FROM /messages/* INTO BrokeredEndpoint(/modules/a/inputs/b)",
            39,
            "expected a quoted endpoint address",
        ),
        ('FROM /messages/* INTO BrokeredEndpoint("/modules/a/inputs/b"', 60, "expected ')'"),
        ('FROM /messages/* INTO BrokeredEndpoint("/modules/a/inputs/b)', 39, "unterminated string"),
        ("FROM /messages/foo INTO $upstream", 5, "unknown source '/messages/foo'"),
        ("FROM /messages/modules/m/inputs/x INTO $upstream", 5, "unknown source"),
        ("FROM /messages/modules/m/outputs/o/x INTO $upstream", 5, "unknown source"),
        ("FROM /messages/*/modules INTO $upstream", 15, "a wildcard may only end the source"),
        ("FROM /messages/modules/m* INTO $upstream", 23, "a wildcard must be a whole segment"),
        ("FROM /messages/* WHERE a = 'b INTO $upstream", 27, "unterminated string"),
        ("FROM /messages/* WHERE a = 'b\\n' INTO $upstream", 29, "invalid escape '\\\\n'"),
        ("FROM /messages/* WHERE a = @ INTO $upstream", 27, "unexpected character '@'"),
        ("FROM /messages/* WHERE a = 'b'; INTO $upstream", 30, "unexpected character ';'"),
        (
            "FROM /messages/* WHERE a[0] = 'b' INTO $upstream",
            23,
            "'[' and ']' are only allowed in $body paths",
        ),
        (
            "FROM /messages/* WHERE a = 'b' AND INTO $upstream",
            35,
            "expected a value, property, function call or '('",
        ),
        (
            "FROM /messages/* WHERE (a = 'b' INTO $upstream",
            32,
            "expected ')' to close the '(' opened at position 23",
        ),
        ("FROM /messages/* WHERE a = 'b') INTO $upstream", 30, "expected INTO, found ')'"),
        ("FROM /messages/* WHERE {$outputName = 'b' INTO $upstream", 36, "expected '}' after $outputName"),
        ("FROM /messages/* WHERE {outputName} = 'b' INTO $upstream", 24, "expected a $name inside '{ }'"),
        ("FROM /messages/* WHERE LOWER(a, ) = 'b' INTO $upstream", 32, "expected a value"),
        (
            "FROM /messages/* WHERE LOWER(a b) = 'b' INTO $upstream",
            31,
            "expected ',' or ')' in the arguments of LOWER",
        ),
        ("FROM /messages/* WHERE = 'b' INTO $upstream", 23, "expected a value"),
        ("FROM /messages/* WHERE a == 'b' INTO $upstream", 26, "expected a value"),
        ("FROM /messages/* WHERE a && b INTO $upstream", 25, "expected INTO, found '&&'"),
    ],
)
def test_invalid_route_text_is_rejected_at_its_position(text: str, position: int, reason: str) -> None:
    with pytest.raises(RouteSyntaxError) as caught:
        compile_route("badRoute", text)

    assert caught.value.position == position
    assert reason in caught.value.reason
    assert caught.value.route_name == "badRoute"


def test_the_error_message_names_the_route_and_the_position() -> None:
    text = "FROM /messages/modules/solar-module/outputs/telemetry INTO"
    with pytest.raises(
        RouteSyntaxError, match=r"^route 'solarToController': expected a sink, .* at position 58$"
    ):
        compile_route("solarToController", text)


def test_missing_into_is_reported_where_into_was_expected() -> None:
    text = "FROM /messages/modules/solar-module/outputs/telemetry WHERE true $upstream"
    with pytest.raises(RouteSyntaxError) as caught:
        compile_route("solarToController", text)
    assert str(caught.value) == "route 'solarToController': expected INTO, found '$upstream' at position 65"


def test_route_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="route 'r'"):
        compile_route("r", "FROM nowhere")
    assert issubclass(RouteSyntaxError, RouteError)


def test_a_comment_that_swallows_the_route_is_pointed_out() -> None:
    # edgeHub's lexer reads `/* ... */` as a comment wherever it closes, even across a whole route.
    text = 'FROM /* INTO BrokeredEndpoint("/modules/m/inputs/*/x")'
    with pytest.raises(RouteSyntaxError, match=r"the '/\*' at position 5 starts a comment that ends at 51"):
        compile_route("r", text)


@pytest.mark.parametrize(
    ("condition", "name"),
    [
        ("solar-module = 'x'", "solar-module"),  # '-' is a name character in edgeHub's lexer
        ("TRUE = 'x'", "TRUE"),  # only lower-case true/false/null/undefined are literals
        ("a.b = 'x'", "a.b"),
    ],
)
def test_names_are_lexed_as_edgehub_lexes_them(condition: str, name: str) -> None:
    route = compile_route("r", f"FROM /* WHERE {condition} INTO $upstream")
    assert route.matches(EdgeMessage(body=b"{}", properties={name: "x"}))
    assert not route.matches(EdgeMessage(body=b"{}", properties={"other": "x"}))
