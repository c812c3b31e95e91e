"""What `plugin check` finds: a `Problem` says where (file, line) and how to fix it; a
`Report` holds the problems of one plugin folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Problem:
    """One mistake: `check` is its class, `fix` says what to do."""

    check: str
    message: str
    fix: str
    file: str | None = None
    line: int | None = None
    severity: str = "error"  # or "warning"

    @property
    def where(self) -> str:
        if not self.file:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass
class Report:
    path: Path
    problems: list[Problem] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)
    dist_name: str | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def checks_failed(self) -> set[str]:
        return {p.check for p in self.problems}
