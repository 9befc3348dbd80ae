"""What a report format is: a name, a file suffix, and a renderer for each kind of result.

A new format is one module with one ``ReportFormat`` subclass plus one line in
``t2iqa.reports.REPORT_FORMATS``; ``t2iqa compare --report NAME=PATH`` then writes it.
"""

from __future__ import annotations

from typing import ClassVar

from t2iqa.comparison.compare import Comparison
from t2iqa.comparison.leaderboard import Leaderboard


class ReportFormat:
    name: ClassVar[str]
    suffix: ClassVar[str]  # the usual file ending, e.g. ".md"
    description: ClassVar[str]  # one line for --help and error messages
    # False for formats that only describe a gate (JUnit: a pass/fail per test case).
    ranks: ClassVar[bool] = True

    def comparison(self, cmp: Comparison) -> str:
        """A baseline and a candidate: the gate's verdicts."""
        raise NotImplementedError

    def leaderboard(self, board: Leaderboard) -> str:
        """Three or more runs, or two with ``--rank``: who is best per check and category."""
        raise NotImplementedError(f"the {self.name} report describes a gate, not a ranking")
