"""``honua``: serve, list processes, submit and follow jobs.

Commands that talk to a server use its OGC API (``--server``, default
http://127.0.0.1:8080); ``--local`` runs against the data directory directly,
with no server, on the same job store and worker pool a server would use.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import orjson
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from honua.client import HonuaClient, RemoteError
from honua.client.http import AmbiguousPrefix
from honua.settings import ENV_PREFIX, load_settings

app = typer.Typer(help="Honua geoprocessing server", no_args_is_help=True,
                  pretty_exceptions_enable=False)
jobs_app = typer.Typer(help="List, inspect and cancel jobs", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")
keys_app = typer.Typer(help="API keys (kept hashed in the job store's database)",
                       no_args_is_help=True)
app.add_typer(keys_app, name="keys")
users_app = typer.Typer(help="Built-in users (passwords hashed with scrypt)", no_args_is_help=True)
app.add_typer(users_app, name="users")
console = Console(stderr=True)

Server = Annotated[str, typer.Option("--server", "-s", envvar="HONUA_SERVER",
                                     help="URL of a running Honua server")]
ApiKeyOption = Annotated[str, typer.Option("--api-key", envvar="HONUA_API_KEY",
                                           help="API key for a server that needs one")]
Local = Annotated[bool, typer.Option("--local", help="Use the data directory, no server")]
DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Data directory (HONUA_DATA_DIR)")]
DEFAULT_SERVER = "http://127.0.0.1:8080"


def _fail(message: str) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(1)


FRONT_HEALTHCHECK_SECONDS = 300


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    data_dir: DataDir = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes for jobs")] = None,
    processes: Annotated[int | None, typer.Option(
        "--processes", help="HTTP front processes over the one job store (default: CPUs)")
    ] = None,
    demo: Annotated[bool, typer.Option(help="Install the demo data")] = False,
) -> None:
    """Run the server (embedded default: SQLite, local worker pool, files on disk)."""
    import uvicorn

    from honua.app import FRONT_CHILD, create_app
    from honua.demo import install_demo
    from honua.web.logs import configure_logging

    fronts = processes or int(os.environ.get(f"{ENV_PREFIX}FRONT_PROCESSES", 0) or 0) or (
        os.cpu_count() or 1)
    settings = load_settings(host=host, port=port, data_dir=data_dir, workers=workers,
                             front_processes=max(1, fronts))
    _log_warnings()
    from honua.executors.celery_app import check_celery_settings

    try:
        check_celery_settings(settings)  # refused here, not in every front's traceback
    except ValueError as exc:
        _fail(str(exc))
    try:
        configure_logging(settings)  # Honua's and uvicorn's lines, text or JSON
    except ValueError as exc:
        _fail(str(exc))
    if demo or settings.demo_data:
        install_demo(settings, console)
    console.print(f"Honua serving on http://{settings.host}:{settings.port}/api "
                  f"(data in {settings.data_dir.resolve()}, {settings.workers} workers, "
                  f"{settings.front_processes} front processes)")
    if settings.front_processes == 1:
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port,
                    log_config=None, access_log=False)  # Honua writes the access log
        return
    # Each front builds the app from the environment: hand it what the options said.
    os.environ.update({f"{ENV_PREFIX}HOST": settings.host, f"{ENV_PREFIX}PORT": str(settings.port),
                       f"{ENV_PREFIX}DATA_DIR": str(settings.data_dir.resolve()),
                       f"{ENV_PREFIX}WORKERS": str(settings.workers),
                       f"{ENV_PREFIX}FRONT_PROCESSES": str(settings.front_processes),
                       FRONT_CHILD: str(os.getpid())})
    # uvicorn restarts a front that misses a health check; a front busy with a 100,000-feature
    # request holds the GIL for seconds, so only a front that is gone or hung for minutes
    # counts as dead (one that exits is noticed at once either way).
    uvicorn.run("honua.app:serve_app", factory=True, workers=settings.front_processes,
                host=settings.host, port=settings.port, log_level="info", access_log=False,
                timeout_worker_healthcheck=FRONT_HEALTHCHECK_SECONDS)


@app.command()
def worker(
    queues: Annotated[str, typer.Option(
        "--queues", help="Resource classes to serve, e.g. cpu-burst,db-heavy")] = "cpu-burst",
    concurrency: Annotated[int, typer.Option(
        "--concurrency", min=1, help="Jobs run at once (isolated slots)")] = 1,
    data_dir: DataDir = None,
) -> None:
    """Run a Celery worker for executor = "celery": it takes the jobs of its queues from
    the broker and runs them, isolated, on a local pool of --concurrency slots."""
    from honua.app import build_worker
    from honua.executors.celery_worker import serve as serve_worker
    from honua.web.logs import configure_logging

    settings = load_settings(data_dir=data_dir)
    _log_warnings()
    names = [name.strip() for name in queues.split(",") if name.strip()]
    if settings.executor != "celery":
        _fail("honua worker needs executor = \"celery\" (HONUA_EXECUTOR=celery) with a "
              "PostgreSQL database_url and a broker_url")
    try:
        configure_logging(settings)
        services = build_worker(settings, concurrency)
    except ValueError as exc:
        _fail(str(exc))
    manager = services.manager
    manager.start(dispatch=False)  # recovery, the pool
    manager.dispatcher.start(dispatch=False)  # heartbeat, reclaim, cancels
    console.print(f"Honua worker {manager.dispatcher.front.id} serving {', '.join(names)} "
                  f"with {concurrency} slots")
    try:
        serve_worker(manager, names, concurrency)
    except ValueError as exc:
        _fail(str(exc))
    finally:
        manager.stop()


def _log_warnings() -> None:
    from honua.app import log_warnings

    log_warnings()


@app.command()
def processes(server: Server = DEFAULT_SERVER, local: Local = False,
              api_key: ApiKeyOption = "") -> None:
    """List the processes offered."""
    table = Table("id", "title", "version", "modes")
    if local:
        from honua.core.registry import discover

        registry = discover(load_settings().process_modules)
        for definition in registry:
            d = definition.description
            table.add_row(d.id, d.title, d.version, ", ".join(m.value for m in d.job_control))
    else:
        with _remote(server, api_key) as client:
            for summary in client.processes():
                modes = [m.removesuffix("-execute") for m in summary.get("jobControlOptions", [])
                         if m.endswith("-execute")]
                table.add_row(summary["id"], summary.get("title", ""),
                              summary.get("version", ""), ", ".join(modes))
    Console().print(table)


@contextlib.contextmanager
def _remote(server: str, api_key: str = "") -> Iterator[HonuaClient]:
    """A client for ``server``; its errors become one clear line and exit code 1."""
    try:
        with HonuaClient(server, api_key=api_key) as client:
            yield client
    except RemoteError as exc:
        _fail(exc.detail)
    except AmbiguousPrefix as exc:
        _fail(str(exc))
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
    api_key: ApiKeyOption = "",
) -> None:
    """Run a process as a job, show its progress, and print or save its results."""
    values = dict(parse_input(text) for text in inputs or [])
    if local:
        document = _submit_local(process_id, values, data_dir, timeout)
        _write_compact(document, output)
        return
    job_id = _submit_remote(process_id, values, server, timeout, api_key)
    with _remote(server, api_key) as client:
        _save_results(client, job_id, output)


def _write_compact(document: Any, output: Path | None) -> None:
    data = orjson.dumps(document)
    if output:
        output.write_bytes(data)
        console.print(f"results written to {output} ({len(data):,} bytes)")
    else:
        sys.stdout.buffer.write(data + b"\n")
        sys.stdout.flush()


def _save_results(client: HonuaClient, job_id: str, output: Path | None) -> None:
    """The job's ``{output: value}`` streamed to ``output`` (or stdout), compact, with a
    progress bar over the download."""
    if output is None:
        client.download_values(job_id, sys.stdout.buffer)
        sys.stdout.buffer.write(b"\n")
        sys.stdout.flush()
        return
    with _download_bar() as bar, output.open("wb") as target:
        task = bar.add_task("downloading", total=None)

        def show(received: int, expected: int | None) -> None:
            bar.update(task, completed=received, total=expected)

        written = client.download_values(job_id, target, on_progress=show)
    console.print(f"results written to {output} ({written:,} bytes)")


def _download_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                    TransferSpeedColumn(), console=console)


def _progress_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(),
                    TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(), console=console)


def _submit_remote(process_id: str, values: dict[str, Any], server: str, timeout: float,
                   api_key: str = "") -> str:
    with _remote(server, api_key) as client, _progress_bar() as bar:
        info = client.submit(process_id, values)
        task = bar.add_task(f"job {info['jobID'][:8]}", total=100)

        def show(status: dict[str, Any]) -> None:
            bar.update(task, completed=status.get("progress", 0),
                       description=f"{status['status']}: {status.get('message', '')}"[:60])

        final = client.wait(info["jobID"], timeout=timeout, on_progress=show)
        if final["status"] != "successful":
            _fail(f"job {final['jobID']} {final['status']}: {final.get('message', '')}")
        return str(final["jobID"])


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
    api_key: ApiKeyOption = "",
) -> None:
    """List jobs, newest first."""
    table = Table("job", "process", "status", "progress", "created", "message")
    with _remote(server, api_key) as client:
        for info in client.jobs(status=status, process_id=process, limit=limit):
            table.add_row(info["jobID"], info.get("processID", ""), info["status"],
                          f"{info.get('progress', 0)}%", info.get("created", ""),
                          info.get("message", ""))
    Console().print(table)


JobId = Annotated[str, typer.Argument(help="Job id, or its first characters")]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file")]


@jobs_app.command("show")
def jobs_show(job_id: JobId, server: Server = DEFAULT_SERVER, api_key: ApiKeyOption = "") -> None:
    """Show one job's status."""
    with _remote(server, api_key) as client:
        info = client.job(client.resolve(job_id))
        sys.stdout.write(orjson.dumps(info, option=orjson.OPT_INDENT_2).decode() + "\n")


