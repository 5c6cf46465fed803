"""The dnscc exception tree. Every error a user can cause derives from DnsccError.

    DnsccError                  exit 1   something went wrong; the message says what
    ├── UsageError              exit 2   the command line is wrong
    ├── InputError              exit 65  a file or value is malformed (names file, line, field)
    │   └── ValidationErrors    exit 65  several InputErrors collected from one input
    ├── NotFoundError           exit 66  a named thing (TLD, organisation, user) does not exist
    ├── UnavailableError        exit 69  a needed program or service is missing or not answering
    ├── ConflictError           exit 75  the request clashes with the current state
    ├── PermissionDenied        exit 77  the caller may not do this
    └── ConfigError             exit 78  a setting is missing or has a bad value

Exit codes follow BSD sysexits.h so that scripts can tell the cases apart.
"""

from __future__ import annotations

from dataclasses import dataclass


class DnsccError(Exception):
    """Base of every error that dnscc reports to a user instead of a traceback."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  fix: {self.hint}"
        return self.message


class UsageError(DnsccError):
    exit_code = 2


@dataclass(frozen=True)
class Location:
    """Where in an input a problem is: file, 1-based line, and field (any may be unknown)."""

    file: str | None = None
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.field:
            parts.append(f"field {self.field!r}")
        return ", ".join(parts) if parts else "input"


MAX_MESSAGE = 500


class InputError(DnsccError):
    exit_code = 65

    def __init__(
        self, message: str, *, location: Location | None = None, hint: str | None = None
    ) -> None:
        self.location = location or Location()
        if len(message) > MAX_MESSAGE:
            # An error never echoes a huge value in full (a 5 MB label gave 5 MB of error).
            message = f"{message[:MAX_MESSAGE]}... ({len(message)} characters in all)"
        self.problem = message
        full = f"{self.location}: {message}" if location else message
        super().__init__(full, hint=hint)

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.location.file,
            "line": self.location.line,
            "field": self.location.field,
            "error": self.problem,
        }


class ValidationErrors(InputError):
    """Several problems found in one input; `errors` keeps each with its location."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        lines = "\n".join(f"  {e}" for e in errors[:50])
        more = f"\n  ... and {len(errors) - 50} more" if len(errors) > 50 else ""
        super().__init__(f"{len(errors)} problem(s):\n{lines}{more}")


class NotFoundError(DnsccError):
    exit_code = 66


class UnavailableError(DnsccError):
    exit_code = 69


class ConflictError(DnsccError):
    exit_code = 75


class PermissionDenied(DnsccError):
    exit_code = 77


class ConfigError(DnsccError):
    exit_code = 78
