"""A redis-server of a test's own on a free port (so that a password, a policy or a restart disturbs no
other test): ``with private_redis(folder, password="…") as url:``."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from processes import wait_for
from smtp_server import free_port


@contextmanager
def private_redis(
    folder: Path, *, password: str | None = None, maxmemory_policy: str = "noeviction"
) -> Iterator[str]:
    """Start ``redis-server`` (no persistence) in ``folder``; yield its URL; stop it at the end."""
    port = free_port()
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder)]
    argv += ["--save", "", "--appendonly", "no", "--maxmemory-policy", maxmemory_policy]
    if password is not None:
        argv += ["--requirepass", password]
    server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://{f':{password}@' if password else ''}127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        wait_for(lambda: _answers(client), timeout=20, what=f"redis-server on port {port}")
        yield url
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=20)


def _answers(client: redis.Redis[bytes]) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