@jobs_app.command("results")
def jobs_results(job_id: JobId, output: Output = None, server: Server = DEFAULT_SERVER,
                 api_key: ApiKeyOption = "") -> None:
    """Download a finished job's results ({output: value}, compact JSON)."""
    with _remote(server, api_key) as client:
        _save_results(client, client.resolve(job_id), output)


@app.command()
def provenance(job_id: str, server: Server = DEFAULT_SERVER, api_key: ApiKeyOption = "",
               reproduce: Annotated[bool, typer.Option(
                   "--reproduce", help="Run the job again and compare the output hashes")] = False
               ) -> None:
    """Show what a job used and made, where and with which software (W3C PROV-JSON)."""
    with _remote(server, api_key) as client:
        document = client.reproduce(job_id) if reproduce else client.provenance(job_id)
        sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")


@jobs_app.command("cancel")
def jobs_cancel(job_id: JobId, server: Server = DEFAULT_SERVER,
                api_key: ApiKeyOption = "") -> None:
    """Cancel a job: stopped, but kept (status and messages stay; 'dismiss' deletes it)."""
    with _remote(server, api_key) as client:
        info = client.cancel(client.resolve(job_id))
        console.print(f"job {info['jobID']} {info['status']}: {info.get('message', '')}")


@jobs_app.command("dismiss")
def jobs_dismiss(job_id: JobId, server: Server = DEFAULT_SERVER,
                 api_key: ApiKeyOption = "") -> None:
    """Delete a job and its results (a running job is stopped first)."""
    with _remote(server, api_key) as client:
        info = client.dismiss(client.resolve(job_id))
        console.print(f"job {info['jobID']} {info['status']}")


