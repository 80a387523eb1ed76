"""A private RabbitMQ node for tests and benchmarks that restart the broker:
its own node name, ports, data and logs under one directory, so stopping
it never touches the machine's broker (which others use).

    node = RabbitMQNode(tmp_dir).start()     # a few seconds
    node.amqp_uri                            # amqp://guest:guest@127.0.0.1:<port>/
    node.restart()                           # stop, then start on the same data
    node.stop()
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from .testing import free_port

# The scripts themselves: the /usr/sbin wrappers switch to the rabbitmq user,
# who could not write our directory.
SCRIPT_DIRS = ("/usr/lib/rabbitmq/bin", "/usr/local/lib/rabbitmq/bin", "/opt/homebrew/sbin", "/usr/local/sbin")


def _script(name: str) -> str | None:
    for directory in SCRIPT_DIRS:
        candidate = Path(directory) / name
        if candidate.exists():
            return str(candidate)
    return shutil.which(name)


def unavailable_reason() -> str | None:
    """Why a private node cannot run here, or None."""
    if _script("rabbitmq-server") is None or _script("rabbitmqctl") is None:
        return "rabbitmq-server is not installed on this machine"
    return None


def _free_dist_port() -> int:
    """A free port for Erlang distribution low enough that rabbitmqctl's own
    (this port + 10000 .. + 10010) exist: a higher one fails with
    `nodistribution`."""
    import random
    import socket

    for _ in range(100):
        port = random.randint(20000, 55000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port for Erlang distribution between 20000 and 55000")


class RabbitMQNode:
    def __init__(self, base_dir: Path, name: str = "tracker-private"):
        self.base = Path(base_dir)
        self.base.mkdir(parents=True, exist_ok=True)
        self.port, self.dist_port = free_port(), _free_dist_port()
        self.node = f"{name}-{self.port}@localhost"
        (self.base / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\nloopback_users = none\n")
        (self.base / "rabbitmq-env.conf").write_text("")  # not the machine's (its node name and port)
        (self.base / "enabled_plugins").write_text("[].\n")  # no management listener to clash
        self.env = {
            **os.environ,
            "HOME": str(self.base),  # the Erlang cookie the server and rabbitmqctl share
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq"),
            "RABBITMQ_CONF_ENV_FILE": str(self.base / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_PID_FILE": str(self.base / "rabbitmq.pid"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }
        self.running = False

    @property
    def amqp_uri(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def _ctl(self, *args: str, timeout: float = 90) -> None:
        done = subprocess.run([_script("rabbitmqctl"), "-q", "-n", self.node, *args], env=self.env,
                              capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {done.stdout}{done.stderr} (logs in {self.base})")

    def start(self) -> "RabbitMQNode":
        subprocess.run([_script("rabbitmq-server"), "-detached"], env=self.env, check=True,
                       capture_output=True, timeout=60)
        try:
            self._ctl("wait", str(self.base / "rabbitmq.pid"), "--timeout", "60")
        except Exception:
            self._kill()  # never leave a node nobody can reach
            raise
        self.running = True
        return self

    def _kill(self) -> None:
        import signal

        try:
            os.kill(int((self.base / "rabbitmq.pid").read_text().strip()), signal.SIGKILL)
        except (OSError, ValueError):
            pass

    def stop(self) -> None:
        if self.running:
            self._ctl("stop", str(self.base / "rabbitmq.pid"))
            self.running = False

    def restart(self, down_for: float = 0.0) -> float:
        """Stop the node, wait `down_for` seconds, start it again; returns
        the moment (time.monotonic()) it accepted connections again."""
        self.stop()
        time.sleep(down_for)
        self.start()
        return time.monotonic()
