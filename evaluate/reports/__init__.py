"""Reports of a comparison or leaderboard: one module per file format, one registry line
each. The terminal view lives in ``console``; shared formatting in ``common``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from t2iqa.core.registry import LazyRegistry

if TYPE_CHECKING:  # the formats import the comparison (scipy): only when one is rendered
    from t2iqa.reports.base import ReportFormat

REPORT_FORMATS: LazyRegistry[ReportFormat] = LazyRegistry({
    "markdown": "t2iqa.reports.markdown:MarkdownReport",
    "junit": "t2iqa.reports.junit:JUnitReport",
    "html": "t2iqa.reports.html:HTMLReport",
})  # fmt: skip


def report_format(name: str) -> ReportFormat:
    """The registered format called ``name``, ready to render."""
    from t2iqa.core.errors import T2IQAError

    if name not in REPORT_FORMATS:
        raise T2IQAError(f"unknown report format {name!r}; available: {', '.join(REPORT_FORMATS)}")
    return REPORT_FORMATS[name]()


def render(name: str, result: object) -> str:
    """``result`` (a ``Comparison`` or a ``Leaderboard``) in the format called ``name``."""
    from t2iqa.comparison.compare import Comparison
    from t2iqa.core.errors import T2IQAError

    fmt = report_format(name)
    if isinstance(result, Comparison):
        return fmt.comparison(result)
    if not fmt.ranks:
        raise T2IQAError(
            f"the {name} report gates one candidate against one baseline: name exactly two "
            "runs, without --rank"
        )
    return fmt.leaderboard(result)  # type: ignore[arg-type]


__all__ = ["REPORT_FORMATS", "ReportFormat", "render", "report_format"]


def __getattr__(name: str) -> object:
    """``ReportFormat`` for those who subclass it, imported when first asked for."""
    if name == "ReportFormat":
        from t2iqa.reports.base import ReportFormat

        return ReportFormat
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
