"""RSS: one sync worker's resident memory over RSS_REQUESTS requests of six shapes in turn,
sent by wrk with a Lua script that matches each answer to its shape by its status and body."""

from __future__ import annotations

import json
import signal
import statistics
import subprocess
from pathlib import Path

from bench.config import RSS_CHUNKS, RSS_CONNECTIONS, RSS_REQUESTS, THREADS, WRK
from bench.load import Scenario, Server, drain, memory_mb, wrk_result

# --- RSS: one worker's memory ---------------------------------------------------------------------

# How each request shape's answer is told apart by its status and body, most specific first:
# the six shapes go out in turn over the same connections, so an answer is matched by content.
RSS_SIGNS = [
    ("P1", '"access_token"'),
    ("P7", '"active": true'),
    ("P3", '"app": {'),
    ("P2", '"invalid_client"'),
    ("P4", "</html>"),
    ("B", "ok"),  # the whole body
]
RSS_LUA = """
local shapes = %(shapes)s
local signs = %(signs)s
local limit = %(limit)d
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  prepared, kinds, sent, answered = {}, {}, 0, 0
  for i, shape in ipairs(shapes) do
    prepared[i] = wrk.format(shape.method, shape.path, shape.headers, shape.body)
  end
end
function request()
  sent = sent + 1
  return prepared[(sent - 1) %% #prepared + 1]
end
local function kind(status, body)
  for _, sign in ipairs(signs) do
    if status == sign.status and ((sign.whole and body == sign.text) or
        (not sign.whole and string.find(body, sign.text, 1, true))) then
      return sign.key
    end
  end
  return "other " .. status
end
function response(status, headers, body)
  local k = kind(status, body)
  kinds[k] = (kinds[k] or 0) + 1
  answered = answered + 1
  if answered == limit then io.write("STOPPED\\n"); io.flush(); wrk.thread:stop() end
end
function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for k, count in pairs(thread:get("kinds")) do merged[k] = (merged[k] or 0) + count end
  end
  local parts = {}
  for k, count in pairs(merged) do table.insert(parts, string.format('"%%s": %%d', k, count)) end
  io.write(string.format(
    'BENCH {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, "kinds": {%%s}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    table.concat(parts, ", ")))
end
"""


def _lua(value) -> str:
    """A Lua literal of a JSON-like value (ASCII strings)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in value.items() if v is not None) + "}"
    if isinstance(value, list):
        return "{" + ", ".join(_lua(v) for v in value) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def rss_script(shapes: list[Scenario], limit: int) -> str:
    by_key = {shape.key: shape for shape in shapes}
    signs = [
        {"key": key, "status": by_key[key].expect, "text": text, "whole": key == "B"}
        for key, text in RSS_SIGNS
    ]
    requests = [
        {"method": s.method, "path": s.path, "headers": s.request_headers(), "body": s.body} for s in shapes
    ]
    return RSS_LUA % {"shapes": _lua(requests), "signs": _lua(signs), "limit": limit}


def _run_until_stopped(command: list[str], threads: int) -> dict:
    """A wrk run whose threads each stop after their share of answers, interrupted as soon as
    the first one says STOPPED (or ending at -d). Not later: a stopped wrk thread can leave a
    connection open with no request sent, which the one sync worker would sit reading until
    gunicorn's timeout killed it while the other thread's requests waited behind it."""
    load = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603
    lines, stopped = [], False
    for line in load.stdout:
        lines.append(line)
        if line.startswith("STOPPED") and not stopped:
            load.send_signal(signal.SIGINT)
            stopped = True
    load.wait()
    return wrk_result("RSS", "".join(lines), load.stderr.read())


def measure_rss(server: Server, shapes: list[Scenario], directory: Path) -> dict:
    """RSS: the one sync worker's resident memory after every tenth of RSS_REQUESTS requests of
    B, P1, P2, P3, P4 and P7 in turn (RSS_CONNECTIONS connections), and each answer matched
    to its shape (RSS_SIGNS)."""
    (worker,) = server.worker_pids()
    script = directory / "RSS.lua"
    command = [
        WRK, f"-t{THREADS}", f"-c{RSS_CONNECTIONS}", "-d600s", "--timeout", "10s", "-s", str(script),
        server.base + server.probe,
    ]  # fmt: skip
    kinds: dict[str, int] = {}
    series, runs = [], []
    print(f"RSS: {RSS_REQUESTS:,} requests on one sync worker (pid {worker})...")
    # Chunks until RSS_REQUESTS are answered: each a tenth, or what is left if less (a chunk
    # ends with its first thread, so ten of them fall a few requests short and an eleventh
    # sends those, not another tenth).
    for _ in range(2 * RSS_CHUNKS):
        left = RSS_REQUESTS - sum(kinds.values())
        if left <= 0:
            break
        share = min(RSS_REQUESTS // RSS_CHUNKS, left)
        script.write_text(rss_script(shapes, -(-share // THREADS)))
        result = _run_until_stopped(command, THREADS)
        drain(server)
        runs.append(result)
        for key, count in result["kinds"].items():
            kinds[key] = kinds.get(key, 0) + count
        if server.worker_pids() != [worker]:
            print(f"  the worker was replaced; the server's log:\n{server.log.read_text()[-3000:]}")
            break
        series.append((sum(kinds.values()), memory_mb(worker)))
        print(f"  {series[-1][0]:,} requests: {series[-1][1]} MB, {result['kinds']}")
    seconds = sum(run["duration_us"] for run in runs) / 1e6
    return {
        "series": series,  # (requests answered, memory_mb of the worker), after each tenth
        "kinds": kinds,
        "rate": sum(kinds.values()) / seconds,
        "p50_ms": statistics.median(run["p50_us"] for run in runs) / 1000,
        "p99_ms": statistics.median(run["p99_us"] for run in runs) / 1000,
        "same_worker": len(series) == len(runs) and sum(kinds.values()) >= RSS_REQUESTS,
    }
