"""The error raised for bad uncertainty, sensitivity, what-if and intervention inputs."""

from __future__ import annotations

from detente.errors import DetenteError

__all__ = ["UncertaintyError"]


class UncertaintyError(DetenteError):
    """A sweep, sensitivity run, what-if file or intervention search got unusable input."""
