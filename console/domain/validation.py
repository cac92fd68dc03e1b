"""A frozen report of field-level problems, the shape every rule returns and every view renders.

Errors block sending; warnings are shown but never block. Each problem carries a stable `code`
(for tests and logs), the `field` it belongs to (the API parameter name) and a `message` written
for a support agent. `spans` optionally point at character ranges in the text the agent typed,
so a view can highlight exactly the offending characters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    severity: Severity
    code: str
    message: str
    spans: tuple[tuple[int, int], ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


@dataclass(frozen=True, slots=True)
class ValidationReport:
    problems: tuple[Problem, ...] = ()

    @classmethod
    def of(cls, problems: Iterable[Problem]) -> ValidationReport:
        return cls(tuple(problems))

    @property
    def ok(self) -> bool:
        """True when nothing blocks sending (warnings may remain)."""
        return not any(p.is_error for p in self.problems)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.is_error)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if not p.is_error)

    def for_field(self, field: str) -> tuple[Problem, ...]:
        """This field's problems, errors first."""
        mine = [p for p in self.problems if p.field == field]
        return tuple(sorted(mine, key=lambda p: not p.is_error))

    def codes(self) -> set[str]:
        return {p.code for p in self.problems}

    def fields_with_errors(self) -> tuple[str, ...]:
        seen: list[str] = []
        for problem in self.errors:
            if problem.field not in seen:
                seen.append(problem.field)
        return tuple(seen)

    def merged(self, other: ValidationReport) -> ValidationReport:
        return ValidationReport(self.problems + other.problems)
