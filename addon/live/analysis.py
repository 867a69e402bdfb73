"""The addon's own analysis of a capture: one core Analyzer, built only when reports or an exit code are
wanted (a viewer analyses the exchanges it is streamed itself)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from mcscope.core.config import Config
from mcscope.core.model import Exchange
from mcscope.core.session import Analyzer
from mcscope.io.journal import record_to_exchange
from mcscope.live.reports import Outcome, ReportRequest, write_reports


class Analysis:
    """Feeds exchanges to an Analyzer (the deltas are not needed: nobody is streamed findings)."""

    def __init__(self, config: Config, retained: Iterable[bytes] = ()) -> None:
        self.analyzer = Analyzer(config)
        for line in retained:
            self.analyzer.feed(record_to_exchange(json.loads(line)))

    def feed(self, ex: Exchange) -> None:
        self.analyzer.feed(ex)

    def finish(self, request: ReportRequest) -> Outcome:
        self.analyzer.finish()
        return write_reports(self.analyzer, request)
