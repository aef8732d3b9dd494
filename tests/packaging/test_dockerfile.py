"""The Dockerfile, checked without a Docker engine: its instructions parse, every file it copies from the build
context exists (and is not excluded by .dockerignore), it runs as a user, and its port, entry point and command
are amphigory's own; docs/docker.md says how a daemon gets its drive."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import zipfile
from pathlib import Path

from amphigory.option_values import DEFAULT_PORT
from amphigory_cli.main import build_parser
from helpers_uv import find_uv

REPO = Path(__file__).resolve().parents[2]
INSTRUCTIONS = {"FROM", "COPY", "RUN", "WORKDIR", "ENV", "USER", "VOLUME", "EXPOSE", "HEALTHCHECK", "ENTRYPOINT",
                "CMD", "ARG", "LABEL"}


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        if line.strip().startswith("#") or not line.strip():
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        keyword, _, rest = pending.strip().partition(" ")
        out.append((keyword.upper(), rest.strip()))
        pending = ""
    assert pending == "", "a continuation line runs off the end"
    return out


def test_every_instruction_is_known_and_it_has_two_stages() -> None:
    steps = instructions((REPO / "Dockerfile").read_text())
    assert {keyword for keyword, _ in steps} <= INSTRUCTIONS
    froms = [args for keyword, args in steps if keyword == "FROM"]
    assert len(froms) == 2 and all(":" in f.split()[0] for f in froms)  # pinned images


def test_copied_files_exist_and_are_not_ignored() -> None:
    ignored = {line.strip() for line in (REPO / ".dockerignore").read_text().splitlines() if line.strip()}
    copies = [shlex.split(args) for keyword, args in instructions((REPO / "Dockerfile").read_text())
              if keyword == "COPY"]
    local = [args[:-1] for args in copies if not args[0].startswith("--from=")]
    assert local, "nothing is copied from the build context"
    for sources in local:
        for source in sources:
            assert (REPO / source).exists(), source
            assert source.split("/")[0] not in ignored, f"{source} is in .dockerignore"
    assert (REPO / "samples" / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso").is_file()  # what the wheel carries


def test_runs_as_a_user_on_amphigorys_port_with_a_real_command() -> None:
    steps = instructions((REPO / "Dockerfile").read_text())
    users = [args for keyword, args in steps if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert [args for keyword, args in steps if keyword == "EXPOSE"] == [str(DEFAULT_PORT)]
    (entry,) = [json.loads(args) for keyword, args in steps if keyword == "ENTRYPOINT"]
    (command,) = [json.loads(args) for keyword, args in steps if keyword == "CMD"]
    assert entry == ["amphigory"]
    assert build_parser().parse_args(command).command == "serve"


def test_the_doc_says_how_a_daemon_gets_its_drive() -> None:
    doc = (REPO / "docs" / "docker.md").read_text()
    for needed in ("--device /dev/sr0", "--group-add", "/run/udev", "amphigory doctor", "worker"):
        assert needed in doc


def test_the_build_stage_needs_only_what_it_copies(tmp_path: Path) -> None:
    """The build stage's commands (uv build --wheel, uv export) in a context holding only the copied files."""
    for keyword, args in instructions((REPO / "Dockerfile").read_text()):
        if keyword == "COPY" and not args.startswith("--from="):
            *sources, _ = shlex.split(args)
            for source in sources:
                (tmp_path / "context").mkdir(exist_ok=True)
                copy = shutil.copytree if (REPO / source).is_dir() else shutil.copy2
                copy(REPO / source, tmp_path / "context" / source)
    uv, env = find_uv(), {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    for command in (["build", "--wheel", "--offline", "--quiet", "--out-dir", str(tmp_path / "dist")],
                    ["export", "--frozen", "--offline", "--no-dev", "--no-emit-project", "--no-hashes", "--quiet",
                     "--format", "requirements-txt", "--output-file", str(tmp_path / "dist" / "requirements.txt")]):
        result = subprocess.run([uv, *command], cwd=tmp_path / "context", env=env, capture_output=True, text=True,
                                timeout=120, check=False)
        assert result.returncode == 0, result.stderr
    (wheel,) = (tmp_path / "dist").glob("amphigory-*.whl")
    assert "fastapi==" in (tmp_path / "dist" / "requirements.txt").read_text()
    with zipfile.ZipFile(wheel) as archive:
        assert "amphigory_cli/samples/dvd/AMPHIGORY_SAMPLE_DVD.iso" in archive.namelist()
