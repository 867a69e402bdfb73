"""The main window: sessions (left), timeline (centre), events (bottom), details (right).

This module is the layout and the wiring. What is shown and where the capture stands live in
:mod:`mcscope.gui.state` (the :class:`mcscope.gui.dataset.Dataset` on screen, the selected session, the
capture's bookkeeping); the stored settings in :mod:`mcscope.gui.settings`. Files are loaded by
:class:`mcscope.gui.feed.FileLoader` in a thread; live capture comes from :class:`mcscope.gui.feed.StreamClient`
connected to the mitmdump child supervised by :class:`mcscope.gui.proxyproc.ProxyProcess`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QBuffer,
    QIODevice,
    QItemSelectionModel,
    QModelIndex,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from mcscope.core.config import Config
from mcscope.core.session import Analyzer, Session
from mcscope.core.state import Event
from mcscope.gui import details, dialogs, exporting
from mcscope.gui.banner import Banner
from mcscope.gui.dataset import Dataset
from mcscope.gui.feed import FileLoader, LoadResult, StreamClient
from mcscope.gui.models import EventFilterProxy, EventTableModel, SessionFilterProxy, SessionListModel
from mcscope.gui.proxyproc import (
    RUNNING,
    STARTING,
    PortBusyError,
    ProxyProcess,
    describe_port_problem,
    free_port,
)
from mcscope.gui.settings import WindowSettings
from mcscope.gui.state import CaptureState, ViewState
from mcscope.gui.timeline.widget import TimelineWidget

if TYPE_CHECKING:
    from mcscope.gui.demo import Demo

log = logging.getLogger(__name__)

FLUSH_MS = 100
RATE_MS = 1000
FILE_FILTER = "Captures (*.mitm *.har *.ndjson *.jsonl *.journal *.json);;All files (*)"


#: severity filter choices: value -> (title, minimum severity, ignored only)
SEVERITY_CHOICES: list[tuple[str, str, int, bool]] = [
    ("all", "All events", 0, False),
    ("findings", "With findings", 1, False),
    ("warning", "Warnings and errors", 2, False),
    ("error", "Errors", 3, False),
    ("ignored", "Ignored by Adobe", 0, True),
]


_S = SessionListModel
SESSION_HIDDEN_COLUMNS = (_S.COL_PLAYER, _S.COL_START)
#: visual order of the session columns (problem counts first: they are what people scan for)
SESSION_COLUMN_ORDER = (_S.COL_STATUS, _S.COL_MEDIA, _S.COL_ERRORS, _S.COL_WARNINGS, _S.COL_DURATION,
                        _S.COL_EVENTS, _S.COL_IGNORED)
SESSION_COLUMN_WIDTHS = {_S.COL_STATUS: 96, _S.COL_MEDIA: 140, _S.COL_DURATION: 58, _S.COL_EVENTS: 50,
                         _S.COL_ERRORS: 44, _S.COL_WARNINGS: 62, _S.COL_IGNORED: 56}
_E = EventTableModel
EVENT_HIDDEN_COLUMNS = (_E.COL_WALL,)
EVENT_COLUMN_WIDTHS = {_E.COL_INDEX: 44, _E.COL_TIME: 68, _E.COL_TYPE: 120, _E.COL_PLAYHEAD: 72,
                       _E.COL_PARAMS: 190, _E.COL_HTTP: 44}


class MainWindow(QMainWindow):
    #: a load finished (ok flag); used by --screenshot and tests
    loaded = Signal(bool)
    #: data on screen changed (live records applied)
    updated = Signal()

    def __init__(self, settings: QSettings | None = None, message: dialogs.MessageFn | None = None,
                 proxy: ProxyProcess | None = None) -> None:
        super().__init__()
        self.setWindowTitle("mcscope — Media Collection API debugger")
        self.setAcceptDrops(True)
        self.settings = WindowSettings(settings)
        self.message: dialogs.MessageFn = message or dialogs.show_error
        self.view = ViewState(Dataset(config=self.settings.config(), live=True))
        self.capture = CaptureState()
        self._loader: FileLoader | None = None
        self._dirty = False
        self.demo: Demo | None = None

        self.proxy = proxy or ProxyProcess(self)
        self.proxy.setParent(self)
        self.proxy.config.host, self.proxy.config.port = self.settings.proxy_address()
        self.proxy.state_changed.connect(self._on_proxy_state)
        self.proxy.crashed.connect(self._on_proxy_crashed)
        self.feed = StreamClient(self)
        self.feed.hello.connect(self._on_hello)
        self.feed.snapshot.connect(self._on_snapshot)
        self.feed.records.connect(self._on_records)
        self.feed.gap.connect(self._on_gap)
        self.feed.failed.connect(self._on_feed_failed)
        self.feed.disconnected.connect(self._on_feed_disconnected)
        self.feed.log_message.connect(self._on_stream_log)

        self._build_ui()
        self._build_actions()
        self.settings.restore_layout(self, self._splits())

        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self._flush)
        self._rate_timer = QTimer(self)
        self._rate_timer.setInterval(RATE_MS)
        self._rate_timer.timeout.connect(self._update_rate)
        self._rate_timer.start()
        self._update_status()

    # ---------------------------------------------------------------- state, for callers and tests
    @property
    def dataset(self) -> Dataset:
        return self.view.dataset

    @property
    def events_per_s(self) -> float:
        return self.capture.events_per_s

    @property
    def last_stream_latency_ms(self) -> float | None:
        return self.capture.last_stream_latency_ms

    @property
    def journal_path(self) -> str:
        return self.capture.journal_path

    # ================================================================ UI construction
    def _build_ui(self) -> None:
        self.banner = Banner(self)

        self.session_model = SessionListModel(self)
        self.session_proxy = SessionFilterProxy(self)
        self.session_proxy.setSourceModel(self.session_model)
        self.sessions_view = QTableView(self)
        self.sessions_view.setModel(self.session_proxy)
        self.sessions_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.sessions_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.sessions_view.verticalHeader().hide()
        self.sessions_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.sessions_view.verticalHeader().setDefaultSectionSize(22)
        self.sessions_view.horizontalHeader().setStretchLastSection(True)
        self.sessions_view.setAlternatingRowColors(True)
        self.sessions_view.setWordWrap(False)
        self.sessions_view.setTextElideMode(Qt.TextElideMode.ElideRight)
        for col in SESSION_HIDDEN_COLUMNS:
            self.sessions_view.setColumnHidden(col, True)
        for col, width in SESSION_COLUMN_WIDTHS.items():
            self.sessions_view.setColumnWidth(col, width)
        header = self.sessions_view.horizontalHeader()
        for visual, col in enumerate(SESSION_COLUMN_ORDER):
            header.moveSection(header.visualIndex(col), visual)
        self.sessions_view.horizontalHeader().setStretchLastSection(False)
        self.sessions_view.selectionModel().currentRowChanged.connect(self._on_session_row)
        self.session_search = QLineEdit(self)
        self.session_search.setPlaceholderText("Search sessions (media, player, id)")
        self.session_search.setClearButtonEnabled(True)
        self.session_search.textChanged.connect(self.session_proxy.set_text)
        self.problems_only = QCheckBox("Only sessions with problems", self)
        self.problems_only.toggled.connect(self.session_proxy.set_problems_only)
        sessions_box = QWidget(self)
        s_lay = QVBoxLayout(sessions_box)
        s_lay.setContentsMargins(0, 0, 0, 0)
        s_lay.addWidget(self.session_search)
        s_lay.addWidget(self.problems_only)
        s_lay.addWidget(self.sessions_view)

        self.timeline = TimelineWidget(self)
        self.timeline.eventClicked.connect(self._on_timeline_event)
        self.timeline.sessionClicked.connect(self._on_timeline_session)

        self.event_model = EventTableModel(self)
        self.event_filter = EventFilterProxy(self)
        self.event_filter.setSourceModel(self.event_model)
        self.events_view = QTableView(self)
        self.events_view.setModel(self.event_filter)
        self.events_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.events_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.events_view.verticalHeader().hide()
        self.events_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.events_view.verticalHeader().setDefaultSectionSize(20)
        self.events_view.horizontalHeader().setStretchLastSection(True)
        self.events_view.setWordWrap(False)
        for col in EVENT_HIDDEN_COLUMNS:
            self.events_view.setColumnHidden(col, True)
        for col, width in EVENT_COLUMN_WIDTHS.items():
            self.events_view.setColumnWidth(col, width)
        self.events_view.selectionModel().currentRowChanged.connect(self._on_event_row)

        self.filter_text = QLineEdit(self)
        self.filter_text.setPlaceholderText("Filter events (text, rule, event type)…  Ctrl+F")
        self.filter_text.setClearButtonEnabled(True)
        self.filter_text.textChanged.connect(lambda t: self._apply_filters())
        self.filter_severity = QComboBox(self)
        for value, title, _sev, _ign in SEVERITY_CHOICES:
            self.filter_severity.addItem(title, value)
        self.filter_severity.currentIndexChanged.connect(lambda i: self._apply_filters())
        self.filter_rule = QComboBox(self)
        self.filter_rule.addItem("Any rule", "")
        self.filter_rule.currentIndexChanged.connect(lambda i: self._apply_filters())
        self.filter_count = QLabel(self)

        filters = QHBoxLayout()
        filters.setContentsMargins(0, 0, 0, 0)
        filters.addWidget(self.filter_text, 3)
        filters.addWidget(self.filter_severity, 1)
        filters.addWidget(self.filter_rule, 1)
        filters.addWidget(self.filter_count)
        events_box = QWidget(self)
        ev_lay = QVBoxLayout(events_box)
        ev_lay.setContentsMargins(0, 0, 0, 0)
        ev_lay.addLayout(filters)
        ev_lay.addWidget(self.events_view)

        self.details = QTextBrowser(self)
        self.details.setOpenExternalLinks(True)
        self.details.setHtml(self._welcome_html())

        self.centre_split = QSplitter(Qt.Orientation.Vertical, self)
        self.centre_split.addWidget(self.timeline)
        self.centre_split.addWidget(events_box)
        self.centre_split.setStretchFactor(0, 3)
        self.centre_split.setStretchFactor(1, 2)
        self.centre_split.setSizes([470, 330])
        self.main_split = QSplitter(Qt.Orientation.Horizontal, self)
        self.main_split.addWidget(sessions_box)
        self.main_split.addWidget(self.centre_split)
        self.main_split.addWidget(self.details)
        self.main_split.setStretchFactor(0, 1)
        self.main_split.setStretchFactor(1, 4)
        self.main_split.setStretchFactor(2, 2)
        self.main_split.setSizes([372, 690, 338])

        central = QWidget(self)
        lay = QVBoxLayout(central)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.banner)
        lay.addWidget(self.main_split, 1)
        self.setCentralWidget(central)

        sb = self.statusBar()
        self.status_capture = QLabel(self)
        self.status_rate = QLabel(self)
        self.status_journal = QLabel(self)
        self.status_journal.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar(self)
        self.progress.setMaximumWidth(220)
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.setup_button = QPushButton("Set up a device…", self)
        self.setup_button.setFlat(True)
        self.setup_button.clicked.connect(self.show_device_setup)
        sb.addWidget(self.status_journal, 1)
        sb.addPermanentWidget(self.progress)
        sb.addPermanentWidget(self.status_capture)
        sb.addPermanentWidget(self.status_rate)
        sb.addPermanentWidget(self.setup_button)

    def _action(self, text: str, slot: Callable[[], object], shortcut: QKeySequence | str | None = None,
                tip: str = "") -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        act.setToolTip(f"{tip or text} ({act.shortcut().toString()})" if shortcut else (tip or text))
        act.triggered.connect(lambda checked=False: slot())
        self.addAction(act)
        return act

    def _build_actions(self) -> None:
        self.act_capture = self._action("Start capture", self.toggle_capture, "F5",
                                        "Start or stop the proxy")
        self.act_open = self._action("Open…", self.open_dialog, QKeySequence.StandardKey.Open,
                                     "Open .mitm, .har or journal files")
        self.act_export = self._action("Export HTML report…", self.export_html_dialog, "Ctrl+E",
                                       "One self-contained HTML file for a bug ticket")
        self.act_export_json = self._action("Export JSON report…", self.export_json_dialog, "Ctrl+Shift+E")
        self.act_export_png = self._action("Save timeline as PNG…", self.export_png_dialog, "Ctrl+P")
        self.act_save_journal = self._action("Save journal…", self.save_journal_dialog,
                                             QKeySequence.StandardKey.Save)
        self.act_filter = self._action("Find", self.focus_filter, QKeySequence.StandardKey.Find)
        self.act_settings = self._action("Settings…", self.settings_dialog, "Ctrl+,")
        self.act_device = self._action("Set up a device…", self.show_device_setup)
        self.act_overview = self._action("All sessions", self.show_overview, "Ctrl+0",
                                         "Timeline of all sessions")
        self.act_quit = self._action("Quit", self.close, QKeySequence.StandardKey.Quit)

        tb = QToolBar("Main", self)
        tb.setObjectName("main-toolbar")
        tb.setMovable(False)
        for act in (self.act_capture, self.act_open, self.act_export, self.act_overview):
            tb.addAction(act)
        tb.addSeparator()
        tb.addAction(self.act_device)
        self.addToolBar(tb)

        menu = self.menuBar()
        m_file = menu.addMenu("&File")
        for act in (self.act_open, self.act_save_journal):
            m_file.addAction(act)
        m_file.addSeparator()
        for act in (self.act_export, self.act_export_json, self.act_export_png):
            m_file.addAction(act)
        m_file.addSeparator()
        m_file.addAction(self.act_quit)
        m_cap = menu.addMenu("&Capture")
        m_cap.addAction(self.act_capture)
        m_cap.addAction(self.act_device)
        m_cap.addAction(self.act_settings)
        m_view = menu.addMenu("&View")
        m_view.addAction(self.act_overview)
        m_view.addAction(self.act_filter)

    @staticmethod
    def _welcome_html() -> str:
        return (
            "<h3>mcscope</h3><p>Start capture (F5) and point a player at the proxy, or open a capture "
            "(Ctrl+O, or drop a .har / .mitm / journal file here).</p>"
            "<p>Select a session on the left to see its timeline and events; click an event for its "
            "request, response and findings.</p>"
        )

    # ================================================================ settings
    def _splits(self) -> dict[str, QSplitter]:
        return {"main_split": self.main_split, "centre_split": self.centre_split}

    def _config_from_settings(self) -> Config:
        return self.settings.config()

    def save_settings(self) -> None:
        self.settings.save(self, self._splits(), self.proxy.config.host, self.proxy.config.port)

    def settings_dialog(self) -> None:
        dlg = dialogs.SettingsDialog(self.proxy.config.host, self.proxy.config.port, self.settings.ignored_rules(),
                                     self.settings.tunables(), self)
        if dlg.exec():
            self.apply_settings(*dlg.values())

    def apply_settings(self, host: str, port: int, ignored: list[str], tunables: dict[str, str]) -> None:
        self.proxy.config.host = host
        self.proxy.config.port = port
        self.settings.store_analysis(ignored, tunables)
        self.save_settings()
        self._set_dataset(self.dataset.rebuilt(self._config_from_settings()))
        self._update_status()

    # ================================================================ data -> views
    def _set_dataset(self, ds: Dataset) -> None:
        session = self.view.set_dataset(ds)
        self.session_model.set_sessions(ds.sessions)
        self.timeline.setSessions(ds.sessions)
        self._refresh_rules()
        self._show_session(session)
        self._update_status()

    def current_session(self) -> Session | None:
        return self.view.current_session()

    def select_session(self, key: str | None) -> None:
        """Select a session (list row, timeline, events)."""
        self.session_model.flush()
        row = self.session_model.row_of(key) if key else -1
        index = self.session_proxy.mapFromSource(self.session_model.index(row, 0)) if row >= 0 else QModelIndex()
        if row >= 0 and not index.isValid():  # hidden by the session filters
            self.session_search.clear()
            self.problems_only.setChecked(False)
            index = self.session_proxy.mapFromSource(self.session_model.index(row, 0))
        if index.isValid():
            self.sessions_view.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            )
            self.sessions_view.scrollTo(index)
            session = self.session_model.session_at(row)
            if session is not None and session.key != self.view.current_key:
                self._show_session(session)
        else:
            self.sessions_view.clearSelection()
            self._show_session(None)

    def show_overview(self) -> None:
        self.select_session(None)

    def first_problem_session(self) -> Session | None:
        return self.view.first_problem_session()

    def _on_session_row(self, current: QModelIndex, previous: QModelIndex) -> None:
        if not current.isValid():
            return
        session = self.session_model.session_at(self.session_proxy.mapToSource(current).row())
        if session is not None and session.key != self.view.current_key:
            self._show_session(session)

    def _show_session(self, session: Session | None) -> None:
        self.view.current_key = session.key if session is not None else None
        self.event_model.set_session(session)
        self.timeline.setSession(session)
        self._refresh_rules()
        if session is not None:
            self.details.setHtml(details.session_html(session))
        else:
            self.details.setHtml(self._welcome_html())
        self._update_filter_count()

    def _on_event_row(self, current: QModelIndex, previous: QModelIndex) -> None:
        if not current.isValid():
            return
        src = self.event_filter.mapToSource(current)
        event = self.event_model.event_at(src.row())
        if event is None:
            return
        self.timeline.revealEvent(event.index)
        self._show_event(event)

    def _show_event(self, event: Event) -> None:
        ex = self.view.exchange_of(event)
        session = self.current_session()
        extra = details.metrics_html(session.metrics()) if session is not None else ""
        self.details.setHtml(details.event_html(event, ex) + extra)

    def select_event(self, index: int) -> bool:
        """Select event ``index`` of the shown session in the table (clearing a filter that hides it)."""
        row = self.event_model.row_of_event(index)
        if row < 0:
            return False
        proxy_index = self.event_filter.mapFromSource(self.event_model.index(row, 0))
        if not proxy_index.isValid():
            self.clear_filters()
            proxy_index = self.event_filter.mapFromSource(self.event_model.index(row, 0))
        self.events_view.selectionModel().setCurrentIndex(
            proxy_index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.events_view.scrollTo(proxy_index)
        return True

    def selected_event(self) -> Event | None:
        idx = self.events_view.selectionModel().currentIndex()
        if not idx.isValid():
            return None
        return self.event_model.event_at(self.event_filter.mapToSource(idx).row())

    def _on_timeline_event(self, session_key: str, index: int) -> None:
        if session_key and session_key != self.view.current_key:
            self.select_session(session_key)
        self.select_event(index)

    def _on_timeline_session(self, session_key: str) -> None:
        self.select_session(session_key)

    # ---------------------------------------------------------------- filters
    def focus_filter(self) -> None:
        self.filter_text.setFocus()
        self.filter_text.selectAll()

    def clear_filters(self) -> None:
        for w in (self.filter_text, self.filter_severity, self.filter_rule):
            w.blockSignals(True)
        self.filter_text.clear()
        self.filter_severity.setCurrentIndex(0)
        self.filter_rule.setCurrentIndex(0)
        for w in (self.filter_text, self.filter_severity, self.filter_rule):
            w.blockSignals(False)
        self._apply_filters()

    def _apply_filters(self) -> None:
        choice = str(self.filter_severity.currentData() or "all")
        _v, _t, min_sev, ignored_only = next(c for c in SEVERITY_CHOICES if c[0] == choice)
        self.event_filter.set_text(self.filter_text.text())
        self.event_filter.set_min_severity(min_sev)
        self.event_filter.set_ignored_only(ignored_only)
        self.event_filter.set_rule(str(self.filter_rule.currentData() or ""))
        self._update_filter_count()

    def _update_filter_count(self) -> None:
        shown, total = self.event_filter.rowCount(), self.event_model.rowCount()
        self.filter_count.setText(f"{shown:,} of {total:,}" if self.event_filter.is_active() else f"{total:,} events")

    def _refresh_rules(self) -> None:
        session = self.current_session()
        findings = session.findings if session is not None else []
        rules = sorted({f.rule for f in findings})
        current = str(self.filter_rule.currentData() or "")
        have = [str(self.filter_rule.itemData(i)) for i in range(1, self.filter_rule.count())]
        if have == rules:
            return
        self.filter_rule.blockSignals(True)
        self.filter_rule.clear()
        self.filter_rule.addItem("Any rule", "")
        for r in rules:
            self.filter_rule.addItem(r, r)
        i = self.filter_rule.findData(current)
        self.filter_rule.setCurrentIndex(max(i, 0))
        self.filter_rule.blockSignals(False)

    # ================================================================ files
    def open_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open captures", self.settings.folder("open"), FILE_FILTER)
        if paths:
            self.settings.remember_folder("open", paths[0])
            self.open_files(paths)

    def is_loading(self) -> bool:
        return self._loader is not None

    def open_files(self, paths: list[str]) -> None:
        """Load captures in a worker thread; the window stays responsive and shows a progress bar."""
        if not paths:
            return
        if self._loader is not None:
            self._loader.cancel()
            self._loader.wait(5000)
            self._loader = None
        if self.proxy.is_running():
            self.stop_capture()
            self.statusBar().showMessage("Capture stopped to show the files (the journal keeps what was captured)",
                                         8000)
        config = self._config_from_settings()
        loader = FileLoader([str(p) for p in paths], lambda: Analyzer(config), self)
        loader.progress.connect(self._on_load_progress)
        loader.loaded.connect(self._on_loaded)
        self._loader = loader
        self.progress.setValue(0)
        self.progress.setFormat("Loading… %p%")
        self.progress.show()
        self.banner.dismiss()
        self.setWindowTitle(f"mcscope — {', '.join(Path(p).name for p in paths)}")
        loader.start()

    def _on_load_progress(self, count: int, permille: int) -> None:
        self.progress.setValue(max(0, min(permille, 1000)))
        self.progress.setFormat(f"{count:,} exchanges · %p%")

    def _on_loaded(self, result: LoadResult) -> None:
        loader = self._loader
        self._loader = None
        if loader is not None:
            loader.wait(2000)
            loader.deleteLater()
        self.progress.hide()
        ok = result.error is None
        if result.analyzer is not None:
            ds = Dataset(config=self.dataset.config, analyzer=result.analyzer, exchanges=result.exchanges,
                         sources=result.paths, live=False)
            self.view.current_key = None
            self._set_dataset(ds)
            first = self.first_problem_session()
            if first is not None:
                self.select_session(first.key)
        if not ok:
            text = f"{result.error}\n\nShowing the {result.read_count:,} exchanges that could be read."
            self.banner.show_message("error", f"Could not read everything: {result.error}")
            self.message(self, "Problem reading the capture", text)
        else:
            n = len(self.dataset.sessions)
            self.statusBar().showMessage(
                f"Loaded {result.read_count:,} exchanges, {n:,} session{'' if n == 1 else 's'} "
                f"in {result.seconds:.1f} s", 8000)
        self.loaded.emit(ok)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_files(paths)

    # ================================================================ capture
    def toggle_capture(self) -> None:
        if self.proxy.is_running():
            self.stop_capture()
        else:
            self.start_capture()

    def start_capture(self) -> bool:
        """Start the mitmdump child and connect to its stream. False (and a banner) when it cannot."""
        if self.proxy.is_running():
            return True
        if not self.dataset.live:
            self._set_dataset(Dataset(config=self._config_from_settings(), live=True))
        try:
            self.proxy.start()
        except PortBusyError as exc:
            self._port_busy(exc.port)
            return False
        except (OSError, FileNotFoundError) as exc:
            self.banner.show_message("error", f"Cannot start the proxy: {exc}")
            return False
        self.banner.dismiss()
        self.feed.connect_to(self.proxy.socket_path, self.proxy.token, wait_s=20.0)
        self._update_status()
        return True

    def stop_capture(self) -> None:
        self.feed.close()
        self.proxy.stop()
        self._update_status()

    def attach(self, socket_path: str, token: str) -> None:
        """View an addon running in the user's own mitmproxy (no child of ours)."""
        if not self.dataset.live:
            self._set_dataset(Dataset(config=self._config_from_settings(), live=True))
        self.capture.attached = socket_path
        self.feed.connect_to(socket_path, token, wait_s=5.0)
        self._update_status()

    def _port_busy(self, port: int) -> None:
        suggestion = free_port(self.proxy.config.host) if self.proxy.config.host else 0

        def use_other() -> None:
            self.proxy.config.port = suggestion
            self.save_settings()
            self.start_capture()

        self.banner.show_message(
            "error",
            f"Port {port} is already in use by another program, so the proxy cannot listen on "
            f"{self.proxy.config.host}:{port}.",
            actions=[(f"Use port {suggestion}", use_other), ("Settings…", self.settings_dialog)],
        )
        self._update_status()

    def _on_proxy_state(self, state: str) -> None:
        self._update_status()

    def _on_proxy_crashed(self, code: int, output: str) -> None:
        self.feed.close()
        problem = describe_port_problem(output)
        if problem:
            self._port_busy(self.proxy.config.port)
            return
        self.banner.show_message(
            "error",
            f"The proxy stopped unexpectedly (exit code {code}). Captured data is kept. Its last output:",
            details=output or "(no output)",
            actions=[("Restart proxy", self.restart_capture)],
        )
        self._update_status()

    def restart_capture(self) -> None:
        self.banner.dismiss()
        self.start_capture()

    # ---------------------------------------------------------------- stream
    def _on_hello(self, hello: dict[str, Any]) -> None:
        self.capture.journal_path = str(hello.get("journal") or "")
        self._update_status()

    def _on_snapshot(self, records: list[dict[str, Any]], dropped: int) -> None:
        """(Re)connection: rebuild from the snapshot, keeping older exchanges the proxy no longer holds."""
        self._set_dataset(self.view.from_snapshot(records, self._config_from_settings()))
        self.updated.emit()

    def _on_records(self, records: list[dict[str, Any]]) -> None:
        self.capture.records_arrived()
        self.dataset.feed_records(records)
        self._dirty = True
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def _flush(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        sessions = self.dataset.sessions
        self.session_model.sync(sessions)
        self.session_model.flush()
        self.timeline.setSessions(sessions)
        self.timeline.refresh()
        self.event_model.refresh()
        self._refresh_rules()
        self._update_filter_count()
        self.capture.flushed()
        self.updated.emit()

    def _on_gap(self, missed: int) -> None:
        self.banner.show_message(
            "warning",
            f"The window fell behind the capture and missed {missed:,} message{'s' if missed != 1 else ''}; "
            "resynchronising from the proxy (nothing is lost in the journal).",
            actions=[("Resync now", self.feed.reconnect)],
        )
        self.feed.reconnect()

    def _on_feed_failed(self, reason: str) -> None:
        self.banner.show_message("error", reason)
        self._update_status()

    def _on_feed_disconnected(self, reason: str) -> None:
        if self.proxy.is_running():
            # the child may still be alive (stream restarted?): try to reconnect once
            self.feed.reconnect()
        self._update_status()

    def _on_stream_log(self, level: str, message: str) -> None:
        if level == "warning":
            self.statusBar().showMessage(message, 8000)

    # ---------------------------------------------------------------- status
    def _update_rate(self) -> None:
        self.capture.rate_tick(len(self.dataset.exchanges), RATE_MS)
        self._update_status()

    def _update_status(self) -> None:
        state = self.proxy.state
        text, action = self.capture.describe(state, state in (RUNNING, STARTING), self.feed.is_connected(),
                                             self.proxy.config.address)
        self.act_capture.setText(action)
        self.status_capture.setText(text)
        self.status_rate.setText(self.capture.rate_text(len(self.dataset.sessions), self.events_per_s))
        self.status_journal.setText(self.view.sources_text(self.journal_path))

    # ================================================================ exports
    def _save_path(self, title: str, suggestion: str, filt: str) -> str:
        start = str(Path(self.settings.folder("export")) / suggestion)
        path, _ = QFileDialog.getSaveFileName(self, title, start, filt)
        if path:
            self.settings.remember_folder("export", path)
        return path

    def timeline_png(self, session: Session | None = None) -> bytes:
        """PNG of the timeline: of ``session`` (shown for the picture, then put back), else of what it shows."""
        tl = self.timeline
        shown = tl.session()
        if session is not None and session is not shown:
            tl.setSession(session)
        if tl.width() < 200 or tl.height() < 100:
            tl.resize(1100, 420)
        pix = tl.grab()
        if session is not None and session is not shown:
            tl.setSession(shown)
        buf = QBuffer()
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        pix.save(buf, "PNG")
        return bytes(buf.data().data())

    def export_html(self, path: str) -> None:
        exporting.write_html_report(self.dataset, path, image_for=self.timeline_png)

    def export_json(self, path: str) -> None:
        exporting.write_json_report(self.dataset, path)

    def export_png(self, path: str) -> None:
        Path(path).write_bytes(self.timeline_png())

    def save_journal(self, path: str) -> int:
        return exporting.write_journal(list(self.dataset.exchanges), path)

    def _guarded(self, what: str, fn: Callable[[], object]) -> None:
        try:
            fn()
        except Exception as exc:
            # Boundary: a user-triggered export (disk full, permissions, a bug in a writer). Whatever fails, the
            # user gets a message saying so, and the window and its data stay as they were.
            log.exception("%s failed", what)
            self.message(self, f"{what} failed", f"{type(exc).__name__}: {exc}")
        else:
            self.statusBar().showMessage(f"{what}: done", 5000)

    def export_html_dialog(self) -> None:
        path = self._save_path("Export HTML report", "mcscope-report.html", "HTML (*.html)")
        if path:
            self._guarded("Export HTML report", lambda: self.export_html(path))

    def export_json_dialog(self) -> None:
        path = self._save_path("Export JSON report", "mcscope-report.json", "JSON (*.json)")
        if path:
            self._guarded("Export JSON report", lambda: self.export_json(path))

    def export_png_dialog(self) -> None:
        path = self._save_path("Save timeline", "mcscope-timeline.png", "PNG image (*.png)")
        if path:
            self._guarded("Save timeline", lambda: self.export_png(path))

    def save_journal_dialog(self) -> None:
        path = self._save_path("Save journal", "mcscope-journal.ndjson", "mcscope journal (*.ndjson)")
        if path:
            self._guarded("Save journal", lambda: self.save_journal(path))

    def show_device_setup(self) -> None:
        dialogs.DeviceSetupDialog(self.proxy.config.host, self.proxy.config.port, self).exec()

    # ================================================================ shutdown
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        try:
            self.save_settings()
        except Exception:
            # Boundary: closing must stop the loader and the proxy child below whatever happens here.
            log.exception("could not save settings")
        if self._loader is not None:
            self._loader.cancel()
            self._loader.wait(5000)
            self._loader = None
        if self.demo is not None:
            self.demo.stop()
        self.feed.close()
        self.proxy.shutdown()
