"""Settings come from defaults, a TOML file, HONUA_* variables and overrides, in that order."""

from pathlib import Path

import pytest

from honua.settings import Settings, load_settings


def test_settings_defaults_are_the_embedded_setup():
    s = load_settings(env={})
    assert s.data_dir == Path(".honua") and s.retention_hours == 6
    assert s.resolved_database_url.startswith("sqlite:///")
    assert s.resolved_artifacts_dir == Path(".honua/artifacts")
    assert s.workers >= 1 and s.max_body_bytes == 100 * 1024 * 1024


def test_settings_toml_then_env_then_overrides(tmp_path):
    config = tmp_path / "honua.toml"
    config.write_text('[honua]\nport = 9000\nworkers = 3\nprocess_modules = ["a.b"]\n')
    env = {"HONUA_CONFIG": str(config), "HONUA_WORKERS": "5", "HONUA_RERUN_INTERRUPTED": "no"}
    s = load_settings(env=env, port=9100)
    assert (s.port, s.workers, s.rerun_interrupted, s.process_modules) == (9100, 5, False, ("a.b",))


def test_settings_env_lists_and_paths():
    s = load_settings(env={"HONUA_PROCESS_MODULES": "x.y, z", "HONUA_DATA_DIR": "/tmp/h"})
    assert s.process_modules == ("x.y", "z") and s.data_dir == Path("/tmp/h")


def test_settings_unknown_key_in_toml_is_refused(tmp_path):
    config = tmp_path / "honua.toml"
    config.write_text("wrokers = 3\n")
    with pytest.raises(ValueError, match="wrokers"):
        load_settings(env={}, config_file=config)


def test_settings_are_frozen():
    with pytest.raises(AttributeError):
        Settings().port = 1  # type: ignore[misc]
