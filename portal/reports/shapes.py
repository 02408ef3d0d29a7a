"""The shape of a report's content: the period it covers and its sections."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from portal.reports.past import AT_PERIOD_END


@dataclass
class Period:
    start: dt.date
    end: dt.date

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start 00:00, the day after end 00:00) in the portal's time zone."""
        tz = timezone.get_current_timezone()
        return (
            dt.datetime.combine(self.start, dt.time.min, tzinfo=tz),
            dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
        )


@dataclass
class Section:
    name: str  # file and sheet name: short, lowercase, no spaces
    title: str  # English, the catalogue's message id: the PDF summary shows it in the reader's language
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""  # English, a catalogue's message id: what in the section is not the period's
    # AT_PERIOD_END: the state at the period's end (or during it); AT_GENERATION: as it is when the
    # report is generated, since the past cannot be rebuilt from the record (labelled so).
    as_of: str = AT_PERIOD_END