@app.command()
def describe(process_id: Annotated[str, typer.Argument(help="Process id, e.g. buffer")],
             server: Server = DEFAULT_SERVER, api_key: ApiKeyOption = "") -> None:
    """Describe a process: what it does, its inputs and outputs."""
    with _remote(server, api_key) as client:
        document = client.describe(process_id)
    console.print(f"[bold]{document['id']}[/bold]: {document.get('title', '')}")
    if document.get("description"):
        console.print(document["description"])
    for kind in ("inputs", "outputs"):
        table = Table("name", "type", "required" if kind == "inputs" else "", "description",
                      title=kind)
        for name, spec in document.get(kind, {}).items():
            schema = spec.get("schema", {})
            kind_name = schema.get("type") or schema.get("format") or (
                "one of" if "oneOf" in schema else "object")
            required = ("yes" if spec.get("minOccurs", 1) else "no") if kind == "inputs" else ""
            table.add_row(name, str(kind_name), required, spec.get("description", ""))
        Console().print(table)


@app.command()
def upload(path: Annotated[Path, typer.Argument(help="File to upload (GeoJSON, GeoPackage, "
                                                     "zipped shapefile, ...)")],
           description: Annotated[str, typer.Option(help="What the file holds")] = "",
           server: Server = DEFAULT_SERVER, api_key: ApiKeyOption = "") -> None:
    """Upload a file; prints its id, to give as an input ({"uploadId": ID})."""
    if not path.is_file():
        _fail(f"{path} is not a file")
    with _remote(server, api_key) as client:
        document = client.upload(path, description=description)
    sys.stdout.write(f"{document['uploadId']}\n")


@app.command()
def migrate(
    sql: Annotated[bool, typer.Option(
        "--sql", help="Print the SQL of the upgrade instead of running it")] = False,
    data_dir: DataDir = None,
) -> None:
    """Upgrade the job store's schema to this Honua's newest revision (HONUA_DATABASE_URL)."""
    from honua.errors import HonuaError
    from honua.store import SqlJobStore, schema_versions

    url = load_settings(data_dir=data_dir).resolved_database_url
    try:
        found = schema_versions.status(url)
        current = found.current or ("none (made before migrations)" if found.legacy
                                    else "none (empty)")
        console.print(f"job store: current revision {current}, target {found.target}")
        if sql:
            sys.stdout.write(schema_versions.script_sql(url, found))
            return
        if found.up_to_date:
            console.print("already up to date")
            return
        SqlJobStore(url, auto_migrate=True).close()
        console.print(f"upgraded to {schema_versions.status(url).current}")
    except (HonuaError, ValueError) as exc:
        _fail(getattr(exc, "message", str(exc)))


