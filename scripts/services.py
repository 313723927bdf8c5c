"""Make sure the services the test suite needs are there and running: ``make test`` calls it.

    python scripts/services.py [--env FILE] [service ...]

Each service is one function that checks, installs (Debian packages, only when
running as root) and starts what is missing, and returns the environment the
tests need to find it. Nothing is skipped silently: when a service cannot be
provided, the script stops with one line saying what to install. The variables
are written to ``--env FILE`` as ``KEY=value`` lines (the Makefile exports them
for pytest), so a throwaway server started here is found by the tests.

Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATE = ROOT / ".honua-test"
"""Where throwaway servers keep their data between runs (ignored by git)."""


class Missing(SystemExit):
    """A service that cannot be provided: the one line the person must read."""


def is_root() -> bool:
    return os.geteuid() == 0


def run(*command: str, check: bool = True, quiet: bool = True,
        **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), check=check, text=True,
                          capture_output=quiet, **kwargs)  # type: ignore[call-overload]


def apt_install(*packages: str) -> None:
    """Install Debian packages (root only); refreshes the package lists once if needed."""
    if not (is_root() and shutil.which("apt-get")):
        raise Missing(f"make test needs: apt-get install {' '.join(packages)} (run make test "
                      "as root to have it installed)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(f"services: installing {' '.join(packages)}", file=sys.stderr)
    done = run("apt-get", "install", "-y", "-qq", *packages, check=False, env=env)
    if done.returncode != 0:
        run("apt-get", "update", "-qq", env=env)
        run("apt-get", "install", "-y", "-qq", *packages, env=env)


def port_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


def wait_until(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.3)
    return check()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- PostgreSQL + PostGIS -------------------------------------------------------------------

PG_DEFAULT = "host=127.0.0.1 port=5432 user=postgres"


def psql(conninfo: str, sql: str) -> subprocess.CompletedProcess[str]:
    return run("psql", f"{conninfo} dbname=postgres connect_timeout=3", "-XAtqc", sql,
               check=False)


def pg_major_versions() -> list[str]:
    """PostgreSQL server versions installed (Debian's /usr/lib/postgresql/<major>)."""
    found = [Path(p).parent.parent.name for p in glob.glob("/usr/lib/postgresql/*/bin/postgres")]
    return sorted(found, key=int)


def ensure_postgis_package(conninfo: str) -> None:
    available = psql(conninfo, "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
    if available.stdout.strip() == "1":
        return
    major = psql(conninfo, "SHOW server_version_num").stdout.strip()[:2] or (
        pg_major_versions() or ["15"])[-1]
    apt_install(f"postgresql-{major}-postgis-3")
    check = psql(conninfo, "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
    if check.stdout.strip() != "1":
        raise Missing(f"make test needs PostGIS for PostgreSQL {major}: "
                      f"apt-get install postgresql-{major}-postgis-3")


def start_system_cluster() -> None:
    """Start Debian's cluster (as the init scripts would) when it is installed but down."""
    if not (is_root() and shutil.which("pg_ctlcluster")):
        return
    for major in pg_major_versions():
        if Path(f"/etc/postgresql/{major}/main").is_dir():
            run("pg_ctlcluster", "--skip-systemctl-redirect", major, "main", "start", check=False)
    wait_until(lambda: port_open("127.0.0.1", 5432), 30)


def throwaway_cluster() -> str:
    """A cluster of our own, from the installed binaries: trust auth on a free port, kept in
    ``.honua-test/postgres`` and reused while it runs."""
    versions = pg_major_versions()
    if not versions:
        raise Missing("make test needs PostgreSQL 15+ with PostGIS: apt-get install postgresql "
                      "postgresql-15-postgis-3 (or run make test as root)")
    bin_dir = Path(f"/usr/lib/postgresql/{versions[-1]}/bin")
    data = STATE / "postgres"
    port_file = STATE / "postgres.port"
    if port_file.exists():
        port = int(port_file.read_text())
        if port_open("127.0.0.1", port):
            return f"host=127.0.0.1 port={port} user=postgres"
    user = ["runuser", "-u", "postgres", "--"] if is_root() else []
    STATE.mkdir(exist_ok=True)
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        if is_root():
            shutil.chown(data, "postgres")
        run(*user, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
            "-E", "UTF8")
    port = free_port()
    run(*user, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"),
        "-o", f"-p {port} -k {data} -c listen_addresses=127.0.0.1", "-w", "start")
    port_file.write_text(str(port))
    return f"host=127.0.0.1 port={port} user=postgres"


def postgres() -> dict[str, str]:
    """PostgreSQL reachable without a password, with the PostGIS extension available."""
    if not shutil.which("psql") and not pg_major_versions():
        apt_install("postgresql", "postgresql-client")
    if not port_open("127.0.0.1", 5432):
        start_system_cluster()
    conninfo = PG_DEFAULT
    if psql(conninfo, "SELECT 1").stdout.strip() != "1":
        conninfo = throwaway_cluster()  # none running, or one that wants a password
        if psql(conninfo, "SELECT 1").stdout.strip() != "1":
            raise Missing(f"make test could not reach the PostgreSQL it started ({conninfo})")
    ensure_postgis_package(conninfo)
    return {} if conninfo == PG_DEFAULT else {"HONUA_TEST_PG": conninfo}


# -- RabbitMQ (the Celery broker of executor = "celery") --------------------------------------

BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
"""Debian's rabbitmq-server lets ``guest`` in from loopback; the tests give every run its
own queue prefix, so runs never share queues."""


def rabbitmq() -> dict[str, str]:
    """RabbitMQ on 127.0.0.1:5672: started (``rabbitmq-server -detached``) when installed
    but down, installed from Debian's packages when missing."""
    if not port_open("127.0.0.1", 5672):
        if not shutil.which("rabbitmq-server"):
            apt_install("rabbitmq-server")
        if not is_root():
            raise Missing("make test needs RabbitMQ on 127.0.0.1:5672: start it "
                          "(rabbitmq-server -detached, as root) or run make test as root")
        run("rabbitmq-server", "-detached", check=False)
        if not wait_until(lambda: port_open("127.0.0.1", 5672), 90):
            raise Missing("make test started rabbitmq-server but nothing listens on "
                          "127.0.0.1:5672; see /var/log/rabbitmq/")
    return {"HONUA_TEST_BROKER_URL": BROKER_URL}


# -- Node.js (the ArcGIS Maps SDK for JavaScript test client) ---------------------------------


def node() -> dict[str, str]:
    if not (shutil.which("node") and shutil.which("npm")):
        apt_install("nodejs", "npm")
    return {}


# -- Chromium (the browser tests drive Debian's build through Playwright) ----------------------

CHROMIUM = "/usr/bin/chromium"


def chromium() -> dict[str, str]:
    if not Path(CHROMIUM).exists():
        apt_install("chromium", "chromium-driver")
    return {}


SERVICES: dict[str, Callable[[], dict[str, str]]] = {"postgres": postgres,
                                                     "rabbitmq": rabbitmq, "node": node,
                                                     "chromium": chromium}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("services", nargs="*", metavar="service",
                        help=f"some of: {', '.join(SERVICES)} (default: all)")
    parser.add_argument("--env", type=Path, help="write the tests' environment variables here")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.services) - set(SERVICES))
    if unknown:
        parser.error(f"unknown service {unknown[0]!r}; use {', '.join(SERVICES)}")
    environment: dict[str, str] = {}
    try:
        for name in args.services or list(SERVICES):
            environment.update(SERVICES[name]())
    except subprocess.CalledProcessError as exc:
        output = (exc.stderr or exc.stdout or "").strip().splitlines()
        raise Missing(f"make test could not set up its services: {' '.join(exc.cmd)} failed"
                      f"{': ' + output[-1] if output else ''}") from None
    if args.env is not None:
        args.env.write_text("".join(f"{key}={value}\n" for key, value in environment.items()))


if __name__ == "__main__":
    main()
