"""Files run outside formgen's own interpreter.

``bridge.py`` is started by :mod:`formgen.convert` with the Python that has LibreOffice's
``uno`` module (usually Debian's ``/usr/bin/python3`` with ``python3-uno``). It must not
import anything from formgen.
"""
