"""Child processes and free ports for the SIP rig (sipp, kamailio) on 127.0.0.1.

Children run in their own session, so that one process-group id (= the child's own
PID) covers everything they fork (kamailio forks workers, sipp starts RTP threads only)
and `stop()` can end all of it without looking up processes by name.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

HOST = "127.0.0.1"
_handed_out: set[int] = set()  # ports this process already gave away, never reused


def free_udp_port(host: str = HOST) -> int:
    """A UDP port nobody is bound to right now (the OS picks; we never repeat one)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((host, 0))
            port = int(sock.getsockname()[1])
        if port not in _handed_out and port != 5060:
            _handed_out.add(port)
            return port
    raise RuntimeError("no free UDP port")


def free_sip_port(host: str = HOST, *, count: int = 1) -> int:
    """A port P for `count` baresip workers: worker i binds UDP and TCP on P+i and TCP
    on P+i+1 (its TLS listener), so every one of those must be free, not just UDP P
    (a TCP socket on P+1 once made a worker fail with "Address already in use")."""
    for _ in range(50):
        base = free_udp_port(host)
        wanted = [(socket.SOCK_DGRAM, base + i) for i in range(count)]
        wanted += [(socket.SOCK_STREAM, base + i) for i in range(count + 1)]
        if base + count >= 65536 or any(base + i in _handed_out for i in range(1, count + 1)):
            continue
        if all(_bindable(host, kind, port) for kind, port in wanted):
            _handed_out.update(range(base, base + count + 1))
            return base
    raise RuntimeError("no free SIP port range")


def _bindable(host: str, kind: socket.SocketKind, port: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port_pair(host: str = HOST, *, span: int = 4) -> int:
    """An even port P with P..P+span-1 free: RTP on P, RTCP on P+1 (RFC 3550 11), and
    sipp's second media socket on P+2 (its "video" port) with RTCP on P+3."""
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20000, 60000 - span, 2)
        ports = range(base, base + span)
        if any(p in _handed_out for p in ports):
            continue
        socks: list[socket.socket] = []
        try:
            for p in ports:
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(sock)
                sock.bind((host, p))
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
        _handed_out.update(ports)
        return base
    raise RuntimeError("no free even port range")


def udp_bound(port: int, host: str = HOST) -> bool:
    """Is some socket bound to host:port (or the wildcard) over UDP? Read from /proc."""
    wanted = {_proc_addr(host), "00000000"}
    try:
        lines = Path("/proc/net/udp").read_text().splitlines()[1:]
    except OSError:
        return False
    for line in lines:
        local = line.split()[1]
        addr, _, hexport = local.partition(":")
        if int(hexport, 16) == port and addr in wanted:
            return True
    return False


def _proc_addr(host: str) -> str:
    return socket.inet_aton(host)[::-1].hex().upper()  # little-endian, as the kernel prints


def group_members(pgid: int) -> list[int]:
    """PIDs in process group `pgid` that are not zombies (a zombie is already dead; who
    reaps it depends on the container's init, not on us)."""
    return [pid for pid, _ppid, pgrp in _live_processes() if pgrp == pgid]


def live_children(ppid: int, marker: bytes = b"") -> list[int]:
    """PIDs of the live (not zombie) children of `ppid` whose command line holds `marker`."""
    found = []
    for pid, parent, _pgrp in _live_processes():
        if parent != ppid:
            continue
        try:
            if marker in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            continue  # it ended meanwhile
    return found


def _live_processes() -> Iterator[tuple[int, int, int]]:
    """(pid, ppid, pgrp) of every process that is not a zombie, read from /proc."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()  # after "(comm)": state ppid pgrp ...
        if len(fields) > 2 and fields[0] != "Z":
            yield int(entry.name), int(fields[1]), int(fields[2])


def wait_until(check: Callable[[], bool], *, timeout_s: float, interval_s: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout_s
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval_s)


def _kill_and_reap(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            pass


class ChildProcess:
    """One external program with its output in a log file; stopped by PID, always reaped."""

    def __init__(self, argv: Sequence[str], *, cwd: Path, log_path: Path) -> None:
        self.argv = list(argv)
        self.cwd = cwd
        self.log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None
        self._finalizer: weakref.finalize[[subprocess.Popen[bytes]], ChildProcess] | None = None

    def start(self) -> None:
        if self._proc is not None:
            raise RuntimeError("already started")
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # Last line of defence when nobody calls stop(): at garbage collection or
        # interpreter exit, kill the group and reap.
        self._finalizer = weakref.finalize(self, _kill_and_reap, self._proc)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return self._proc.poll() if self._proc else None

    def wait(self, timeout_s: float) -> int | None:
        if self._proc is None:
            return None
        try:
            return self._proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def group_alive(self) -> bool:
        """Is any live process of the child's group (its workers too) still there?"""
        return bool(self._proc and group_members(self._proc.pid))

    def stop(self, *, sig: int = signal.SIGTERM, timeout_s: float = 5.0) -> int | None:
        """Signal the child, wait, then SIGKILL its whole group; reap in every case."""
        proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None:
            try:
                proc.send_signal(sig)
            except ProcessLookupError:
                pass
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self._kill_group()
            proc.wait(timeout=5.0)
        # Workers may outlive a dead parent: give them a moment, then kill what is left.
        if not wait_until(lambda: not self.group_alive(), timeout_s=2.0):
            self._kill_group()
            wait_until(lambda: not self.group_alive(), timeout_s=2.0)
        if self._finalizer is not None:
            self._finalizer.detach()
        return proc.returncode

    def _kill_group(self) -> None:
        if self._proc is None:
            return
        try:
            os.killpg(self._proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


class RigProcess:
    """What every rig process (sipp, Kamailio) on HOST:port shares: its address and
    state, and use as a context manager that always stops it."""

    port: int
    _child: ChildProcess | None

    def start(self) -> object:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._child.pid if self._child else None

    @property
    def running(self) -> bool:
        return self._child is not None and self._child.running

    def processes_alive(self) -> bool:
        return self._child is not None and self._child.group_alive()
