from __future__ import annotations

from energy_edge.messaging.edge.twin import ModuleTwin, merge_patch


def test_patch_merges_nested_objects_and_null_deletes() -> None:
    target = {"limits": {"import_kw": 250.0, "export_kw": 100.0}, "mode": "self_consumption"}
    merge_patch(target, {"limits": {"export_kw": 50.0}, "mode": None, "$version": 7})
    assert target == {"limits": {"import_kw": 250.0, "export_kw": 50.0}}


def test_desired_patch_bumps_the_version_and_is_pushed_with_it() -> None:
    twin = ModuleTwin(desired={"max_output_kw": 80.0})
    pushed = twin.patch_desired({"max_output_kw": 60.0})
    assert pushed == {"max_output_kw": 60.0, "$version": 2}
    assert twin.desired_document() == {"max_output_kw": 60.0, "$version": 2}


def test_documents_are_copies() -> None:
    twin = ModuleTwin(desired={"limits": {"a": 1}})
    document = twin.desired_document()
    document["limits"]["a"] = 2
    assert twin.desired == {"limits": {"a": 1}}
