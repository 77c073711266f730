"""Totals by any level of the geography, with coverage."""

from testigo.tally.aggregate import Coverage, TallyResult, TallyRow, tally

__all__ = ["Coverage", "TallyResult", "TallyRow", "tally"]
