"""KTAB's two scenario formats in one namespace: :mod:`.ktab_csv` and :mod:`.ktab_xml`.

The readers live in their own modules (CSV: ``SMPModel::csvRead``; XML:
``SMPModel::xmlRead``); this module keeps ``detente.case.formats.ktab.read_ktab_csv`` and
friends working for code written before the split.
"""

from __future__ import annotations

from detente.case.formats._ktab import format_number, format_salience
from detente.case.formats.ktab_csv import read_ktab_csv, write_ktab_csv
from detente.case.formats.ktab_xml import MODEL_PARAMETERS, read_ktab_xml, write_ktab_xml

__all__ = [
    "MODEL_PARAMETERS",
    "format_number",
    "format_salience",
    "read_ktab_csv",
    "read_ktab_xml",
    "write_ktab_csv",
    "write_ktab_xml",
]
