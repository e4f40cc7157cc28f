"""The README's Celery recipe runs as written: two real Celery workers (concurrency 4 each) on a real Redis
(broker, result backend and slot store), the local emulator as the API with a team limit of 3.

Only the hosts and folders of ``render.py`` are replaced (``redis.internal`` by a private redis-server on
127.0.0.1, ``/srv/render`` by a temporary folder). Figures checked: HTTP 429s at the emulator (0), tasks created
(= POSTs = Celery tasks sent), tasks lost after a worker process is killed with SIGKILL mid-task (0).
"""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import psutil
import pytest

from bench.redis_server import running_redis
from modellix_typed.emulator import EmulatorConfig, RunningEmulator, running_emulator

README = Path(__file__).resolve().parents[2] / "README.md"
KEY = "readme-celery-key"
WORKERS, CONCURRENCY = 2, 4
TASKS = 8  # one per worker process: without the shared team limit, 8 concurrent POSTs on a team of 3


def recipe() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)
    [block] = [b for b in blocks if "from celery import Celery" in b]
    return block


@attrs.frozen
class Farm:
    emulator: RunningEmulator
    app: ModuleType  # the README's render.py, imported here to send tasks
    folder: Path
    workers: list[subprocess.Popen[bytes]]

    @property
    def journals(self) -> Path:
        return self.folder / "journals"

    @property
    def files(self) -> Path:
        return self.folder / "files"

    def pool_processes(self) -> list[psutil.Process]:
        return [child for w in self.workers for child in psutil.Process(w.pid).children(recursive=True)]


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Farm]:
    code = recipe()
    assert code.count("redis://redis.internal:6379/") == 3 and code.count('"/srv/render/') == 2
    folder = tmp_path_factory.mktemp("celery")
    config = EmulatorConfig(api_keys=(KEY,), time_scale=0.2, concurrency_limit=3)  # an image task takes 1 s
    with running_redis() as redis_url, running_emulator(config) as emu:
        base = redis_url.rsplit("/", 1)[0]  # redis://127.0.0.1:PORT
        source = code.replace("redis://redis.internal:6379", base).replace('"/srv/render/', f'"{folder}/')
        (folder / "render.py").write_text(source, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("MODELLIX_")}
        env.update(MODELLIX_API_KEY=KEY, MODELLIX_BASE_URL=emu.base_url, MODELLIX_POLL_STATS="off",
                   MODELLIX_CONFIG_DIR=str(folder / "config"), PYTHONPATH=str(folder))
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "render", "worker", "--concurrency", str(CONCURRENCY),
                 "-n", f"render{n}@%h", "--loglevel", "warning", "--without-mingle", "--without-gossip"],
                cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=(folder / f"worker{n}.log").open("wb"),
            )
            for n in range(1, WORKERS + 1)
        ]
        spec = importlib.util.spec_from_file_location("render", folder / "render.py")
        assert spec is not None and spec.loader is not None
        app = importlib.util.module_from_spec(spec)
        sys.modules["render"] = app  # the tasks' names are render.render, as in the workers
        try:
            spec.loader.exec_module(app)
            deadline = time.monotonic() + 30
            while len(app.app.control.ping(timeout=0.3)) < WORKERS:
                assert time.monotonic() < deadline, _logs(folder)
                assert all(w.poll() is None for w in workers), _logs(folder)
            yield Farm(emu, app, folder, workers)
        finally:
            # The AsyncResults the tests made unsubscribe when collected: do it now, while Redis runs (collected
            # later, in another test of this worker, each would retry the stopped Redis for minutes).
            gc.collect()
            if "app" in locals() and hasattr(app, "app"):
                app.app.close()
            sys.modules.pop("render", None)
            for worker in workers:
                worker.send_signal(signal.SIGQUIT)  # a cold shutdown: every task has finished
            for worker in workers:
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()


def _logs(folder: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted(folder.glob("worker*.log")))


def _journal_events(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    events = []
    for line in lines:
        try:
            events.append(json.loads(line))
        except ValueError:
            break  # a line being written
    return events


def _submits(emu: RunningEmulator) -> list[int | None]:
    return [r["status"] for r in emu.stats()["requests"] if r["method"] == "POST"]


def _check_every_task_finished_once(farm: Farm, task_ids: list[str]) -> None:
    stats = farm.emulator.stats()
    assert 429 not in [r["status"] for r in stats["requests"]]  # not on a POST, not on a poll
    assert _submits(farm.emulator) == [200] * TASKS  # each paid POST sent once and accepted at the first try
    assert stats["tasks_created"] == TASKS == len(set(task_ids))
    saved = [p.name for p in farm.files.iterdir()]
    assert all(any(name.startswith(t) for name in saved) for t in task_ids), (saved, task_ids)


def test_two_workers_of_four_share_one_team_of_3_without_a_429(farm: Farm) -> None:
    farm.emulator.reset()
    sent = [farm.app.render.delay(f"poster {i}") for i in range(TASKS)]
    task_ids = [result.get(timeout=30) for result in sent]  # the Modellix task ids
    _check_every_task_finished_once(farm, task_ids)
    per_worker = {name: figures["total"].get("render.render", 0)
                  for name, figures in (farm.app.app.control.inspect(timeout=5, limit=WORKERS).stats() or {}).items()}
    assert len(per_worker) == WORKERS and all(per_worker.values()), per_worker  # both workers took tasks
    print(f"\ncelery: {TASKS} tasks, {farm.emulator.stats()['tasks_created']} created, 0 HTTP 429")


def test_a_worker_killed_with_sigkill_mid_task_loses_no_paid_task(farm: Farm) -> None:
    farm.emulator.reset()
    sent = [farm.app.render.delay(f"card {i}") for i in range(TASKS)]
    ours = {result.id for result in sent}
    victim = journal = None
    deadline = time.monotonic() + 20
    while victim is None:  # a pool process waiting on a Modellix task that it created (its id in the journal)
        assert time.monotonic() < deadline, "no task was seen running"
        for process in farm.pool_processes():
            try:
                held = [Path(f.path) for f in process.open_files() if f.path.endswith(".jsonl")]
            except psutil.Error:
                continue
            for path in held:
                events = _journal_events(path)
                created = [e["task_id"] for e in events if e["event"] == "task"]
                if path.stem in ours and created and not any(e["event"] == "done" for e in events):
                    victim, journal, paid = process, path, created[0]
                    break
            if victim is not None:
                break
        time.sleep(0.02)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=5)

    by_celery_id = {result.id: result.get(timeout=30) for result in sent}
    assert by_celery_id[journal.stem] == paid  # delivered again, it finished the task it had paid for
    events = _journal_events(journal)
    assert [e["task_id"] for e in events if e["event"] == "task"] == [paid]  # one POST in its journal
    assert any(e["event"] == "done" and e["status"] == "success" for e in events)
    assert any(e["event"] == "saved" for e in events)
    _check_every_task_finished_once(farm, list(by_celery_id.values()))
    print(f"\ncelery: killed pid {victim.pid} mid-task {paid}; {TASKS} tasks, "
          f"{farm.emulator.stats()['tasks_created']} created, 0 lost, 0 HTTP 429")
