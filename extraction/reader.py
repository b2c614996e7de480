"""The reader process: files are parsed in a child process with a wall-time limit and a memory cap, so that a
decompression bomb, a pathological page or a parser that never returns costs one file, not the batch.

One child serves file after file over a pipe and is replaced when it overruns its time or dies (a parser that
runs out of its address space, ``RLIMIT_AS``). It is started with ``spawn``: the parent holds the encoder's
threads, which a forked child must not inherit, and the child imports only the loaders.
"""

from __future__ import annotations

import logging
import multiprocessing
import resource
import signal
import time
import warnings
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from extraction.limits import Limits, refusal
from extraction.loaders import LoadedDocument, load_export, load_file
from kg.errors import ConfigError, LoadError
from kg.export import GraphView

_Reply = tuple[str, LoadedDocument | GraphView | str]
STARTUP_SECONDS = 60


def _serve(conn: Connection, limits: Limits) -> None:
    """The child: read each path sent until ``None``, reply with the document or the reason it was refused."""
    # Ctrl-C reaches the whole process group: the parent decides when to stop, the child finishes its file.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A parser's own complaints about a damaged file (pypdf's "EOF marker not found") are not the user's report:
    # the refusal is, once.
    logging.getLogger().addHandler(logging.NullHandler())
    warnings.simplefilter("ignore")
    resource.setrlimit(resource.RLIMIT_AS, (limits.max_memory, limits.max_memory))
    conn.send(("ready", ""))
    while (path := conn.recv()) is not None:
        reply: _Reply
        try:
            reply = ("ok", load_export(Path(path)) or load_file(Path(path), limits))
        except LoadError as e:
            reply = ("refused", e.reason)
        except MemoryError:
            reply = ("refused", refusal("max_memory", "reading it needs more memory", limits.max_memory))
        except RecursionError:
            reply = ("refused", "nested too deeply for its parser")
        except Exception as e:  # a parser's own bug on a damaged file must cost that file only
            reply = ("refused", f"cannot parse: {type(e).__name__}: {e}")
        conn.send(reply)


class Reader:
    """Reads files in a child process within ``limits``; use as a context manager, or ``close()`` it."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._context = multiprocessing.get_context("spawn")
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._busy = False  # a file was sent and its reply not yet received

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def read_all(self, paths: Sequence[Path]) -> Iterator[tuple[Path, LoadedDocument | GraphView | LoadError]]:
        """Each path with its document (or, for a kgrag export, the records it holds) or the ``LoadError`` that
        refused it, in order. The next file is read while the caller works on the one yielded: one request is
        always in flight."""
        if not paths:
            return
        sent = self._send(paths[0])
        for i, path in enumerate(paths):
            result = self._receive(path, sent)
            if i + 1 < len(paths):
                sent = self._send(paths[i + 1])
            yield path, result

    def ready(self) -> bool:
        """Whether the file in flight has been read (or none is in flight): the caller would not wait for it."""
        return not self._busy or (self._conn is not None and self._conn.poll(0))

    def close(self) -> None:
        """Let an idle reader exit; one still reading a file (the caller stopped early) is ended at once."""
        if not self._busy and self._conn is not None and self._process is not None and self._process.is_alive():
            try:
                self._conn.send(None)
                self._process.join(timeout=5)
            except (OSError, ValueError):
                pass
        self._stop()

    def _send(self, path: Path) -> float:
        if self._process is None or not self._process.is_alive():
            self._start()
        assert self._conn is not None
        self._conn.send(str(path))
        self._busy = True
        return time.monotonic()

    def _receive(self, path: Path, sent: float) -> LoadedDocument | GraphView | LoadError:
        assert self._conn is not None and self._process is not None
        remaining = self.limits.max_seconds - (time.monotonic() - sent)
        self._busy = False
        try:
            ready = self._conn.poll(max(remaining, 0))
            if ready:
                status, value = self._conn.recv()
                return value if status == "ok" else LoadError(path, value)  # type: ignore[return-value]
        except (EOFError, OSError):
            self._process.join(timeout=5)
            code = self._process.exitcode
            self._stop()
            reason = refusal(
                "max_memory", f"the reader process died reading it (exit code {code})", self.limits.max_memory
            )
            return LoadError(path, reason)
        self._stop()
        return LoadError(path, refusal("max_seconds", "reading it took too long", self.limits.max_seconds))

    def _start(self) -> None:
        self._stop()
        parent, child = self._context.Pipe()
        self._process = self._context.Process(
            target=_serve, args=(child, self.limits), daemon=True, name="kgrag-reader"
        )
        self._process.start()
        child.close()
        self._conn = parent
        # A file's time starts when the reader is ready: starting Python and importing the loaders is not its cost.
        try:
            ready = parent.poll(STARTUP_SECONDS) and parent.recv() == ("ready", "")
        except (EOFError, OSError):
            ready = False
        if not ready:
            self._stop()
            raise ConfigError(f"the reader process did not start within {STARTUP_SECONDS} s")

    def _stop(self) -> None:
        """End the child at once: it overran its time, died, or is no longer needed."""
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join(timeout=5)
            self._process.close()
        if self._conn is not None:
            self._conn.close()
        self._process = None
        self._conn = None
