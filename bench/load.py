"""gunicorn servers and the load wrk puts on them: the rows' request shapes, wrk runs, rounds."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.config import CONNECTIONS, ROOT, THREADS, WORKERS, WRK


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn in its own process group, stopped (the whole group) whatever happens: sync
    workers, or gthread ones when `threads` is more than 1."""

    def __init__(
        self, settings: str, env: dict, log: Path, probe: str, *, workers: int = WORKERS, threads: int = 1
    ):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.probe = probe
        command = [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
            "--error-logfile", str(log), "--log-level", "warning",
        ]  # fmt: skip
        if threads > 1:
            command += ["--worker-class", "gthread", "--threads", str(threads)]
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command,
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": settings},
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        self.log = log

    def wait_ready(self, timeout: float = 60) -> None:
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {self.log}\n{self.log.read_text()[-2000:]}")
            with contextlib.suppress(requests.RequestException):
                headers = {"X-Forwarded-Proto": "https"}
                response = requests.get(self.base + self.probe, headers=headers, timeout=5)
                if response.status_code < 500:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer on {self.base} within {timeout} s")

    def worker_pids(self) -> list[int]:
        """The master's children: its workers (/proc; psutil is not installed)."""
        pids = []
        for children in Path(f"/proc/{self.process.pid}/task").glob("*/children"):
            pids += [int(pid) for pid in children.read_text().split()]
        return sorted(pids)

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def memory_mb(pid: int) -> dict[str, float]:
    """A process's resident memory, in MB (10^6 bytes; /proc gives KiB): VmRSS, and its
    anonymous and file-backed parts (SQLite's memory-mapped database pages count as the latter)."""
    fields = ("VmRSS", "RssAnon", "RssFile")
    memory = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in fields:
            memory[name] = int(value.split()[0]) * 1024 / 1e6
    return memory


# --- wrk --------------------------------------------------------------------------------------

LUA_COLLECT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      merged[status] = (merged[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(merged) do table.insert(parts, string.format('"%d": %d', status, count)) end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"socket_errors": %d, "statuses": {%s}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, table.concat(parts, ", ")))
end
"""


@dataclass
class Scenario:
    key: str
    what: str
    server: str  # "portal", "bare" (B0) or "stock"
    path: str
    method: str = "GET"
    headers: dict = field(default_factory=dict)
    body: str | None = None
    expect: int = 200
    connections: int = CONNECTIONS
    answer: dict | None = None  # what the JSON body must hold (checked in-process)
    runs: list[dict] = field(default_factory=list)

    def copy(self, key: str, what: str) -> Scenario:
        """The same request under another row's name, with no runs yet."""
        return dataclasses.replace(self, key=key, what=what, runs=[])

    def request_headers(self) -> dict:
        headers = {"X-Forwarded-Proto": "https", **self.headers}
        if self.body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return headers

    def script(self, directory: Path) -> Path:
        lines = [f"wrk.method = {json.dumps(self.method)}"]
        if self.body is not None:
            lines.append(f"wrk.body = {json.dumps(self.body)}")
        lines += [
            f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in self.request_headers().items()
        ]
        path = directory / f"{self.key}.lua"
        path.write_text("\n".join(lines) + "\n" + LUA_COLLECT)
        return path

    def rate(self, run: dict) -> float:
        return run["requests"] / (run["duration_us"] / 1e6)

    def median(self, name: str) -> float:
        values = [self.rate(run) if name == "rate" else run[name] for run in self.runs]
        return statistics.median(values)

    def answers(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for run in self.runs:
            for status, count in run["statuses"].items():
                total[status] = total.get(status, 0) + count
            if run["socket_errors"]:
                total["socket errors"] = total.get("socket errors", 0) + run["socket_errors"]
        return total

    def all_expected(self) -> bool:
        answers = self.answers()
        return bool(answers) and set(answers) == {str(self.expect)}


def wrk_command(scenario: Scenario, server: Server, script: Path, seconds: int) -> list[str]:
    return [
        WRK, f"-t{min(THREADS, scenario.connections)}", f"-c{scenario.connections}", f"-d{seconds}s",
        "--timeout", "10s", "-s", str(script), server.base + scenario.path,
    ]  # fmt: skip


def wrk_result(key: str, stdout: str, stderr: str) -> dict:
    """What the scripts' done() printed (the line after BENCH)."""
    line = next((x for x in stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result for {key}:\n{stdout}\n{stderr}")
    return json.loads(line[6:])


def run_wrk(scenario: Scenario, server: Server, script: Path, seconds: int) -> dict:
    command = wrk_command(scenario, server, script, seconds)
    result = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    drain(server)
    return wrk_result(scenario.key, result.stdout, result.stderr)


def drain(server: Server) -> None:
    """Wait until the requests wrk left queued in the server are answered: one more request
    queues behind them, so the next row starts on an idle server."""
    import requests

    headers = {"X-Forwarded-Proto": "https"}
    requests.get(server.base + server.probe, headers=headers, allow_redirects=False, timeout=120)


def measure_rounds(
    scenarios: list[Scenario],
    servers: dict[str, Server],
    directory: Path,
    *,
    warmup: int,
    repetitions: int,
    duration: int,
) -> None:
    """A warm-up per row, then `repetitions` rounds over every row, round-robin so that drift
    hits every row alike; each run lands in its scenario's `runs`."""
    scripts = {s.key: s.script(directory) for s in scenarios}
    print(f"Warm-up ({warmup} s each), then {repetitions} rounds of {duration} s per row...")
    for scenario in scenarios:
        run_wrk(scenario, servers[scenario.server], scripts[scenario.key], warmup)
    for repetition in range(repetitions):
        for scenario in scenarios:
            result = run_wrk(scenario, servers[scenario.server], scripts[scenario.key], duration)
            scenario.runs.append(result)
            p50, p99 = result["p50_us"] / 1000, result["p99_us"] / 1000
            print(
                f"  round {repetition + 1} {scenario.key}: {scenario.rate(result):,.0f} req/s, "
                f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, {result['statuses']}"
            )
