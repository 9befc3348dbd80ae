"""Real services on 127.0.0.1 for the tests and benchmarks: a PostgreSQL server from Debian's
packages in a temporary folder, and a local S3-compatible server (moto's server mode).

Nothing is mocked: t2iqa talks to them exactly as to a team's database and bucket. Each
starts on a free port and is stopped (its folder removed) when its ``with`` block ends.
PostgreSQL refuses to run as root; as root, the server runs as the ``postgres`` system user
that Debian's package creates.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


class ServiceUnavailable(RuntimeError):
    """The service's programs are not installed here (say which package to install)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_bin() -> Path:
    """The folder of Debian's PostgreSQL server programs (initdb, pg_ctl)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise ServiceUnavailable(
            "PostgreSQL's server is not installed; install Debian's package: "
            "apt-get install postgresql (make system-deps does)"
        )
    return Path(found[-1]).parent


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    pwd.getpwnam("postgres")  # Debian's package makes this user
    return ["runuser", "-u", "postgres", "--", *cmd]


def _server_cmd(*args: object, check: bool = True) -> None:
    cmd = _as_server_user([str(a) for a in args])
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if check and done.returncode != 0:
        raise ServiceUnavailable(f"{' '.join(cmd)} failed: {done.stderr.strip()}")


@contextlib.contextmanager
def postgres_server(database: str = "t2iqa") -> Iterator[str]:
    """A fresh PostgreSQL server on 127.0.0.1; yields the URL of an empty ``database``."""
    bin_dir = postgres_bin()
    folder = Path(tempfile.mkdtemp(prefix="t2iqa-pg-"))
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    data, port, user = folder / "data", free_port(), "t2iqa"
    try:
        _server_cmd(bin_dir / "initdb", "-D", data, "-U", user, "-A", "trust", "--no-sync")
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off"
        _server_cmd(bin_dir / "pg_ctl", "-D", data, "-o", options, "-l", folder / "log", "-w",
                    "start")  # fmt: skip
        try:
            _server_cmd(bin_dir / "createdb", "-h", "127.0.0.1", "-p", port, "-U", user, database)
            yield f"postgresql://{user}@127.0.0.1:{port}/{database}"
        finally:
            _server_cmd(bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "stop", check=False)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def s3_server() -> Iterator[str]:
    """moto's S3-compatible server on 127.0.0.1; yields its endpoint URL. Credentials and the
    endpoint are set in the environment for boto/s3fs while it runs."""
    port = free_port()
    proc = subprocess.Popen(
        ["moto_server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    endpoint = f"http://127.0.0.1:{port}"
    saved = {k: os.environ.get(k) for k in _S3_ENV}
    os.environ.update(_S3_ENV, AWS_ENDPOINT_URL_S3=endpoint)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise ServiceUnavailable("moto_server did not start (pip install 'moto[server]')")
            time.sleep(0.1)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(10)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


_S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ENDPOINT_URL_S3": "",
}
