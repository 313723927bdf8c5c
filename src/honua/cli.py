"""``honua``: serve, list processes, submit and follow jobs.

Commands that talk to a server use its OGC API (``--server``, default
http://127.0.0.1:8080); ``--local`` runs against the data directory directly,
with no server, on the same job store and worker pool a server would use.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from honua.client import HonuaClient, RemoteError
from honua.settings import load_settings

app = typer.Typer(help="Honua geoprocessing server", no_args_is_help=True,
                  pretty_exceptions_enable=False)
jobs_app = typer.Typer(help="List, inspect and cancel jobs", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")
console = Console(stderr=True)

Server = Annotated[str, typer.Option("--server", "-s", envvar="HONUA_SERVER",
                                     help="URL of a running Honua server")]
Local = Annotated[bool, typer.Option("--local", help="Use the data directory, no server")]
DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Data directory (HONUA_DATA_DIR)")]
DEFAULT_SERVER = "http://127.0.0.1:8080"


def _fail(message: str) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    data_dir: DataDir = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes for jobs")] = None,
    demo: Annotated[bool, typer.Option(help="Install the demo data")] = False,
) -> None:
    """Run the server (embedded default: SQLite, local worker pool, files on disk)."""
    import uvicorn

    from honua.app import create_app
    from honua.demo import install_demo

    settings = load_settings(host=host, port=port, data_dir=data_dir, workers=workers)
    if demo or settings.demo_data:
        install_demo(settings, console)
    console.print(f"Honua serving on http://{settings.host}:{settings.port}/api "
                  f"(data in {settings.data_dir.resolve()}, {settings.workers} workers)")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port,
                log_level="info", access_log=False)


@app.command()
def processes(server: Server = DEFAULT_SERVER, local: Local = False) -> None:
    """List the processes offered."""
    table = Table("id", "title", "version", "modes")
    if local:
        from honua.core.registry import discover

        registry = discover(load_settings().process_modules)
        for definition in registry:
            d = definition.description
            table.add_row(d.id, d.title, d.version, ", ".join(m.value for m in d.job_control))
    else:
        with _remote(server) as client:
            for summary in client.processes():
                modes = [m.removesuffix("-execute") for m in summary.get("jobControlOptions", [])
                         if m.endswith("-execute")]
                table.add_row(summary["id"], summary.get("title", ""),
                              summary.get("version", ""), ", ".join(modes))
    Console().print(table)


@contextlib.contextmanager
def _remote(server: str) -> Iterator[HonuaClient]:
    """A client for ``server``; its errors become one clear line and exit code 1."""
    try:
        with HonuaClient(server) as client:
            yield client
    except RemoteError as exc:
        _fail(exc.detail)
    except httpx.TransportError as exc:
        _fail(f"cannot reach the server at {server} ({exc}); start one with 'honua serve', "
              "or use --local")


def parse_input(text: str) -> tuple[str, Any]:
    """``name=value``: value is JSON when it parses, ``@path`` reads a JSON file, else text."""
    if "=" not in text:
        raise typer.BadParameter(f"inputs are name=value, got {text!r}")
    name, raw = text.split("=", 1)
    if raw.startswith("@"):
        try:
            return name, orjson.loads(Path(raw[1:]).read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise typer.BadParameter(f"{name}: cannot read {raw[1:]}: {exc}") from None
    try:
        return name, orjson.loads(raw)
    except orjson.JSONDecodeError:
        return name, raw


@app.command()
def submit(
    process_id: Annotated[str, typer.Argument(help="Process id, e.g. buffer")],
    inputs: Annotated[list[str] | None, typer.Option(
        "--input", "-i", help="name=value (JSON, or @file.json)")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write results here")] = None,
    server: Server = DEFAULT_SERVER,
    local: Local = False,
    data_dir: DataDir = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait")] = 3600.0,
) -> None:
    """Run a process as a job, show its progress, and print or save its results."""
    values = dict(parse_input(text) for text in inputs or [])
    if local:
        document = _submit_local(process_id, values, data_dir, timeout)
    else:
        document = _submit_remote(process_id, values, server, timeout)
    data = orjson.dumps(document, option=orjson.OPT_INDENT_2)
    if output:
        output.write_bytes(data)
        console.print(f"results written to {output}")
    else:
        sys.stdout.write(data.decode() + "\n")


def _progress_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(),
                    TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(), console=console)


def _submit_remote(process_id: str, values: dict[str, Any], server: str, timeout: float) -> Any:
    with _remote(server) as client, _progress_bar() as bar:
        info = client.submit(process_id, values)
        task = bar.add_task(f"job {info['jobID'][:8]}", total=100)

        def show(status: dict[str, Any]) -> None:
            bar.update(task, completed=status.get("progress", 0),
                       description=f"{status['status']}: {status.get('message', '')}"[:60])

        final = client.wait(info["jobID"], timeout=timeout, on_progress=show)
        if final["status"] != "successful":
            _fail(f"job {final['jobID']} {final['status']}: {final.get('message', '')}")
        return client.results(final["jobID"])


def _submit_local(process_id: str, values: dict[str, Any], data_dir: Path | None,
                  timeout: float) -> Any:
    from honua.adapters.ogcapi.encode import qualified
    from honua.app import build_services
    from honua.core.requests import ExecutionOptions, Mode
    from honua.errors import HonuaError

    services = build_services(load_settings(data_dir=data_dir))
    manager = services.manager
    manager.start()
    try:
        with _progress_bar() as bar:
            job = manager.submit(process_id, values, ExecutionOptions(mode=Mode.ASYNC))
            task = bar.add_task(f"job {job.id[:8]}", total=100)
            while not job.status.finished:
                job = manager.wait(job.id, 0.2)
                bar.update(task, completed=job.progress, description=f"{job.status.value}")
        if job.status.value != "succeeded":
            _fail(f"job {job.id} {job.status.value}: {job.message}")
        description = manager.registry.get(process_id).description
        outputs = manager.results(job.id)
        return {name: qualified(parameter, value)["value"] for name, value in outputs.items()
                if (parameter := description.output(name)) is not None}
    except HonuaError as exc:
        _fail(exc.message)
    finally:
        manager.stop()


@jobs_app.command("list")
def jobs_list(
    status: Annotated[str | None, typer.Option(
        help="accepted, running, successful, failed, dismissed")] = None,
    process: Annotated[str | None, typer.Option(help="Only jobs of this process")] = None,
    limit: int = 50,
    server: Server = DEFAULT_SERVER,
) -> None:
    """List jobs, newest first."""
    table = Table("job", "process", "status", "progress", "created", "message")
    with _remote(server) as client:
        for info in client.jobs(status=status, process_id=process, limit=limit):
            table.add_row(info["jobID"], info.get("processID", ""), info["status"],
                          f"{info.get('progress', 0)}%", info.get("created", ""),
                          info.get("message", ""))
    Console().print(table)


@jobs_app.command("show")
def jobs_show(job_id: str, server: Server = DEFAULT_SERVER) -> None:
    """Show one job's status."""
    with _remote(server) as client:
        sys.stdout.write(orjson.dumps(client.job(job_id), option=orjson.OPT_INDENT_2).decode()
                         + "\n")


@jobs_app.command("cancel")
def jobs_cancel(job_id: str, server: Server = DEFAULT_SERVER) -> None:
    """Cancel (dismiss) a job: a running job is stopped, its results discarded."""
    with _remote(server) as client:
        info = client.dismiss(job_id)
        console.print(f"job {info['jobID']} {info['status']}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
