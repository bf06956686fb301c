"""The underwriting graph as a server serves it, with a crash planted for the kill tests: the
server process is killed with SIGKILL when `BATON_TEST_KILL_NODE` starts (`start`), just as it
finishes before its writes are saved (`end`), or just after they are saved (`saved`,
`BATON_TEST_KILL_MOMENT`). Loaded only by tests, through a test copy of `langgraph.json`."""

from __future__ import annotations

import os
import signal
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

from graphs.kit.tracing import trace_all_runs
from graphs.underwriting import WORKFLOW

trace_all_runs()
graph = WORKFLOW.graph

NODE = os.environ["BATON_TEST_KILL_NODE"]
MOMENT = os.environ["BATON_TEST_KILL_MOMENT"]


class KillAt(BaseCallbackHandler):
    run_inline = True

    def __init__(self) -> None:
        self.runs: set[UUID] = set()

    def on_chain_start(
        self, serialized: Any, inputs: Any, *, run_id: UUID, metadata: Any = None, **kw: Any
    ) -> None:
        if kw.get("name") == NODE and (metadata or {}).get("langgraph_node") == NODE:
            if MOMENT == "start":
                os.kill(os.getpid(), signal.SIGKILL)
            self.runs.add(run_id)

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kw: Any) -> None:
        if MOMENT == "end" and run_id in self.runs:
            os.kill(os.getpid(), signal.SIGKILL)


if MOMENT == "saved":
    _put_writes = AsyncPostgresSaver.aput_writes

    async def _killing_put_writes(
        self: AsyncPostgresSaver, config: Any, writes: Any, task_id: str, task_path: str = ""
    ) -> None:
        await _put_writes(self, config, writes, task_id, task_path)
        if writes and task_path.split(", ")[-1].strip("~()'") == NODE:
            os.kill(os.getpid(), signal.SIGKILL)

    AsyncPostgresSaver.aput_writes = _killing_put_writes  # type: ignore[method-assign]

underwriting = graph.with_config(callbacks=[KillAt()]) if MOMENT != "saved" else graph
