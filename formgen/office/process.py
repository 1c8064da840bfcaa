"""One long-lived, locked-down LibreOffice process, driven through ``bridge.py``.

Each :class:`OfficeProcess` owns a private temporary directory holding its own user
profile, HOME and TMPDIR, so processes never share state and nothing is written to
the user's home. The bridge (run by the Python that has LibreOffice's ``uno`` module)
and the ``soffice`` it starts form one process group, which is killed as a whole when
LibreOffice hangs or dies, when the converter closes, at exit and on SIGTERM/SIGHUP.

Safety: the profile disables macros and blocks every link that a document makes to
the outside (``BlockUntrustedRefererLinks`` stops linked images being fetched, over
http or from local files); documents are loaded read-only, with macros never executed
and links never updated. Where the system allows it, LibreOffice also runs in an empty
network namespace (``unshare --net``), so it has no network at all.

``bridge.py`` beside this file is started with the Python that has LibreOffice's
``uno`` module (usually Debian's ``/usr/bin/python3`` with python3-uno); it must not
import anything from formgen.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from functools import cache
from pathlib import Path

from formgen.exceptions import ConversionError
from formgen.fonts import fonts_conf, require_families
from formgen.messages import Message, msg

BRIDGE = Path(__file__).with_name("bridge.py")  # run by LibreOffice's Python, not imported
STARTUP_TIMEOUT = 60.0

# Read by LibreOffice at start-up from <profile>/user/registrymodifications.xcu.
_SETTINGS = [
    # Never run macros: highest security level, and macro execution switched off.
    ("org.openoffice.Office.Common/Security/Scripting", "MacroSecurityLevel", "3"),
    ("org.openoffice.Office.Common/Security/Scripting", "DisableMacrosExecution", "true"),
    # Do not fetch anything a document links to (external images, http or file).
    ("org.openoffice.Office.Common/Security/Scripting", "BlockUntrustedRefererLinks", "true"),
    # Writer: never update links when loading (0 always, 1 on request, 2 never).
    ("org.openoffice.Office.Writer/Content/Update", "Link", "2"),
    # Text with no language of its own is Simplified Chinese, so CJK glyphs are SC.
    ("org.openoffice.Office.Linguistic/General", "DefaultLocale_CJK", "zh-CN"),
    # No "document recovery" state, no Java.
    ("org.openoffice.Office.Recovery/RecoveryInfo", "Enabled", "false"),
    ("org.openoffice.Office.Java/VirtualMachine", "Enable", "false"),
]


class OfficeFault(Exception):
    """LibreOffice hung, died or would not start. The process group has been killed."""

    def __init__(self, message: Message):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


@cache
def soffice_path() -> str:
    """LibreOffice's ``soffice``: ``FORMGEN_SOFFICE`` when set (and then only that), else the usual places."""
    chosen = os.environ.get("FORMGEN_SOFFICE")
    if chosen:
        if os.access(chosen, os.X_OK):
            return chosen
        raise ConversionError(msg("office.soffice-not-a-program", path=chosen))
    for candidate in (
        shutil.which("soffice"),
        "/usr/lib/libreoffice/program/soffice",
        "/opt/libreoffice/program/soffice",
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise ConversionError(msg("office.not-installed"))


def _imports_uno(python: str) -> bool:
    if not os.access(python, os.X_OK):
        return False
    probe = subprocess.run([python, "-I", "-c", "import uno"], capture_output=True, timeout=30)
    return probe.returncode == 0


@cache
def uno_python() -> str:
    """The first Python that can ``import uno`` (Debian: python3-uno); ``FORMGEN_UNO_PYTHON`` when set."""
    chosen = os.environ.get("FORMGEN_UNO_PYTHON")
    if chosen:
        if _imports_uno(chosen):
            return chosen
        raise ConversionError(msg("office.uno-python-unusable", path=chosen))
    for candidate in (
        "/usr/bin/python3",
        "/usr/lib/libreoffice/program/python",
        "/opt/libreoffice/program/python",
    ):
        if _imports_uno(candidate):
            return candidate
    raise ConversionError(msg("office.no-bridge"))


@cache
def _netns_prefix() -> tuple[str, ...]:
    """``unshare --net --`` when this system lets us cut LibreOffice off the network."""
    unshare = shutil.which("unshare")
    if unshare and os.environ.get("FORMGEN_NO_NETNS") != "1":
        try:
            ok = subprocess.run([unshare, "--net", "true"], capture_output=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return ()
        if ok.returncode == 0:
            return (unshare, "--net", "--")
    return ()


def _registry() -> str:
    items = "".join(
        f'<item oor:path="/{path}"><prop oor:name="{name}" oor:op="fuse">'
        f"<value>{value}</value></prop></item>\n"
        for path, name, value in _SETTINGS
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        f"{items}</oor:items>\n"
    )


class OfficeProcess:
    """A started LibreOffice with its bridge. Use from one thread at a time."""

    def __init__(
        self, startup_timeout: float = STARTUP_TIMEOUT, isolate_network: bool = True
    ) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="formgen-office-"))
        self.log_path = self.root / "office.log"
        self.scratch = self.root / "out"
        """Where LibreOffice writes PDFs; the caller moves them out."""
        self._buf = b""
        self._last_log = ""
        self._proc: subprocess.Popen[bytes] | None = None
        try:
            self._start(startup_timeout, isolate_network)
        except BaseException:
            self.kill()
            raise

    def _start(self, startup_timeout: float, isolate_network: bool) -> None:
        home, tmp, profile = self.root / "home", self.root / "tmp", self.root / "profile"
        for d in (home, tmp, profile / "user", self.scratch):
            d.mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(_registry(), "utf-8")
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PYTHON", "XDG_", "SAL_", "DISPLAY", "WAYLAND", "VIRTUAL_ENV"))
        }
        env.update(
            HOME=str(home),
            TMPDIR=str(tmp),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_CACHE_HOME=str(home / ".cache"),
            XDG_DATA_HOME=str(home / ".local" / "share"),
            SAL_USE_VCLPLUGIN="svp",
            LANG=env.get("LANG") or "C.UTF-8",
        )
        # Only formgen's fonts, each template font drawn by its listed family.
        require_families()
        env["FONTCONFIG_FILE"] = str(fonts_conf())
        prefix = _netns_prefix() if isolate_network else ()
        config = {
            "soffice": soffice_path(),
            "prefix": list(prefix),
            "profile": profile.as_uri(),
            "pipe": f"formgen_{os.getpid()}_{uuid.uuid4().hex[:12]}",
            "startup_timeout": startup_timeout,
        }
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(
                [uno_python(), "-I", str(BRIDGE), json.dumps(config)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                cwd=self.root,
                env=env,
                start_new_session=True,  # its own process group, away from our Ctrl-C
            )
        _register(self)
        try:
            ready = self._read(startup_timeout + 5)
        except OfficeFault as e:
            raise OfficeFault(msg("office.not-started", reason=e.message, log=self._last_log)) from None
        if not ready.get("ready"):
            self.kill()
            raise OfficeFault(msg("office.not-started", reason=str(ready.get("error")), log=""))

    @property
    def pid(self) -> int | None:
        """Process id of the bridge, which is also the process group id."""
        return self._proc.pid if self._proc else None

    def office_pids(self) -> list[int]:
        """Process ids of the ``soffice.bin`` processes in this worker's group (Linux)."""
        if not self.alive():
            return []
        found = []
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path("/proc", entry.name, "stat").read_text()
            except OSError:
                continue
            comm = stat[stat.find("(") + 1 : stat.rfind(")")]
            fields = stat[stat.rfind(")") + 2 :].split()
            if comm == "soffice.bin" and len(fields) > 2 and int(fields[2]) == self.pid:
                found.append(int(entry.name))
        return found

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def convert(self, src: Path, dst: Path, filter_name: str | None, timeout: float,
                pdf_options: dict[str, object] | None = None,
                export: str | None = None) -> str | None:
        """Write ``dst`` from ``src`` (a PDF, or in the ``export`` filter's format). None on
        success, else why the document failed.

        ``pdf_options`` are LibreOffice's PDF export settings (its FilterData), e.g.
        ``{"SelectPdfVersion": 2}`` for PDF/A-2b.

        Raises OfficeFault (after killing the process) when LibreOffice does not answer
        within ``timeout`` seconds or dies.
        """
        request: dict[str, object] = {"in": str(src), "out": str(dst), "filter": filter_name,
                                     "export": export}
        if pdf_options:
            request["pdf"] = pdf_options
        if not self.alive():
            raise OfficeFault(msg("office.stopped"))
        assert self._proc is not None and self._proc.stdin is not None
        try:
            self._proc.stdin.write(json.dumps(request).encode() + b"\n")
            self._proc.stdin.flush()
        except (OSError, ValueError):
            self.kill()
            raise OfficeFault(msg("office.stopped")) from None
        answer = self._read(timeout)
        if answer.get("fatal"):
            self.kill()
            error = answer.get("error")
            raise OfficeFault(msg("office.failed", detail=str(error)) if error else msg("office.stopped"))
        return None if answer.get("ok") else str(answer.get("error") or "unknown error")

    def _read(self, timeout: float) -> dict:
        """The bridge's next answer; OfficeFault if none comes within ``timeout`` s."""
        deadline = time.monotonic() + timeout
        try:
            assert self._proc is not None and self._proc.stdout is not None
            fd = self._proc.stdout.fileno()
            poller = select.poll()
            poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
            while b"\n" not in self._buf:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.kill()
                    raise OfficeFault(msg("office.timeout", seconds=float(timeout)))
                if not poller.poll(max(1, int(left * 1000))):
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise OSError("end of output")
                self._buf += chunk
        except (OSError, ValueError):  # gone, or killed from another thread (at exit)
            self.kill()
            raise OfficeFault(msg("office.stopped")) from None
        line, _, self._buf = self._buf.partition(b"\n")
        try:
            answer = json.loads(line)
        except ValueError:
            self.kill()
            raise OfficeFault(msg("office.bridge-said", line=repr(line[:200]))) from None
        if not isinstance(answer, dict):
            self.kill()
            raise OfficeFault(msg("office.bridge-said", line=repr(line[:200])))
        return answer

    def stop(self, grace: float = 10.0) -> None:
        """Ask LibreOffice to quit, kill it if it does not, remove its files."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            try:
                assert proc.stdin is not None
                proc.stdin.close()  # the bridge ends LibreOffice and exits
                proc.wait(grace)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()

    def kill(self) -> None:
        """Kill the whole process group at once and remove the private directory."""
        proc = self._proc
        if proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)
            for stream in (proc.stdin, proc.stdout):
                try:
                    if stream:
                        stream.close()
                except OSError:
                    pass
        _unregister(self)
        with contextlib.suppress(OSError):  # keep the end of the log for error messages
            tail = self.log_path.read_text("utf-8", "replace").strip().splitlines()[-3:]
            self._last_log = f" ({' / '.join(tail)})" if tail else ""
        shutil.rmtree(self.root, ignore_errors=True)


# ---- clean-up of every process still running: at exit and on SIGTERM / SIGHUP ----

_live: set[OfficeProcess] = set()
_live_lock = threading.Lock()
_exiting = False
_atexit_installed = False
_signals_installed = False


def _register(p: OfficeProcess) -> None:
    with _live_lock:
        _live.add(p)
        if _exiting:
            raise OfficeFault(msg("office.exiting"))


def _unregister(p: OfficeProcess) -> None:
    with _live_lock:
        _live.discard(p)


def kill_all() -> None:
    """Kill every LibreOffice this program started; none can be started after this."""
    global _exiting
    with _live_lock:
        _exiting = True
        live = list(_live)
    for p in live:
        p.kill()


def _on_signal(signum: int, frame: object) -> None:
    kill_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def install_cleanup() -> None:
    """Kill LibreOffice processes at exit and on SIGTERM/SIGHUP (Ctrl-C ends in exit)."""
    global _atexit_installed, _signals_installed
    with _live_lock:
        if not _atexit_installed:
            _atexit_installed = True
            atexit.register(kill_all)
        if _signals_installed or threading.current_thread() is not threading.main_thread():
            return
        _signals_installed = True
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) is signal.SIG_DFL:
            signal.signal(sig, _on_signal)
