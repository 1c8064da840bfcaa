"""The convert stage: DOCX to PDF with warm, locked-down LibreOffice processes.

    process.py    one LibreOffice and its UNO bridge (bridge.py, run by LibreOffice's Python)
    converter.py  a pool of them: Converter, convert_files
    merge.py      documents of one template joined into one load, the PDF split again
"""

from formgen.office.converter import Converter, convert_files
from formgen.office.process import soffice_path

__all__ = ["Converter", "convert_files", "soffice_path"]
