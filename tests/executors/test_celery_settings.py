"""What ``executor = "celery"`` refuses at start, and what it configures on Celery."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from honua.cli import app
from honua.executors.celery_app import celery_app, check_celery_settings
from honua.settings import load_settings

runner = CliRunner()


def _settings(tmp_path, **values):
    return load_settings(env={}, config_file=tmp_path / "none.toml", data_dir=tmp_path, **values)


@pytest.fixture(autouse=True)
def _no_config(tmp_path, monkeypatch):
    (tmp_path / "none.toml").write_text("")
    monkeypatch.setenv("HONUA_CONFIG", str(tmp_path / "none.toml"))
    for name in ("HONUA_EXECUTOR", "HONUA_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_the_default_is_the_local_pool(tmp_path):
    settings = _settings(tmp_path)
    assert (settings.executor, settings.queue_prefix) == ("local", "honua")
    assert settings.broker_url == "amqp://guest:guest@127.0.0.1:5672//"
    check_celery_settings(settings)


@pytest.mark.parametrize("url", ["", "sqlite:////tmp/honua.db"])
def test_celery_without_postgresql_is_refused_saying_why(tmp_path, url):
    with pytest.raises(ValueError, match="needs a PostgreSQL job store"):
        check_celery_settings(_settings(tmp_path, executor="celery", database_url=url))


def test_an_unknown_executor_is_refused(tmp_path):
    with pytest.raises(ValueError, match="'local' or 'celery'"):
        check_celery_settings(_settings(tmp_path, executor="kubernetes"))


def test_serve_and_worker_refuse_to_start_on_sqlite(tmp_path, monkeypatch):
    monkeypatch.setenv("HONUA_EXECUTOR", "celery")
    for command in (["serve", "--processes", "1"], ["worker", "--queues", "cpu-burst"]):
        result = runner.invoke(app, [*command, "--data-dir", str(tmp_path)])
        assert result.exit_code == 1
        assert "needs a PostgreSQL job store" in " ".join(result.output.split())


def test_worker_refuses_the_local_executor(tmp_path):
    result = runner.invoke(app, ["worker", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and "executor" in result.output


def test_the_app_acknowledges_late_and_has_one_durable_queue_per_class(tmp_path):
    conf = celery_app(_settings(tmp_path, executor="celery", queue_prefix="site-a")).conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1 and conf.accept_content == ["json"]
    assert sorted(q.name for q in conf.task_queues) == [
        "site-a.cpu-burst", "site-a.db-heavy", "site-a.gpu", "site-a.long-tail"]
    assert all(q.durable for q in conf.task_queues)


def test_a_worker_warns_when_jobs_may_outlast_rabbitmqs_default_consumer_timeout(tmp_path):
    from types import SimpleNamespace

    from honua.core.registry import Registry
    from honua.executors.celery_worker import consumer_timeout_warning

    def warning(seconds: float) -> str:
        settings = _settings(tmp_path, executor="celery", job_timeout_seconds=seconds)
        return consumer_timeout_warning(SimpleNamespace(settings=settings,  # type: ignore[arg-type]
                                                        registry=Registry([])))

    assert warning(1800) == ""
    assert "consumer_timeout" in warning(3600) and "docs/deploy/README.md" in warning(3600)
