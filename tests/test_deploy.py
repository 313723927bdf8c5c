"""The deployment examples in docs/deploy/ parse, use only real settings, and keep their
own sizing rules (a manifest that silently sets a misspelt setting deploys a default)."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from honua.settings import Settings, load_settings

DEPLOY = Path(__file__).resolve().parents[1] / "docs" / "deploy"
FIELDS = {field.name for field in dataclasses.fields(Settings)}
NOT_SETTINGS = {"HONUA_CONFIG"}  # the config file's path, read by load_settings itself


def _documents() -> dict[str, list[Any]]:
    files = sorted(DEPLOY.rglob("*.yml")) + sorted(DEPLOY.rglob("*.yaml"))
    return {str(path.relative_to(DEPLOY)): [d for d in yaml.safe_load_all(path.read_text()) if d]
            for path in files}


def _kube() -> list[dict[str, Any]]:
    return [doc for name, docs in _documents().items() if name.startswith("kubernetes/")
            for doc in docs]


def _config_map(name: str) -> dict[str, str]:
    return next(d["data"] for d in _kube() if d["kind"] == "ConfigMap"
                and d["metadata"]["name"] == name)


def _tomls() -> dict[str, dict[str, Any]]:
    texts = {"honua.toml": (DEPLOY / "honua.toml").read_text(),
             "kubernetes/configmap.yaml": _config_map("honua-config")["honua.toml"]}
    return {name: tomllib.loads(text)["honua"] for name, text in texts.items()}


def _env_names() -> set[str]:
    names: set[str] = set()
    compose = _documents()["docker-compose.yml"][0]
    for service in compose["services"].values():
        names |= set(service.get("environment") or {})
    for doc in _kube():
        names |= set(doc.get("stringData") or {})
        for container in _containers(doc):
            names |= {entry["name"] for entry in container.get("env", [])}
    return {name for name in names if name.startswith("HONUA_")}


def _containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc.get("spec", {}).get("template", {}).get("spec", {})
    return list(spec.get("containers", []))


def test_every_file_parses_and_every_manifest_is_named():
    documents = _documents()
    assert {"docker-compose.yml", "kubernetes/front.yaml", "kubernetes/workers.yaml"} <= set(
        documents)
    for doc in _kube():
        assert {"apiVersion", "kind", "metadata"} <= set(doc) and doc["metadata"]["name"]


def test_every_setting_they_name_exists():
    used = {name[len("HONUA_"):].lower() for name in _env_names() - NOT_SETTINGS}
    for table in _tomls().values():
        used |= set(table)
    unknown = used - FIELDS
    assert not unknown, f"docs/deploy names settings Honua does not have: {sorted(unknown)}"


@pytest.mark.parametrize("name", ["honua.toml", "kubernetes/configmap.yaml"])
def test_the_config_files_load_as_settings(name, tmp_path):
    table = _tomls()[name]
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    settings = load_settings(env={}, config_file=empty, **table)
    assert settings.auto_migrate is False  # fronts never upgrade a shared schema mid-rollout
    assert {q["name"] for q in settings.queues} == {"cpu-burst", "db-heavy", "long-tail"}


def _mebibytes(quantity: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)([A-Za-z]*)", str(quantity)).groups()  # type: ignore[union-attr]
    return float(number) * {"Mi": 1, "Gi": 1024, "m": 1, "g": 1024, "": 1 / 2**20}[unit]


def _worker_commands() -> list[tuple[str, list[str], dict[str, Any]]]:
    found = []
    for doc in _kube():
        for container in _containers(doc):
            if container.get("command", [])[:2] == ["honua", "worker"]:
                found.append((doc["metadata"]["name"], container["command"],
                              container.get("resources", {})))
    compose = _documents()["docker-compose.yml"][0]
    for name, service in compose["services"].items():
        command = service.get("command") or []
        if command[:2] == ["honua", "worker"]:
            resources = service["deploy"]["resources"]
            found.append((name, command, {"limits": resources["limits"],
                                          "requests": resources["reservations"]}))
    return found


def test_workers_serve_configured_queues_with_memory_for_every_slot():
    workers = _worker_commands()
    assert len(workers) == 6  # three queues, in compose and on Kubernetes
    for source, table in _tomls().items():
        queues = {q["name"] for q in table["queues"]}
        slot_mb = table["job_memory_mb"]
        for name, command, resources in workers:
            if (source == "honua.toml") != (not name.startswith("honua-")):
                continue
            served = command[command.index("--queues") + 1].split(",")
            concurrency = int(command[command.index("--concurrency") + 1])
            assert set(served) <= queues, f"{name} serves a queue {source} does not define"
            assert resources["requests"] and resources["limits"], f"{name} has no resources"
            limit = _mebibytes(resources["limits"]["memory"])
            assert limit >= concurrency * slot_mb, (
                f"{name}: {concurrency} slots of {slot_mb} MB do not fit in {limit:.0f} MiB")


def test_rabbitmq_waits_longer_than_the_longest_job():
    conf = {"honua.toml": (DEPLOY / "rabbitmq.conf").read_text(),
            "kubernetes/configmap.yaml": _config_map("rabbitmq-config")["20-honua.conf"]}
    for source, text in conf.items():
        timeout_ms = int(re.search(r"^consumer_timeout\s*=\s*(\d+)", text, re.M).group(1))  # type: ignore[union-attr]
        assert timeout_ms > _tomls()[source]["job_timeout_seconds"] * 1000


def _compose_available() -> str:
    if shutil.which("docker") is None:
        return "the docker command is not installed"
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"docker has no compose plugin here ({probe.stderr.strip() or probe.stdout})"
    return ""


@pytest.mark.skipif(bool(_compose_available()), reason=f"docker compose config cannot run: "
                    f"{_compose_available()}; the YAML checks above still ran")
def test_docker_compose_accepts_the_file():
    result = subprocess.run(["docker", "compose", "-f", str(DEPLOY / "docker-compose.yml"),
                             "config", "--quiet"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
