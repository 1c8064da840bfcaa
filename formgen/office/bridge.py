"""Keep one LibreOffice process running and convert documents on request.

Run with the Python that can ``import uno`` (Debian: ``/usr/bin/python3`` with
python3-uno). Talks JSON lines: the parent writes one request per line on stdin, the
bridge answers one line per request on stdout.

    start:  python3 -I bridge.py '{"soffice": ..., "profile": "file:///...", "pipe": ...,
                                   "prefix": [...], "startup_timeout": 60}'
    ready:  {"ready": true, ...}                     (or {"ready": false, "error": ...})
    ask:    {"in": "/abs/a.docx", "out": "/private/x.pdf", "filter": "MS Word 2007 XML",
             "pdf": {"SelectPdfVersion": 2}, "export": "writer_pdf_Export"}
             (pdf: the PDF export's FilterData, optional; export: the filter, default PDF,
              "MS Word 2007 XML" for DOCX)
    answer: {"ok": true} | {"ok": false, "error": "..."} | {..., "fatal": true}
    stop:   close stdin (or send {"quit": true})

"fatal": true means LibreOffice itself is gone or unusable; the bridge exits after
saying so. The bridge, its LibreOffice and everything they start share one process
group, so the parent can kill them all at once. If the parent dies, the bridge kills
that group itself.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException
from com.sun.star.lang import DisposedException

NEVER_EXECUTE = 0  # com.sun.star.document.MacroExecMode.NEVER_EXECUTE
NO_UPDATE = 0  # com.sun.star.document.UpdateDocMode.NO_UPDATE


def prop(name, value):
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


def kill_group(*_):
    try:
        os.killpg(0, signal.SIGKILL)
    finally:
        os._exit(1)


def watch_parent(parent):
    """Kill the whole group as soon as the parent is gone (e.g. it was SIGKILLed)."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            kill_group()


class Office:
    def __init__(self, cfg, log):
        self.cfg = cfg
        url = f"pipe,name={cfg['pipe']};urp;StarOffice.ComponentContext"
        cmd = list(cfg.get("prefix") or []) + [
            cfg["soffice"],
            "--headless",
            "--invisible",
            "--nologo",
            "--norestore",
            "--nodefault",
            "--nolockcheck",
            "--nofirststartwizard",
            "-env:UserInstallation=" + cfg["profile"],
            "--accept=" + url,
        ]
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, close_fds=True
        )
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local
        )
        deadline = time.monotonic() + float(cfg.get("startup_timeout", 60))
        while True:
            try:
                ctx = resolver.resolve("uno:" + url)
                break
            except NoConnectException:
                if self.proc.poll() is not None:
                    code = self.proc.returncode
                    raise RuntimeError(
                        f"LibreOffice exited during start-up (code {code})"
                    ) from None
                if time.monotonic() > deadline:
                    raise RuntimeError("LibreOffice did not start in time") from None
                time.sleep(0.05)
        self.desktop = ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.Desktop", ctx
        )

    def convert(self, src, dst, filter_name, pdf_options=None, export="writer_pdf_Export"):
        """Load ``src`` safely and export it to ``dst`` (PDF, or with ``export`` another
        format; ``pdf_options``: the PDF filter's data).

        Returns the answer for the parent and the document, still to be closed: the
        parent can move the PDF on while LibreOffice closes the document.
        """
        load = [
            prop("Hidden", True),
            prop("ReadOnly", True),
            prop("MacroExecutionMode", NEVER_EXECUTE),
            prop("UpdateDocMode", NO_UPDATE),
            prop("RepairPackage", False),
        ]
        if filter_name:
            load.append(prop("FilterName", filter_name))
        url = uno.systemPathToFileUrl(src)
        # If the export fails, load afresh and try once more before blaming the document.
        for attempt in (1, 2):
            try:
                doc = self.desktop.loadComponentFromURL(url, "_blank", 0, tuple(load))
            except Exception as e:  # IOException, IllegalArgumentException, ...
                self.check_alive(e)
                return {"ok": False, "error": f"LibreOffice could not open it ({_why(e)})"}, None
            if doc is None:
                return {"ok": False, "error": "LibreOffice could not open it"}, None
            try:
                if not doc.supportsService("com.sun.star.text.TextDocument"):
                    close(doc)
                    return {"ok": False, "error": "it is not a text document"}, None
                store = [prop("FilterName", export), prop("Overwrite", True)]
                if pdf_options:
                    data = tuple(prop(k, v) for k, v in pdf_options.items())
                    store.append(prop(
                        "FilterData", uno.Any("[]com.sun.star.beans.PropertyValue", data)
                    ))
                # uno.invoke: a plain call would not pass the typed FilterData sequence on.
                uno.invoke(doc, "storeToURL", (uno.systemPathToFileUrl(dst), tuple(store)))
                return {"ok": True, "attempts": attempt}, doc
            except Exception as e:
                self.check_alive(e)
                close(doc)
                error = e
        return {"ok": False, "error": f"LibreOffice could not write the PDF ({_why(error)})"}, None

    def check_alive(self, e):
        """Re-raise ``e`` if it means LibreOffice itself is gone, not the document."""
        if isinstance(e, DisposedException) or self.proc.poll() is not None:
            raise e
        try:
            self.desktop.getFrames().getCount()
        except Exception:
            raise e from None

    def stop(self):
        with contextlib.suppress(Exception):
            self.desktop.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            kill_group()


def close(doc):
    try:
        doc.close(True)
    except Exception:
        with contextlib.suppress(Exception):
            doc.dispose()


def _why(e):
    msg = getattr(e, "Message", "") or str(e) or type(e).__name__
    return msg.strip().splitlines()[0] if msg.strip() else type(e).__name__


def main():
    cfg = json.loads(sys.argv[1])
    # Answers go to the original stdout only; anything else printed lands in the log.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    signal.signal(signal.SIGTERM, kill_group)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    threading.Thread(target=watch_parent, args=(os.getppid(),), daemon=True).start()

    def say(obj):
        try:
            out.write(json.dumps(obj) + "\n")
            out.flush()
        except OSError:  # the parent is gone (e.g. killed mid-conversion): take LibreOffice along
            kill_group()

    try:
        office = Office(cfg, sys.stderr)
    except Exception as e:
        say({"ready": False, "error": _why(e)})
        kill_group()
    say({"ready": True, "soffice_pid": office.proc.pid})
    for line in sys.stdin:
        req = json.loads(line)
        if req.get("quit"):
            break
        try:
            answer, doc = office.convert(
                req["in"], req["out"], req.get("filter"), req.get("pdf"),
                req.get("export") or "writer_pdf_Export",
            )
        except Exception as e:  # the connection to LibreOffice is gone
            say({"ok": False, "fatal": True, "error": f"LibreOffice stopped ({_why(e)})"})
            kill_group()
        say(answer)
        if doc is not None:
            close(doc)
    office.stop()


if __name__ == "__main__":
    main()
