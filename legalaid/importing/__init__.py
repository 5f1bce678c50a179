"""CSV/XLSX import with validation: one transaction per file, every bad row reported, nothing half-done.

``import_file(rt, "cases", Path("cases.csv"))`` upserts on the kind's key (consultations are appended,
once per file); ``write_csv`` and ``write_xlsx`` write files in the same format. Errors read
``file:row:column: message``: the row as a spreadsheet numbers it (the header is row 1, or below a title:
see _header), the column as the file names it, ``-`` when the problem is the file or a whole row; the
same problems as objects in ``ImportFailed.problems``. ``import_rows`` takes rows already in memory (JSON
objects keyed by the column names) through the same checks and writing.
"""

from legalaid.importing._errors import ImportFailed, ImportProblem
from legalaid.importing._importer import OnChanges, import_file, import_rows
from legalaid.importing._kinds import KINDS, Shape, kind_headers, kind_shapes, kind_vocabularies
from legalaid.importing._progress import SILENT, ProgressDisplay, Ticker
from legalaid.importing._result import AssignmentChange, DecisionChange, ImportResult
from legalaid.importing._rows import Row
from legalaid.importing._steps import OutOfOrder, out_of_order
from legalaid.importing._values import FIRST_YEAR, LAST_YEAR
from legalaid.importing._writing import write_csv, write_xlsx
from legalaid.steps import NOT_BEFORE, STEPS

__all__ = [
    "FIRST_YEAR",
    "KINDS",
    "LAST_YEAR",
    "NOT_BEFORE",
    "STEPS",
    "AssignmentChange",
    "DecisionChange",
    "ImportFailed",
    "ImportProblem",
    "ImportResult",
    "OutOfOrder",
    "OnChanges",
    "Row",
    "ProgressDisplay",
    "SILENT",
    "Shape",
    "Ticker",
    "import_file",
    "import_rows",
    "kind_headers",
    "kind_shapes",
    "kind_vocabularies",
    "out_of_order",
    "write_csv",
    "write_xlsx",
]
