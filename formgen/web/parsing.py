"""What visitors send (an uploaded file, an API body) is read in a child process of its own.

Each read runs in a fresh process forked from a fork server that has formgen loaded, so
it starts in milliseconds. The child may use PARSE_MEMORY bytes more than it starts with
(its address space is capped) and PARSE_SECONDS of CPU time; the app kills it when it has
not answered after PARSE_SECONDS of wall-clock time. The app's event loop only waits
for the child's answer, in a thread, so one hostile upload never stalls other visitors:
they keep being answered while it is read and refused. At most PARSE_JOBS reads run at
once; a read that finds no free place within PARSE_SECONDS is refused as busy.

The load stage's own limits (:mod:`formgen.load.limits`, UPLOAD) apply inside the child;
these limits are the backstop for whatever work those do not foresee.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import resource
import signal
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from starlette.concurrency import run_in_threadpool

from formgen.bounds import Refused, json_loads
from formgen.exceptions import DataFileError, FormgenError
from formgen.load.limits import UPLOAD, LimitExceeded, Limits, check_record
from formgen.messages import Message, msg

PARSE_SECONDS = 10.0
"""Wall-clock (and CPU) seconds one read may take."""
PARSE_MEMORY = 512 * 1024 * 1024
"""Bytes of memory one read may use beyond what its process starts with."""
PARSE_JOBS = 4
"""Reads running at once."""
BODY_NAME = "body.json"
"""How an API body is named in messages about it."""


class ParseRefused(FormgenError):
    """The read was stopped by a limit of its process (time or memory), or found no place."""

    def __init__(self, message: Message, status: int):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ParseLimits:
    """The limits of one read's process."""

    seconds: float = PARSE_SECONDS
    memory: int = PARSE_MEMORY
    jobs: int = PARSE_JOBS


# ----------------------------------------------------------------------------- the child


def _address_space() -> int:
    """The bytes of address space this process has now (Linux), else 0."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limit_self(memory: int, seconds: float) -> None:
    """Cap this process: memory beyond its size now, CPU seconds, no core file."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    cpu = math.ceil(seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    base = _address_space()
    if base:
        resource.setrlimit(resource.RLIMIT_AS, (base + memory, base + memory))


def _child(conn: Connection, func: Callable[..., Any], args: tuple[Any, ...],
           memory: int, seconds: float) -> None:
    """Run ``func(*args)`` under the limits and send back what came of it."""
    try:
        _limit_self(memory, seconds)
        answer: tuple[Any, ...] = ("done", func(*args))
    except DataFileError as e:
        answer = ("refused", e.file, e.reason)
    except MemoryError:
        answer = ("memory",)
    try:
        conn.send(answer)
    except MemoryError:
        conn.send(("memory",))
    finally:
        conn.close()


def read_json_body(data: bytes, limits: Limits = UPLOAD) -> Any:
    """The JSON value of an API body (runs in the child); DataFileError when it is not
    JSON, gives a key twice, or is nested deeper or holds more values than ``limits``
    allow."""
    try:
        value = json_loads(data.decode("utf-8-sig"))
    except Refused as e:  # a key given twice
        raise DataFileError(BODY_NAME, e.message) from e
    except RecursionError as e:
        raise DataFileError(BODY_NAME, msg("file.too-deep", limit=limits.depth)) from e
    except (UnicodeDecodeError, ValueError) as e:
        raise DataFileError(BODY_NAME, msg("api.body-not-json", detail=str(e))) from e
    if isinstance(value, dict):
        try:
            check_record(value, limits)
        except LimitExceeded as e:
            raise DataFileError(BODY_NAME, e.message) from e
    return value


# ----------------------------------------------------------------------------- the app's side


class Parser:
    """Runs reads in child processes under :class:`ParseLimits`."""

    def __init__(self, limits: ParseLimits | None = None):
        self.limits = limits or ParseLimits()
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload([__name__])
        self._slots: asyncio.Semaphore | None = None

    def start(self) -> None:
        """Start the fork server now rather than at the first read (it loads formgen)."""
        from multiprocessing import forkserver

        forkserver.ensure_running()

    async def json_body(self, data: bytes) -> Any:
        """The JSON value of an API body; DataFileError or ParseRefused when refused."""
        return await self.run(read_json_body, data)

    async def run(self, func: Callable[..., Any], *args: Any) -> Any:
        """``func(*args)`` in a child process under the limits, the event loop left free."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limits.jobs)
        try:
            await asyncio.wait_for(self._slots.acquire(), timeout=self.limits.seconds)
        except TimeoutError:
            raise ParseRefused(msg("parse.busy"), 429) from None
        try:
            answer = await run_in_threadpool(self._run_blocking, func, args)
        finally:
            self._slots.release()
        if answer[0] == "done":
            return answer[1]
        if answer[0] == "refused":
            raise DataFileError(answer[1], answer[2])
        if answer[0] == "memory":
            raise ParseRefused(msg("parse.out-of-memory", megabytes=self.limits.memory // 2**20), 413)
        raise ParseRefused(msg("parse.too-slow", seconds=self.limits.seconds), 413)

    def _run_blocking(self, func: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, ...]:
        receiver, sender = self._context.Pipe(duplex=False)
        child = self._context.Process(
            target=_child, args=(sender, func, args, self.limits.memory, self.limits.seconds),
            daemon=True, name="formgen-parse",
        )
        child.start()
        sender.close()
        try:
            if not receiver.poll(self.limits.seconds):
                return ("timeout",)
            try:
                answer: tuple[Any, ...] = receiver.recv()
            except (EOFError, OSError):  # killed: its CPU time ran out, or the memory
                child.join(1)
                return ("timeout",) if child.exitcode == -signal.SIGXCPU else ("memory",)
            return answer
        finally:
            if child.is_alive():
                child.kill()
            child.join()
            receiver.close()

