"""Fixtures shared with the other events/compliance tests (tests/events/event_helpers.py)."""

from tests.events.event_helpers import location, run

__all__ = ["location", "run"]
