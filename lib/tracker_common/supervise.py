"""Run every process of a Procfile under supervisord, which restarts a
process that exits (the Procfile stays the one list of what runs).

    python -m tracker_common.supervise deploy/Procfile

writes `$VAR_DIR/supervisord.conf` from the Procfile and runs supervisord in
the foreground: Ctrl-C (or SIGTERM) stops every process, each with SIGTERM
to its whole process group, then SIGKILL after STOP_WAIT_S. A process that
exits is started again at once if it had been running for START_S seconds;
one that keeps failing sooner is retried after 1 s, 2 s, 3 s ... (the
back-off), up to START_RETRIES times, then left stopped (FATAL) and
reported. While it runs, `supervisorctl -c $VAR_DIR/supervisord.conf status`
shows each process (`tracker:<name>`), its pid and uptime.
"""
from __future__ import annotations

import os
import re
import shlex
import sys
from pathlib import Path

# honcho's Procfile grammar: "name: command", one a line
PROCFILE_LINE = re.compile(r"^([A-Za-z0-9_-]+):\s*(.+)$")
START_S = 5
START_RETRIES = 60
STOP_WAIT_S = 20
GROUP = "tracker"  # supervisorctl names a process tracker:<name>


def parse_procfile(text: str) -> dict[str, str]:
    processes = {}
    for line in text.splitlines():
        match = PROCFILE_LINE.match(line.strip())
        if match:
            processes[match.group(1)] = match.group(2)
    return processes


def supervisord_conf(processes: dict[str, str], directory: Path, var_dir: Path) -> str:
    """supervisord's configuration: each process under /bin/sh (Procfile
    commands use the shell's ${VAR:-default}), its output to the terminal."""
    sections = [
        "[supervisord]", "nodaemon=true", f"logfile={var_dir / 'supervisord.log'}",
        f"pidfile={var_dir / 'supervisord.pid'}", "loglevel=info", "",
        "[unix_http_server]", f"file={var_dir / 'supervisor.sock'}", "chmod=0700", "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface", "",
        "[supervisorctl]", f"serverurl=unix://{var_dir / 'supervisor.sock'}", "",
    ]
    for name, command in processes.items():
        shell = "/bin/sh -c " + shlex.quote(f"exec {command}")
        sections += [
            f"[program:{name}]",
            f"command={shell.replace('%', '%%')}",
            f"directory={directory}",
            "autostart=true", "autorestart=true",
            f"startsecs={START_S}", f"startretries={START_RETRIES}",
            "stopsignal=TERM", f"stopwaitsecs={STOP_WAIT_S}", "stopasgroup=true", "killasgroup=true",
            "redirect_stderr=true", "stdout_logfile=/dev/stdout", "stdout_logfile_maxbytes=0", "",
        ]
    # One group: supervisord stops groups one after the other, so Ctrl-C
    # would otherwise wait up to STOP_WAIT_S for each process in turn.
    sections += [f"[group:{GROUP}]", f"programs={','.join(processes)}", ""]
    return "\n".join(sections)


def main(argv: list[str]) -> None:
    procfile = Path(argv[0] if argv else "deploy/Procfile").resolve()
    directory = Path.cwd()
    var_dir = Path(os.environ.get("VAR_DIR") or directory / "var").resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    conf = var_dir / "supervisord.conf"
    conf.write_text(supervisord_conf(parse_procfile(procfile.read_text()), directory, var_dir))
    supervisord = Path(sys.executable).with_name("supervisord")
    os.execv(str(supervisord), [str(supervisord), "-c", str(conf)])


if __name__ == "__main__":
    main(sys.argv[1:])
