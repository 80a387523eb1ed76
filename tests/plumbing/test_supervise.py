"""`make run` runs the Procfile under supervisord: a process that dies is
started again by itself, one that keeps failing is retried with a growing
pause, and Ctrl-C stops everything."""
from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tracker_common.supervise import parse_procfile, supervisord_conf
from tracker_common.testing import wait_until

ROOT = Path(__file__).resolve().parents[2]


def test_every_procfile_process_is_a_supervised_program_that_restarts_with_its_command():
    from supervisor.datatypes import RestartUnconditionally
    from supervisor.options import ServerOptions

    processes = parse_procfile((ROOT / "deploy" / "Procfile").read_text())
    assert {"identity", "providers", "capacity", "search", "notifications", "reporting", "gateway"} <= set(processes)
    conf = Path(os.environ["VAR_DIR"]) / "supervisord-test.conf"
    conf.write_text(supervisord_conf(processes, ROOT, Path(os.environ["VAR_DIR"])))
    options = ServerOptions()
    options.configfile = str(conf)
    options.process_config(do_usage=False)
    [group] = options.process_group_configs  # stopped together on Ctrl-C
    programs = {config.name: config for config in group.process_configs}
    assert set(programs) == set(processes)
    for name, config in programs.items():
        assert config.command == "/bin/sh -c " + shlex.quote(f"exec {processes[name]}")
        assert config.autorestart is RestartUnconditionally and config.startretries > 10
        assert config.stopasgroup and config.killasgroup


def _pids(pid_dir: Path, name: str) -> list[int]:
    return [int(p.read_text()) for p in sorted(pid_dir.glob(f"{name}-*"))]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def supervised(tmp_path):
    """supervisord over a Procfile of two processes that write their pid."""
    pid_dir = tmp_path / "pids"
    pid_dir.mkdir()
    record = f"{sys.executable} -c \"import os,time; open('{pid_dir}/'+os.environ['NAME']+'-'+str(time.time()),'w')" \
             ".write(str(os.getpid())); time.sleep(600)\""
    failing = f"{sys.executable} -c \"import os,time; open('{pid_dir}/failing-'+str(time.time()),'w')" \
              ".write(str(os.getpid())); raise SystemExit(3)\""
    (tmp_path / "Procfile").write_text(f"steady: env NAME=steady {record}\nfailing: {failing}\n")
    env = {**os.environ, "VAR_DIR": str(tmp_path / "var")}
    supervisor = subprocess.Popen([sys.executable, "-m", "tracker_common.supervise", str(tmp_path / "Procfile")],
                                  cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
    yield supervisor, pid_dir
    if supervisor.poll() is None:
        os.killpg(supervisor.pid, signal.SIGKILL)
        supervisor.wait()


@pytest.mark.slow
def test_a_killed_process_is_started_again_and_ctrl_c_stops_everything(supervised):
    supervisor, pid_dir = supervised
    first = wait_until(lambda: _pids(pid_dir, "steady"), timeout=20, message="the process to start")[0]
    time.sleep(6)  # past startsecs: it counts as running
    os.kill(first, signal.SIGKILL)
    second = wait_until(lambda: _pids(pid_dir, "steady")[1:], timeout=10, message="a restart")[0]
    assert second != first and _alive(second)

    supervisor.send_signal(signal.SIGINT)  # what Ctrl-C sends
    assert supervisor.wait(timeout=30) == 0
    assert not _alive(second), "the supervised process outlived Ctrl-C"


@pytest.mark.slow
def test_a_process_that_keeps_failing_is_retried_with_a_growing_pause(supervised):
    supervisor, pid_dir = supervised
    starts = wait_until(lambda: (lambda s: s if len(s) >= 4 else None)(sorted(pid_dir.glob("failing-*"))),
                        timeout=30, message="four attempts")
    times = [float(p.name.split("-", 1)[1]) for p in starts]
    pauses = [b - a for a, b in zip(times, times[1:])]
    assert pauses[2] > pauses[0] + 0.5, pauses  # 1 s, 2 s, 3 s ...


def test_docker_compose_restarts_every_long_running_service():
    import yaml

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    one_off = {name for name, service in services.items() if service.get("restart") == "no"}
    assert one_off == {"setup"}
    missing = [name for name, service in services.items()
               if name not in one_off and service.get("restart") not in ("unless-stopped", "always", "on-failure")]
    assert missing == []


@pytest.mark.slow
def test_ctrl_c_stops_every_process_at_once_killing_those_that_ignore_sigterm(tmp_path):
    from tracker_common.supervise import STOP_WAIT_S

    pid_dir = tmp_path / "pids"
    pid_dir.mkdir()
    stubborn = (f"{sys.executable} -c \"import os,signal,time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                f"open('{pid_dir}/'+str(os.getpid()),'w'); time.sleep(600)\"")
    (tmp_path / "Procfile").write_text(f"one: {stubborn}\ntwo: {stubborn}\nthree: {stubborn}\n")
    supervisor = subprocess.Popen([sys.executable, "-m", "tracker_common.supervise", str(tmp_path / "Procfile")],
                                  cwd=tmp_path, env={**os.environ, "VAR_DIR": str(tmp_path / "var")},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        pids = wait_until(lambda: (lambda p: p if len(p) == 3 else None)([int(f.name) for f in pid_dir.iterdir()]),
                          timeout=20, message="three processes")
        time.sleep(1)
        asked = time.monotonic()
        supervisor.send_signal(signal.SIGINT)
        supervisor.wait(timeout=3 * STOP_WAIT_S + 10)
        took = time.monotonic() - asked
    finally:
        if supervisor.poll() is None:
            os.killpg(supervisor.pid, signal.SIGKILL)
    assert not any(_alive(pid) for pid in pids)
    assert took < STOP_WAIT_S + 8, f"stopped one after another ({took:.0f} s)"
