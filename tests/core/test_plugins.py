"""A plugin distribution installed with pip appears, runs, and disappears when uninstalled."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PLUGIN = "honua-hello-plugin-for-tests"
HONUA = Path(sys.executable).with_name("honua")


def pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
                   check=True, capture_output=True, timeout=300)


@pytest.fixture
def plugin_source(tmp_path) -> Path:
    root = tmp_path / "plugin"
    root.mkdir()
    (root / "pyproject.toml").write_text(textwrap.dedent(f"""
        [build-system]
        requires = ["setuptools>=70"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "{PLUGIN}"
        version = "1.0.0"

        [project.entry-points."honua.processes"]
        hello = "honua_hello_plugin"
        """))
    (root / "honua_hello_plugin.py").write_text(textwrap.dedent("""
        import honua

        @honua.process("hello_plugin", title="Hello from a plugin", version="1.0.0")
        def hello(ctx: honua.Context, name: str = "world") -> str:
            ctx.progress(50, "greeting")
            return f"hello {name}"
        """))
    return root


def honua_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HONUA_DATA_DIR": str(data_dir), "HONUA_WORKERS": "1"}
    return subprocess.run([str(HONUA), *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)


def test_plugin_appears_runs_and_disappears(plugin_source, tmp_path):
    data_dir = tmp_path / "data"
    assert "hello_plugin" not in honua_cli("processes", "--local", data_dir=data_dir).stdout
    pip("install", "--no-build-isolation", "--no-deps", str(plugin_source))
    try:
        listed = honua_cli("processes", "--local", data_dir=data_dir)
        assert "hello_plugin" in listed.stdout, listed.stderr
        ran = honua_cli("submit", "hello_plugin", "--local", "-i", 'name="plugins"',
                        data_dir=data_dir)
        assert ran.returncode == 0, ran.stderr
        assert '"hello plugins"' in ran.stdout
    finally:
        pip("uninstall", "-y", PLUGIN)
    assert "hello_plugin" not in honua_cli("processes", "--local", data_dir=data_dir).stdout