# -- identities: straight on the database every front process reads ----------------------------
Roles = Annotated[list[str], typer.Option("--role", help="A role (repeat for several)")]
Tenant = Annotated[str, typer.Option("--tenant", help="The tenant it belongs to")]


@contextlib.contextmanager
def _identities(data_dir: Path | None) -> Iterator[Any]:
    from honua.errors import HonuaError
    from honua.store import open_identity_store

    store = None
    try:
        store = open_identity_store(load_settings(data_dir=data_dir))
        yield store
    except (HonuaError, ValueError) as exc:
        _fail(getattr(exc, "message", str(exc)))
    finally:
        if store is not None:
            store.close()


def _checked(names: list[str], what: str) -> frozenset[str]:
    from honua.core.identity import check_name

    try:
        return frozenset(check_name(name, what) for name in names)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option("--name", help="Unique name of the key")],
    role: Roles,
    tenant: Tenant,
    expires: Annotated[str | None, typer.Option(help="Lifetime, e.g. 30d, 12h, 2w")] = None,
    data_dir: DataDir = None,
) -> None:
    """Create an API key; the key itself is printed once, alone on the last line."""
    import datetime as dt

    from honua.core.identity import ApiKey, hash_key, new_key, parse_duration

    (name,) = _checked([name], "key name")
    tenant = tenant and next(iter(_checked([tenant], "tenant")))
    try:
        lifetime = parse_duration(expires) if expires else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--expires") from None
    now = dt.datetime.now(dt.UTC)
    key = new_key()
    record = ApiKey(name=name, digest=hash_key(key), tenant=tenant, roles=_checked(role, "role"),
                    created=now, expires=now + lifetime if lifetime else None)
    with _identities(data_dir) as store:
        store.add_key(record)
    until = f"until {record.expires:%Y-%m-%d %H:%M} UTC" if record.expires else "no expiry"
    console.print(f"API key {name!r} created (tenant {tenant!r}, roles "
                  f"{', '.join(sorted(record.roles))}, {until}); it is shown only now:")
    sys.stdout.write(key + "\n")


@keys_app.command("list")
def keys_list(data_dir: DataDir = None) -> None:
    """List API keys (names, tenants, roles, state; never the keys)."""
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    table = Table("name", "tenant", "roles", "created", "expires", "state")
    with _identities(data_dir) as store:
        for key in store.all_keys():
            state = "revoked" if key.revoked else "active" if key.usable(now) else "expired"
            table.add_row(key.name, key.tenant, " ".join(sorted(key.roles)),
                          f"{key.created:%Y-%m-%d %H:%M}",
                          f"{key.expires:%Y-%m-%d %H:%M}" if key.expires else "never", state)
    Console().print(table)


@keys_app.command("revoke")
def keys_revoke(name: str, data_dir: DataDir = None) -> None:
    """Revoke an API key for good: requests with it, and tokens got with it, are refused."""
    with _identities(data_dir) as store:
        store.revoke_key(name)
    console.print(f"API key {name!r} revoked")


@users_app.command("add")
def users_add(
    name: str,
    role: Roles,
    tenant: Tenant,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from standard input (one line)")] = False,
    replace: Annotated[bool, typer.Option(help="Replace an existing user of that name")] = False,
    data_dir: DataDir = None,
) -> None:
    """Add a built-in user (for generateToken and ArcGIS clients)."""
    import datetime as dt

    from honua.core.identity import User, hash_password

    (name,) = _checked([name], "user name")
    tenant = tenant and next(iter(_checked([tenant], "tenant")))
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        _fail("the password must have at least 8 characters")
    user = User(name=name, tenant=tenant, roles=_checked(role, "role"),
                password_hash=hash_password(password), created=dt.datetime.now(dt.UTC))
    with _identities(data_dir) as store:
        store.add_user(user, replace=replace)
    console.print(f"user {name!r} {'replaced' if replace else 'added'} (tenant {tenant!r}, "
                  f"roles {', '.join(sorted(user.roles))})")


@users_app.command("list")
def users_list(data_dir: DataDir = None) -> None:
    """List built-in users (never their password hashes)."""
    table = Table("name", "tenant", "roles", "created")
    with _identities(data_dir) as store:
        for user in store.all_users():
            table.add_row(user.name, user.tenant, " ".join(sorted(user.roles)),
                          f"{user.created:%Y-%m-%d %H:%M}")
    Console().print(table)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
