"""Measure the web app against a live server: launch-to-ready time and time to first streamed token.

    .venv/bin/python scripts/bench_app.py [--port 7899] [--questions 10] [--out bench-app.json]

Starts `python app.py` as a separate process (the index must already exist, or the build time is
counted too), polls the page until it answers (ready time), then asks questions through the /chat
API with gradio_client and records, per question, the time from submitting to the first streamed
text and to the final answer. Targets: ready <= 15 s, first token <= 300 ms warm (extractive).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "Qu'est-ce que le « Pass Drones » adopté par le conseil régional ?",
    "Combien d'euros la task-force régionale pour la défense doit-elle mobiliser ?",
    "Combien de territoires se sont engagés dans la phase II de « Territoires d'industrie » ?",
    "De combien la région a-t-elle réduit les délais d'implantation des entreprises ?",
    "Combien de fiches variables le collège de prospective a-t-il élaborées ?",
    "Où se sont tenues les Assises régionales de la défense ?",
    "Quels ports stratégiques la Région met-elle en avant pour la défense ?",
    "Quelle enveloppe d'investissement est prévue dans le cadre du Fonds Vert ?",
]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen, timeout: float) -> float:
    """Seconds until `url` answers 200 (the process is started just before calling this)."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"the app exited with code {proc.returncode} before it was ready (see its output above)")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"the app was not ready after {timeout:.0f} s")


def ask_timed(client, question: str) -> dict:
    """Times to the first streamed text and to the final result of one /chat call."""
    t0 = time.perf_counter()
    job = client.submit(question, api_name="/chat")
    first = None
    updates = 0
    last = None
    for out in job:
        updates += 1
        if first is None and out and out[0]:
            first = time.perf_counter() - t0
        last = out
    total = time.perf_counter() - t0
    result = last[1] if last else None
    return {"question": question, "first_token_ms": None if first is None else first * 1000, "total_ms": total * 1000,
            "updates": updates, "ok": isinstance(result, dict) and "error" not in result,
            "abstained": bool(result and result.get("abstained"))}


def summary(values: list[float]) -> dict:
    values = sorted(v for v in values if v is not None)
    if not values:
        return {}
    p90 = values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]
    return {"median": round(statistics.median(values), 1), "p90": round(p90, 1), "min": round(values[0], 1),
            "max": round(values[-1], 1), "n": len(values)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=None, help="port for the app (default: a free one)")
    parser.add_argument("--questions", type=int, default=16, help="timed questions after the warm-up")
    parser.add_argument("--timeout", type=float, default=180, help="seconds to wait for the app to be ready")
    parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")
    args = parser.parse_args()

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "NO_PROXY": "127.0.0.1,localhost"}
    port = args.port or free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port)], cwd=ROOT, env=env)
    try:
        ready_s = wait_ready(url, proc, args.timeout)
        print(f"ready in {ready_s:.2f} s", file=sys.stderr)
        from gradio_client import Client

        client = Client(url, analytics_enabled=False, verbose=False)
        for q in QUESTIONS[:2]:  # warm-up: first calls pay for lazy imports and caches
            ask_timed(client, q)
        runs = [ask_timed(client, QUESTIONS[i % len(QUESTIONS)]) for i in range(args.questions)]
        client.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    result = {
        "ready_s": round(ready_s, 2),
        "first_token_ms": summary([r["first_token_ms"] for r in runs]),
        "total_ms": summary([r["total_ms"] for r in runs]),
        "updates_per_answer": summary([r["updates"] for r in runs]),
        "all_answered": all(r["ok"] for r in runs),
        "targets": {"ready_s": 15, "first_token_ms": 300},
    }
    result["meets_targets"] = bool(result["ready_s"] <= 15 and result["first_token_ms"]
                                   and result["first_token_ms"]["median"] <= 300)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
