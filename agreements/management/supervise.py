"""Run several processes in the foreground as one: Ctrl-C or SIGTERM stops them all, and if one of them exits the
others are stopped too, so a half-running system is never left behind (used by run_embedded and serve)."""

import os
import signal
import subprocess
import time


def supervise(processes: dict[str, subprocess.Popen], *, grace: float, log) -> int:
    """Wait until a signal arrives or a process exits, then stop every process (SIGTERM, SIGKILL to its process
    group after `grace` seconds). Each process must lead its own session. Returns the exit code to use."""
    stopping = False

    def stop(*_args):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, process in processes.items():
            if process.poll() is not None:
                log(f"{name} exited with code {process.returncode}: stopping the others")
                exit_code, stopping = 1, True
                break
        time.sleep(0.3)
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for name, process in processes.items():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log(f"{name} did not stop within {grace:g}s: killed")
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            exit_code = 1
    return exit_code
