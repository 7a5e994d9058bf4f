"""Bad input gets one clear line on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from energy_edge.affected_apps import main

if TYPE_CHECKING:
    from conftest import Repo


def fails_with(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    return captured.err


def test_a_folder_outside_any_git_repository(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = fails_with(["--root", str(tmp_path), "--base", "main"], capsys)
    assert err == f"affected-apps: error: {tmp_path} is not inside a git repository\n"


def test_a_root_that_does_not_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = fails_with(["--root", str(tmp_path / "nowhere"), "--all"], capsys)
    assert "is not a folder" in err


def test_an_unknown_base_ref(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    err = fails_with(["--root", str(repo.path), "--base", "origin/no-such-branch"], capsys)
    assert err == "affected-apps: error: unknown git ref 'origin/no-such-branch'\n"


def test_an_unknown_head(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    err = fails_with(["--root", str(repo.path), "--base", "base", "--head", "deadbeef"], capsys)
    assert "unknown git ref 'deadbeef'" in err


def test_a_ref_that_looks_like_an_option_is_still_a_ref(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    err = fails_with(["--root", str(repo.path), "--base=--output=/tmp/x"], capsys)
    assert "unknown git ref '--output=/tmp/x'" in err


def test_a_shallow_clone_gets_a_hint(repo: Repo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo.append("README.md", "second commit\n")
    repo.commit()
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "--quiet", "--depth", "1", repo.path.as_uri(), str(clone)],
        check=True,
        capture_output=True,
    )
    err = fails_with(["--root", str(clone), "--base", "HEAD~1"], capsys)
    assert "unknown git ref 'HEAD~1' (a shallow clone? fetch the history, e.g. fetchDepth: 0)" in err


def test_no_lock_file_at_the_head(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.git("rm", "--quiet", "uv.lock")
    head = repo.commit()
    err = fails_with(["--root", str(repo.path), "--base", "base", "--head", head], capsys)
    assert f"no uv.lock in {head}" in err


def test_a_corrupt_lock_file(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("uv.lock", "<<<<<<< HEAD\n")
    err = fails_with(["--root", str(repo.path), "--base", "base"], capsys)
    assert "uv.lock is not valid TOML" in err


def test_without_a_base_it_compares_with_origin_main(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    err = fails_with(["--root", str(repo.path)], capsys)
    assert err == "affected-apps: error: unknown git ref 'origin/main'\n", "no remote in this repository yet"
    repo.git("update-ref", "refs/remotes/origin/main", "base")
    repo.append("apps/solar-module/src/solar_module/__init__.py", "X = 1\n")
    assert repo.affected() == ["solar-module"]


def test_base_and_all_together_are_a_usage_error(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--root", str(repo.path), "--base", "base", "--all"])
    assert exit_info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_the_console_script_reports_without_a_traceback(repo: Repo) -> None:
    script = Path(sys.executable).with_name("affected-apps")
    run = subprocess.run(
        [str(script), "--base", "no-such-ref"], cwd=repo.path, capture_output=True, text=True, check=False
    )
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == "affected-apps: error: unknown git ref 'no-such-ref'\n"


def test_the_console_script_answers_on_stdout(repo: Repo) -> None:
    repo.append("apps/solar-module/src/solar_module/__init__.py", "X = 1\n")
    script = Path(sys.executable).with_name("affected-apps")
    run = subprocess.run(
        [str(script), "--base", "base"], cwd=repo.path, capture_output=True, text=True, check=False
    )
    assert (run.returncode, run.stdout, run.stderr) == (0, "solar-module\n", "")


def test_a_base_with_no_common_history(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.git("switch", "--quiet", "--orphan", "elsewhere")
    unrelated = repo.commit("unrelated history")
    err = fails_with(["--root", str(repo.path), "--base", unrelated, "--head", "base"], capsys)
    assert "have no common ancestor" in err


def test_git_missing_from_path(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", "")
    err = fails_with(["--root", str(repo.path), "--all"], capsys)
    assert err == "affected-apps: error: git is not installed (or not on PATH)\n"


def test_a_member_without_any_version(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    pyproject, lock = repo.path / "apps/telemetry-module/pyproject.toml", repo.path / "uv.lock"
    pyproject.write_text(pyproject.read_text().replace('version = "0.3.0"\n', ""))
    lock.write_text(
        lock.read_text().replace(
            'name = "telemetry-module"\nversion = "0.3.0"\n', 'name = "telemetry-module"\n'
        )
    )
    err = fails_with(["--root", str(repo.path), "--all", "--format", "matrix"], capsys)
    assert "apps/telemetry-module/pyproject.toml has no static [project].version" in err
    assert main(["--root", str(repo.path), "--all"]) == 0, "a plain list needs no version"


def test_a_member_whose_pyproject_is_gone_or_broken(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    (repo.path / "apps/solar-module/pyproject.toml").unlink()
    err = fails_with(["--root", str(repo.path), "--all", "--format", "matrix"], capsys)
    assert "apps/solar-module/pyproject.toml is missing" in err
    repo.write("apps/solar-module/pyproject.toml", "[project\n")
    err = fails_with(["--root", str(repo.path), "--all", "--format", "matrix"], capsys)
    assert "apps/solar-module/pyproject.toml is not valid TOML" in err
