"""The main window: sessions (left), timeline (centre), events (bottom), details (right).

This module is the layout and the wiring. What is shown and where the capture stands live in
:mod:`mcscope.gui.state` (the :class:`mcscope.gui.dataset.Dataset` on screen, the selected session, the
capture's bookkeeping); the stored settings in :mod:`mcscope.gui.settings`. Files are loaded by
:class:`mcscope.gui.feed.FileLoader` in a thread; live capture comes from :class:`mcscope.gui.feed.StreamClient`
connected to the mitmdump child supervised by :class:`mcscope.gui.proxyproc.ProxyProcess`.
"""

from __future__ import annotations

import html
import logging
import os
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QBuffer,
    QIODevice,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSettings,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QColor,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QKeySequence,
    QPalette,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTextBrowser,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from mcscope.core.config import Config
from mcscope.core.model import Exchange
from mcscope.core.session import Analyzer, Session
from mcscope.core.state import Event
from mcscope.gui import compare, details, dialogs, exporting, style
from mcscope.gui.banner import Banner
from mcscope.gui.columns import ColumnFitter, ColumnSpec, ElidingDelegate
from mcscope.gui.dataset import Dataset, FilesJudging
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
SESSION_HIDDEN_COLUMNS = (_S.COL_PLAYER, _S.COL_START, _S.COL_EVENTS)
#: visual order of the session columns (problem counts first: they are what people scan for)
SESSION_COLUMN_ORDER = (_S.COL_STATUS, _S.COL_MEDIA, _S.COL_ERRORS, _S.COL_WARNINGS, _S.COL_IGNORED,
                        _S.COL_DURATION, _S.COL_SOURCE, _S.COL_EVENTS)
#: how the session columns are sized; the media column takes what is left (never less than MEDIA_MIN)
SESSION_COLUMN_SPECS = {
    _S.COL_STATUS: ColumnSpec(fixed=30),  # the status icon (its word is the tooltip; the shape tells it apart)
    _S.COL_DURATION: ColumnSpec(samples=("1:23:45",), maximum=110),
    _S.COL_EVENTS: ColumnSpec(samples=("12,345",), maximum=80),
    _S.COL_ERRORS: ColumnSpec(samples=("999",), maximum=60),
    _S.COL_WARNINGS: ColumnSpec(samples=("999",), maximum=60),
    _S.COL_IGNORED: ColumnSpec(samples=("999",), maximum=60),
    _S.COL_SOURCE: ColumnSpec(minimum=64, maximum=180),  # file names are elided in the middle
}
MEDIA_MIN = 220
_E = EventTableModel
EVENT_HIDDEN_COLUMNS = (_E.COL_WALL,)
#: how the event columns are sized; the parameters column takes what is left (never less than PARAMS_MIN)
EVENT_COLUMN_SPECS = {
    _E.COL_INDEX: ColumnSpec(samples=("999",), maximum=70),
    _E.COL_TIME: ColumnSpec(samples=("99.999",), maximum=96),
    _E.COL_TYPE: ColumnSpec(minimum=90, maximum=150),
    _E.COL_PLAYHEAD: ColumnSpec(samples=("999.9",), maximum=90),
    _E.COL_HTTP: ColumnSpec(samples=("204",), maximum=56),
    _E.COL_FINDINGS: ColumnSpec(minimum=80, maximum=230),
}
PARAMS_MIN = 150


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
        self.ask_save: dialogs.SaveFn = dialogs.ask_save_path  # tests replace it to stay dialog-free
        #: (session, candidates, allow_file) -> a candidate, compare.FILE or None; tests replace it
        self.choose_partner: Callable[[Session, list[Session], bool], Any] = self._choose_partner
        #: (title) -> path of a reference capture or ""; tests replace it
        self.ask_reference_file: Callable[[str], str] = self._ask_reference_file
        #: (menu, global position) -> shows a right-click menu; tests replace it to look at the menu
        self.popup: Callable[[QMenu, QPoint], object] = lambda menu, where: menu.exec(where)
        self._reference: Analyzer | None = None  # the reference file's sessions while compared
        self.view = ViewState(Dataset(config=self.settings.config(), live=True))
        self.capture = CaptureState()
        self._loader: FileLoader | None = None
        self._dirty = False
        self._run_port: int | None = None  # a port chosen on the busy-port banner: this run only
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
        self._follow_colour_scheme()

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
        # Ctrl/Shift+click selects a second session to compare with
        self.sessions_view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.sessions_view.verticalHeader().hide()
        self.sessions_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.sessions_view.verticalHeader().setDefaultSectionSize(22)
        self.sessions_view.setAlternatingRowColors(True)
        self.sessions_view.setWordWrap(False)
        self.sessions_view.setItemDelegate(ElidingDelegate(self.sessions_view))
        self.sessions_view.setItemDelegateForColumn(SessionListModel.COL_STATUS, IconOnlyDelegate(self.sessions_view))
        for col in (_S.COL_MEDIA, _S.COL_SOURCE):  # ids and file names: cut in the middle; names: at the end
            self.sessions_view.setItemDelegateForColumn(col, ElidingDelegate(self.sessions_view, None))
        for col in (*SESSION_HIDDEN_COLUMNS, _S.COL_SOURCE):
            self.sessions_view.setColumnHidden(col, True)
        header = self.sessions_view.horizontalHeader()
        for visual, col in enumerate(SESSION_COLUMN_ORDER):
            header.moveSection(header.visualIndex(col), visual)
        self.session_columns = ColumnFitter(self.sessions_view, SESSION_COLUMN_SPECS, _S.COL_MEDIA, MEDIA_MIN,
                                            source=self.session_model)
        self._size_session_columns()
        self.sessions_view.selectionModel().currentRowChanged.connect(self._on_session_row)
        self.session_model.source_of = self._source_of
        self.session_search = QLineEdit(self)
        self.session_search.setPlaceholderText("Search all sessions: media, ad or chapter id, sid, rule, any value")
        self.session_search.setToolTip("Matches media names and ids, session ids (any part), rule ids, the file, "
                                       "the protocol (\"edge\" or \"rest\"), the Edge location hint (e.g. "
                                       "\"or2\") and every parameter value of every event; several words "
                                       "must all match")
        self.session_search.setClearButtonEnabled(True)
        self.session_search.textChanged.connect(self._on_session_filter)
        self.problems_only = QCheckBox("Only sessions with problems", self)
        self.problems_only.toggled.connect(self._on_session_filter)
        self.session_proxy.layoutChanged.connect(self._sync_overview_order)
        self.session_proxy.rowsInserted.connect(self._sync_overview_order)
        self.session_proxy.modelReset.connect(self._sync_overview_order)
        self.sessions_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.sessions_view.customContextMenuRequested.connect(self._session_menu)
        sessions_box = QWidget(self)
        s_lay = QVBoxLayout(sessions_box)
        s_lay.setContentsMargins(0, 0, 0, 0)
        s_lay.addWidget(self.session_search)
        s_lay.addWidget(self.problems_only)
        s_lay.addWidget(self.sessions_view)

        self.timeline = TimelineWidget(self)
        self.timeline.eventClicked.connect(self._on_timeline_event)
        self.timeline.sessionClicked.connect(self._on_timeline_session)
        self.timeline.eventMenuRequested.connect(self._timeline_event_menu)
        self.timeline.sessionMenuRequested.connect(self._timeline_session_menu)

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
        self.events_view.setWordWrap(False)
        self.events_view.setItemDelegate(ElidingDelegate(self.events_view))
        for col in EVENT_HIDDEN_COLUMNS:
            self.events_view.setColumnHidden(col, True)
        self.event_columns = ColumnFitter(self.events_view, EVENT_COLUMN_SPECS, _E.COL_PARAMS, PARAMS_MIN,
                                          default=ColumnSpec(maximum=120), source=self.event_model)
        self.events_view.selectionModel().currentRowChanged.connect(self._on_event_row)
        self.events_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.events_view.customContextMenuRequested.connect(self._event_menu)

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
        self.filter_problems = QCheckBox("Only problems", self)
        self.filter_problems.setToolTip("Only events with a warning or an error, or that Adobe ignores")
        self.filter_problems.toggled.connect(lambda on: self._apply_filters())
        self.filter_count = QLabel(self)
        self.filter_note = QLabel(self)
        self.filter_note.setTextFormat(Qt.TextFormat.RichText)
        self.filter_note.linkActivated.connect(lambda _link: self._reveal_hidden_event())
        self.filter_note.hide()
        self._hidden_event: int | None = None

        filters = QHBoxLayout()
        filters.setContentsMargins(0, 0, 0, 0)
        filters.addWidget(self.filter_text, 3)
        filters.addWidget(self.filter_severity, 1)
        filters.addWidget(self.filter_rule, 1)
        filters.addWidget(self.filter_problems)
        filters.addWidget(self.filter_count)
        events_box = QWidget(self)
        ev_lay = QVBoxLayout(events_box)
        ev_lay.setContentsMargins(0, 0, 0, 0)
        ev_lay.addLayout(filters)
        ev_lay.addWidget(self.filter_note)
        ev_lay.addWidget(self.events_view)

        self.details = QTextBrowser(self)
        self.details.setOpenLinks(False)
        self.details.anchorClicked.connect(self._on_details_link)
        self.details.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.details.customContextMenuRequested.connect(self._details_menu)
        self.details.setHtml(self._welcome_html())
        self._expanded: dict[str, set[str]] = {}  # session key -> rule groups unfolded in the details

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
        self.main_split.setSizes([500, 590, 310])

        self.compare_view = compare.CompareView(self)
        self.compare_view.closed.connect(self.close_compare)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.main_split)
        self.pages.addWidget(self.compare_view)

        central = QWidget(self)
        lay = QVBoxLayout(central)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.banner)
        lay.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        sb = self.statusBar()
        self.status_capture = QLabel(self)
        self.status_rate = QLabel(self)
        self.status_journal = QLabel(self)
        self.status_journal.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar(self)
        self.progress.setMaximumWidth(220)
        self.progress.setMinimumWidth(200)  # room for "42% · 123,456 exchanges" while files load
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.export_note = QLabel(self)
        self.export_note.setTextFormat(Qt.TextFormat.RichText)
        self.export_note.linkActivated.connect(self._open_export_folder)
        self.export_note.hide()
        self._export_note_timer = QTimer(self)
        self._export_note_timer.setSingleShot(True)
        self._export_note_timer.timeout.connect(self.export_note.hide)
        self.last_export = ""
        self.setup_button = QPushButton("Set up a device…", self)
        self.setup_button.setFlat(True)
        self.setup_button.clicked.connect(self.show_device_setup)
        sb.addWidget(self.status_journal, 1)
        sb.addWidget(self.export_note)
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
        self.act_next = self._action("Next problem", lambda: self.goto_problem(+1), "F8",
                                     "Next event with a warning, an error or ignored by Adobe (then the next session)")
        self.act_prev = self._action("Previous problem", lambda: self.goto_problem(-1), "Shift+F8",
                                     "Previous problem event (then the previous session)")
        self.act_problems = self._action("Only problems", self.toggle_event_problems, "Ctrl+Shift+P",
                                         "Show only the events with problems")
        self.act_compare = self._action("Compare with…", self.compare_dialog, "Ctrl+D",
                                        "Compare the selected session with another session or a reference "
                                        "file (two sessions selected: those two)")
        self.act_compare_file = self._action("Compare with a reference file…", self.compare_file_dialog,
                                             "Ctrl+Shift+D", "Compare the selected session with its session in a "
                                             "reference capture (matched by media id)")
        self.act_compare_back = self._action("Back to the sessions", self.close_compare, "Esc",
                                             "Leave the comparison")
        self.act_compare_back.setEnabled(False)
        self.act_shortcuts = self._action("Keyboard shortcuts", self.show_shortcuts, "F1")
        self.act_rules = self._action("Rule catalogue", lambda: self.show_rules(None))
        self.act_about = self._action("About mcscope", self.show_about)

        tb = QToolBar("Main", self)
        tb.setObjectName("main-toolbar")
        tb.setMovable(False)
        for act in (self.act_capture, self.act_open, self.act_export, self.act_overview, self.act_prev,
                    self.act_next):
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
        m_view.addSeparator()
        for act in (self.act_next, self.act_prev, self.act_problems):
            m_view.addAction(act)
        m_view.addSeparator()
        for act in (self.act_compare, self.act_compare_file, self.act_compare_back):
            m_view.addAction(act)
        m_help = menu.addMenu("&Help")
        for act in (self.act_shortcuts, self.act_rules, self.act_device):
            m_help.addAction(act)
        m_help.addSeparator()
        m_help.addAction(self.act_about)

    @staticmethod
    def _welcome_html() -> str:
        return (
            "<h3>mcscope</h3><p>Start capture (F5) and point a player at the proxy, or open a capture "
            "(Ctrl+O, or drop a .har / .mitm / journal file here).</p>"
            "<p>Select a session on the left to see its timeline and events; click an event for its "
            "request, response and findings. F8 / Shift+F8 jump to the next / previous problem; F1 lists "
            "every shortcut.</p>"
        )

    # ================================================================ settings
    def _splits(self) -> dict[str, QSplitter]:
        return {"main_split": self.main_split, "centre_split": self.centre_split}

    def _config_from_settings(self) -> Config:
        return self.settings.config()

    def save_settings(self) -> None:
        port = self.proxy.config.port
        if self._run_port is not None and port == self._run_port:
            port = self.settings.proxy_address()[1]  # a port taken for this run only is not the default
        self.settings.save(self, self._splits(), self.proxy.config.host, port)

    def settings_dialog(self) -> None:
        dlg = dialogs.SettingsDialog(self.proxy.config.host, self.proxy.config.port, self.settings.ignored_rules(),
                                     self.settings.tunables(), self)
        if dlg.exec():
            self.apply_settings(*dlg.values())

    def apply_settings(self, host: str, port: int, ignored: list[str], tunables: dict[str, str]) -> None:
        self._run_port = None
        self.proxy.config.host = host
        self.proxy.config.port = port
        self.settings.store_analysis(ignored, tunables)
        self.save_settings()
        if self._loader is not None:  # judged with the old settings so far: load the files again
            self.open_files(self._loader.paths)
        else:
            self._set_dataset(self.dataset.rebuilt(self._config_from_settings()))
        self._update_status()

    # ================================================================ data -> views
    def _set_dataset(self, ds: Dataset) -> None:
        self.close_compare()  # its sessions are gone
        session = self.view.set_dataset(ds)
        self._expanded.clear()
        self.session_model.set_sessions(ds.sessions)
        self._size_session_columns()
        self._sync_overview_order()
        self._refresh_rules()
        self._show_session(session)
        self._update_status()

    # ---------------------------------------------------------------- session list
    def _source_of(self, session: Session) -> str:
        """The capture file a session was read from ("" when live or unknown)."""
        part_of = getattr(self.dataset.analyzer, "part_of", None)
        if callable(part_of):
            part = part_of(session.key)
            if part is not None:
                return str(getattr(part, "source", "") or "")
        sources = self.dataset.sources
        return str(sources[0]) if len(sources) == 1 and not self.dataset.live else ""

    def _size_session_columns(self) -> None:
        """The file column when several files are open; every column sized to its content (the media column
        takes the rest, so nothing scrolls sideways)."""
        several = len({str(p) for p in self.dataset.sources}) > 1
        self.sessions_view.setColumnHidden(_S.COL_SOURCE, not several)
        self.session_columns.remeasure()

    def listed_sessions(self) -> list[Session]:
        """The sessions as the list shows them (its order and filters)."""
        out = []
        for row in range(self.session_proxy.rowCount()):
            s = self.session_model.session_at(self.session_proxy.mapToSource(self.session_proxy.index(row, 0)).row())
            if s is not None:
                out.append(s)
        return out

    def _sync_overview_order(self, *args: object) -> None:
        """The "All sessions" overview shows the list's sessions in the list's order."""
        self.timeline.setSessions(self.listed_sessions())

    def _on_session_filter(self, *args: object) -> None:
        self.session_proxy.set_text(self.session_search.text())
        self.session_proxy.set_problems_only(self.problems_only.isChecked())
        self._sync_overview_order()

    def current_session(self) -> Session | None:
        return self.view.current_session()

    def select_session(self, key: str | None) -> None:
        """Select a session (list row, timeline, events)."""
        self.session_model.flush()
        row = self.session_model.row_of(key) if key else -1
        index = self.session_proxy.mapFromSource(self.session_model.index(row, 0)) if row >= 0 else QModelIndex()
        if row >= 0 and not index.isValid():  # hidden by the session filters
            for w in (self.session_search, self.problems_only):
                w.blockSignals(True)
            self.session_search.clear()
            self.problems_only.setChecked(False)
            for w in (self.session_search, self.problems_only):
                w.blockSignals(False)
            self._on_session_filter()
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
        self._hide_filter_note()
        self._show_session_details(session)
        self._update_filter_count()

    def _show_session_details(self, session: Session | None) -> None:
        if session is not None:
            expanded = self._expanded.get(session.key, set())
            self.details.setHtml(details.session_html(session, expanded, self._source_of(session)))
        else:
            self.details.setHtml(self._welcome_html())

    def _on_event_row(self, current: QModelIndex, previous: QModelIndex) -> None:
        if not current.isValid():
            return
        src = self.event_filter.mapToSource(current)
        event = self.event_model.event_at(src.row())
        if event is None:
            return
        self.timeline.revealEvent(event.index)
        self._show_event(event)
        show_with_context(self.events_view, current, previous)

    def _show_event(self, event: Event) -> None:
        ex = self.view.exchange_of(event)
        session = self.current_session()
        extra = details.metrics_html(session.metrics()) if session is not None else ""
        self.details.setHtml(details.event_html(event, ex) + extra)

    def select_event(self, index: int, keep_filters: bool = False) -> bool:
        """Select event ``index`` of the shown session in the table. A filter that hides it is cleared,
        unless ``keep_filters``: then the event is shown (details, timeline) and a note offers to reveal it."""
        row = self.event_model.row_of_event(index)
        if row < 0:
            return False
        proxy_index = self.event_filter.mapFromSource(self.event_model.index(row, 0))
        if not proxy_index.isValid() and keep_filters:
            event = self.event_model.event_at(row)
            if event is None:
                return False
            self.events_view.selectionModel().clearCurrentIndex()
            self.events_view.clearSelection()
            self.timeline.selectEvent(index)
            self._show_event(event)
            self._hidden_event = index
            self.filter_note.setText(f"Event #{index} is hidden by the filter. <a href='show'>Show it</a> "
                                     "(clears the filter)")
            self.filter_note.show()
            return True
        self._hide_filter_note()
        if not proxy_index.isValid():
            self.clear_filters()
            proxy_index = self.event_filter.mapFromSource(self.event_model.index(row, 0))
        self.events_view.selectionModel().setCurrentIndex(
            proxy_index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        show_with_context(self.events_view, proxy_index)
        return True

    def selected_event(self) -> Event | None:
        idx = self.events_view.selectionModel().currentIndex()
        if not idx.isValid():
            return None
        return self.event_model.event_at(self.event_filter.mapToSource(idx).row())

    def _hide_filter_note(self) -> None:
        self._hidden_event = None
        self.filter_note.hide()

    def _reveal_hidden_event(self) -> None:
        if self._hidden_event is not None:
            self.select_event(self._hidden_event)

    def _on_timeline_event(self, session_key: str, index: int) -> None:
        if session_key and session_key != self.view.current_key:
            self.select_session(session_key)
        self.select_event(index, keep_filters=True)  # a plain click never clears the events filter

    # ---------------------------------------------------------------- next / previous problem
    @staticmethod
    def is_problem(event: Event) -> bool:
        return bool(event.ignored) or max((int(f.severity) for f in event.findings), default=0) >= 2

    def goto_problem(self, step: int) -> bool:
        """Select the next (``step`` 1) or previous (-1) problem event, moving on to the next session in the
        list's order with one. False (and a status message) when there is none. Comparing: the next or
        previous difference."""
        if self.is_comparing():
            if not self.compare_view.goto_difference(step):
                self.statusBar().showMessage("No further difference", 3000)
                return False
            return True
        session = self.current_session()
        if session is not None:
            current = self.selected_event()
            start = current.index if current is not None else (-1 if step > 0 else len(session.events))
            hit = self._problem_after(session, start, step)
            if hit is not None:
                self.select_event(hit)
                return True
        listed = self.listed_sessions()
        pos = listed.index(session) if session in listed else (-1 if step > 0 else len(listed))
        i = pos + step
        while 0 <= i < len(listed):
            other = listed[i]
            hit = self._problem_after(other, -1 if step > 0 else len(other.events), step)
            if hit is not None or other.status in SessionFilterProxy.PROBLEM_STATUSES:
                self.select_session(other.key)
                if hit is not None:
                    self.select_event(hit)
                return True
            i += step
        self.statusBar().showMessage("No further problem " + ("after" if step > 0 else "before") + " this one", 5000)
        return False

    def _problem_after(self, session: Session, start: int, step: int) -> int | None:
        events = session.events
        i = start + step
        while 0 <= i < len(events):
            if self.is_problem(events[i]):
                return events[i].index
            i += step
        return None

    def toggle_event_problems(self) -> None:
        self.filter_problems.setChecked(not self.filter_problems.isChecked())

    def _on_timeline_session(self, session_key: str) -> None:
        self.select_session(session_key)

    # ---------------------------------------------------------------- filters
    def focus_filter(self) -> None:
        self.filter_text.setFocus()
        self.filter_text.selectAll()

    def clear_filters(self) -> None:
        widgets = (self.filter_text, self.filter_severity, self.filter_rule, self.filter_problems)
        for w in widgets:
            w.blockSignals(True)
        self.filter_text.clear()
        self.filter_severity.setCurrentIndex(0)
        self.filter_rule.setCurrentIndex(0)
        self.filter_problems.setChecked(False)
        for w in widgets:
            w.blockSignals(False)
        self._apply_filters()

    def _apply_filters(self) -> None:
        choice = str(self.filter_severity.currentData() or "all")
        _v, _t, min_sev, ignored_only = next(c for c in SEVERITY_CHOICES if c[0] == choice)
        self.event_filter.set_text(self.filter_text.text())
        self.event_filter.set_min_severity(min_sev)
        self.event_filter.set_ignored_only(ignored_only)
        self.event_filter.set_rule(str(self.filter_rule.currentData() or ""))
        self.event_filter.set_problems_only(self.filter_problems.isChecked())
        if self._hidden_event is not None and self.event_model.row_of_event(self._hidden_event) >= 0:
            row = self.event_model.row_of_event(self._hidden_event)
            if self.event_filter.mapFromSource(self.event_model.index(row, 0)).isValid():
                self._hide_filter_note()
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
        """Load captures progressively: a thread reads, the sessions show while the files load (judged in short
        slices, so the window stays responsive), with a progress bar; the end result is the one-shot one."""
        if not paths:
            return
        self._stop_loading()
        if self.proxy.is_running():
            self.stop_capture()
            self.statusBar().showMessage("Capture stopped to show the files (the journal keeps what was captured)",
                                         8000)
        config = self._config_from_settings()
        # drop what was shown before the loader starts, so that it can free it (see FileLoader.start)
        self._set_dataset(Dataset(config=config, sources=[str(p) for p in paths], live=False))
        loader = FileLoader([str(p) for p in paths], config, self)
        loader.progress.connect(self._on_load_progress)
        loader.partial.connect(self._on_load_partial)
        loader.loaded.connect(self._on_loaded)
        self._loader = loader
        self.progress.setValue(0)
        self.progress.setFormat("Loading… %p%")
        self.progress.show()
        self.banner.dismiss()
        self.setWindowTitle(f"mcscope — {', '.join(Path(p).name for p in paths)}")
        loader.start()

    def _stop_loading(self) -> None:
        """Cancel a load under way (its thread joined; it emits nothing more)."""
        loader, self._loader = self._loader, None
        if loader is None:
            return
        loader.cancel()
        for signal in (loader.progress, loader.partial, loader.loaded):
            signal.disconnect()
        loader.wait(5000)
        loader.deleteLater()
        self.progress.hide()

    def _on_load_progress(self, count: int, permille: int) -> None:
        self.progress.setValue(max(0, min(permille, 1000)))
        self.progress.setFormat(f"%p% · {count:,} exchanges")  # the percentage first: a narrow bar cuts the end

    def _on_load_partial(self, judging: FilesJudging) -> None:
        """What was judged so far: the sessions read up to now (those of the file being read still open)."""
        if self._loader is None or judging is not self._loader.judging:
            return
        ds = self.dataset
        if ds.analyzer is not judging.analysis:
            ds = Dataset(config=judging.config, analyzer=judging.analysis, exchanges=judging.exchanges,
                         sources=judging.sources, live=False)
            self.view.current_key = None
            self._set_dataset(ds)
        elif ds.sources != judging.sources:
            ds.sources = judging.sources
            self._size_session_columns()
        # only the rows of sessions that changed: most of a big capture's sessions are long finished
        self.session_model.refresh(judging.changed())
        self.timeline.refresh()
        self.event_model.refresh()
        self._refresh_rules()
        self._update_filter_count()
        self.updated.emit()

    def _on_loaded(self, result: LoadResult) -> None:
        loader = self._loader
        self._loader = None
        if loader is not None:
            loader.wait(2000)
            loader.deleteLater()
        self.progress.hide()
        ok = result.error is None
        if result.analyzer is not None:
            # a session picked while the files loaded stays selected; else the first with a problem
            picked = self.view.current_key if self.dataset.analyzer is result.analyzer else None
            ds = Dataset(config=result.analyzer.config, analyzer=result.analyzer, exchanges=result.exchanges,
                         sources=result.paths, live=False)
            self.view.current_key = picked
            self._set_dataset(ds)
            first = self.current_session() or self.first_problem_session()
            if first is not None and first is not self.current_session():
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

        saved = self.settings.proxy_address()[1]

        def use_other() -> None:  # for this run only: the saved port stays the default
            self.proxy.config.port = suggestion
            self._run_port = suggestion
            if self.start_capture():
                self.banner.show_message(
                    "info", f"Capturing on port {suggestion} for this run; the saved port stays {saved}.",
                    actions=[(f"Make {suggestion} the default", remember)])

        def remember() -> None:
            self._run_port = None
            self.save_settings()
            self.banner.dismiss()
            self.statusBar().showMessage(f"Port {suggestion} is now the default", 5000)

        self.banner.show_message(
            "error",
            f"Port {port} is already in use by another program, so the proxy cannot listen on "
            f"{self.proxy.config.host}:{port}.",
            actions=[(f"Use port {suggestion} this time", use_other), ("Settings…", self.settings_dialog)],
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
        self._sync_overview_order()
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

    # ================================================================ compare
    def is_comparing(self) -> bool:
        return self.pages.currentWidget() is self.compare_view

    def selected_sessions(self) -> list[Session]:
        """The sessions selected in the list (its order)."""
        rows = sorted({i.row() for i in self.sessions_view.selectionModel().selectedRows()})
        out = []
        for row in rows:
            s = self.session_model.session_at(self.session_proxy.mapToSource(self.session_proxy.index(row, 0)).row())
            if s is not None:
                out.append(s)
        return out

    @staticmethod
    def _ordered(x: Session, y: Session) -> tuple[Session, Session]:
        """(reference, other) of two sessions of the window: the earlier one is the reference."""
        return (x, y) if (x.first_ts or 0) <= (y.first_ts or 0) else (y, x)

    def compare(self, a: Session, b: Session, a_name: str = "", b_name: str = "") -> None:
        """Show ``a`` (the reference) and ``b`` side by side with their differences."""
        from mcscope.core.compare import compare_sessions

        diff = compare_sessions(a, b)
        self.compare_view.set_diff(diff, a_name or compare.session_name(a, self._source_of(a)),
                                   b_name or compare.session_name(b, self._source_of(b)))
        self.pages.setCurrentWidget(self.compare_view)
        self.act_compare_back.setEnabled(True)
        self.compare_view.table.setFocus()
        self.statusBar().showMessage("Comparing: Esc goes back to the sessions, F8 / Shift+F8 step through "
                                     "the differences", 8000)

    def close_compare(self) -> None:
        if not self.is_comparing():
            return
        self.pages.setCurrentWidget(self.main_split)
        self.act_compare_back.setEnabled(False)
        self._reference = None
        self.sessions_view.setFocus()

    def compare_dialog(self, session: Session | None = None) -> None:
        """Compare with…: two selected sessions directly, else the chosen session or reference file."""
        if session is None:
            pair = self.selected_sessions()
            if len(pair) == 2:
                self.compare(*self._ordered(*pair))
                return
            session = self.current_session()
        if session is None:
            self.statusBar().showMessage("Select a session to compare first", 5000)
            return
        others = compare.rank_candidates(session, [s for s in self.listed_sessions() if s is not session])
        chosen = self.choose_partner(session, others, True)
        if chosen == compare.FILE:
            self.compare_file_dialog(session)
        elif chosen is not None:
            self.compare(chosen, session)

    def compare_file_dialog(self, session: Session | None = None) -> None:
        session = session or self.current_session()
        if session is None:
            self.statusBar().showMessage("Select a session to compare first", 5000)
            return
        path = self.ask_reference_file("Reference capture to compare with")
        if path:
            self.compare_with_file(session, path)

    def compare_with_file(self, session: Session, path: str) -> bool:
        """Compare ``session`` with its session (same media id, or the only one) in the capture ``path``."""
        from mcscope.core.compare import match_sessions
        from mcscope.gui.dataset import judge_file

        analyzer, _exchanges, problem, opened = judge_file(path, self._config_from_settings())
        if not opened or not analyzer.sessions:
            self.message(self, "Compare with a reference file",
                         problem or f"{Path(path).name}: no Media Collection session found")
            return False
        pairs = match_sessions(analyzer.sessions, [session]).pairs
        reference = pairs[0][0] if pairs else self.choose_partner(session, list(analyzer.sessions), False)
        if reference is None or reference == compare.FILE:
            return False
        self.compare(reference, session, compare.session_name(reference, path))
        self._reference = analyzer  # kept while compared; close_compare() lets it go
        return True

    def _choose_partner(self, session: Session, candidates: list[Session], allow_file: bool) -> Any:
        names = [compare.session_name(s, self._source_of(s) if allow_file else "") for s in candidates]
        dlg = compare.ChooseSessionDialog(session, candidates, names, self, allow_file)
        return dlg.chosen() if dlg.exec() else None

    def _ask_reference_file(self, title: str) -> str:
        path, _ = QFileDialog.getOpenFileName(self, title, self.settings.folder("open"), FILE_FILTER)
        return path

    # ================================================================ exports
    def _save_path(self, title: str, suggestion: str, filt: str, redact: bool | None = None) -> tuple[str, bool]:
        """(path or "", redact): ``redact`` is the default of the dialog's "Redact identifiers" (None: none)."""
        start = str(Path(self.settings.folder("export")) / suggestion)
        path, redacted = self.ask_save(self, title, start, filt, redact)
        if path:
            self.settings.remember_folder("export", path)
        return path, redacted

    def timeline_png(self, session: Session | None = None, compact: bool = False) -> bytes:
        """PNG of the timeline: of ``session`` (shown for the picture, then put back), else of what it shows.

        ``compact``: 256 colours (the report's pictures: flat colours, a fraction of the bytes)."""
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
        if compact:
            flags = Qt.ImageConversionFlag.ThresholdDither | Qt.ImageConversionFlag.AvoidDither
            pix.toImage().convertToFormat(QImage.Format.Format_Indexed8, flags).save(buf, "PNG", 9)
        else:
            pix.save(buf, "PNG")
        return bytes(buf.data().data())

    def export_html(self, path: str, redact: bool = False) -> None:
        dark = style.dark
        if dark:  # the report is a light page: its pictures too
            style.apply_scheme(False)
        try:
            exporting.write_html_report(self.dataset, path, image_for=lambda s: self.timeline_png(s, compact=True),
                                        redact=redact)
        finally:
            if dark:
                style.apply_scheme(True)
                self.timeline.refresh()

    def export_json(self, path: str, redact: bool = False) -> None:
        exporting.write_json_report(self.dataset, path, redact=redact)

    def export_png(self, path: str) -> None:
        Path(path).write_bytes(self.timeline_png())

    def save_journal(self, path: str, redact: bool = False) -> int:
        return exporting.write_journal(list(self.dataset.exchanges), path, redact=redact)

    def _guarded(self, what: str, fn: Callable[[], object], path: str = "") -> None:
        try:
            fn()
        except Exception as exc:
            # Boundary: a user-triggered export (disk full, permissions, a bug in a writer). Whatever fails, the
            # user gets a message saying so, and the window and its data stay as they were.
            log.exception("%s failed", what)
            self.message(self, f"{what} failed", f"{type(exc).__name__}: {exc}")
        else:
            if path:
                self.exported(what, path)
            else:
                self.statusBar().showMessage(f"{what}: done", 5000)

    def exported(self, what: str, path: str) -> None:
        """Say in the status bar where an export went, with a link that opens its folder."""
        self.last_export = str(Path(path).resolve())
        folder = Path(self.last_export).parent
        self.export_note.setText(f"{html.escape(what)}: saved to <b>{html.escape(self.last_export)}</b> · "
                                 f"<a href='{QUrl.fromLocalFile(str(folder)).toString()}'>Open folder</a>")
        self.export_note.setToolTip(self.last_export)
        self.export_note.show()
        self._export_note_timer.start(30_000)

    def _open_export_folder(self, link: str) -> None:
        QDesktopServices.openUrl(QUrl(link))

    # "Redact identifiers" in the dialog: on by default for the HTML report (it goes into bug tickets)
    def export_html_dialog(self) -> None:
        path, redact = self._save_path("Export HTML report", "mcscope-report.html", "HTML (*.html)", True)
        if path:
            self._guarded(_what("Export HTML report", redact), lambda: self.export_html(path, redact), path)

    def export_json_dialog(self) -> None:
        path, redact = self._save_path("Export JSON report", "mcscope-report.json", "JSON (*.json)", False)
        if path:
            self._guarded(_what("Export JSON report", redact), lambda: self.export_json(path, redact), path)

    def export_png_dialog(self) -> None:
        path, _ = self._save_path("Save timeline", "mcscope-timeline.png", "PNG image (*.png)")
        if path:
            self._guarded("Save timeline", lambda: self.export_png(path), path)

    def save_journal_dialog(self) -> None:
        path, redact = self._save_path("Save journal", "mcscope-journal.ndjson", "mcscope journal (*.ndjson)",
                                       False)
        if path:
            self._guarded(_what("Save journal", redact), lambda: self.save_journal(path, redact), path)

    def show_device_setup(self) -> None:
        dialogs.DeviceSetupDialog(self.proxy.config.host, self.proxy.config.port, self).exec()

    # ================================================================ details links, menus, help
    def _on_details_link(self, url: QUrl) -> None:
        scheme, _, rest = url.toString().partition(":")
        session = self.current_session()
        if scheme == "group" and session is not None:
            groups = self._expanded.setdefault(session.key, set())
            groups.symmetric_difference_update({rest})
            bar = self.details.verticalScrollBar()
            pos = bar.value()
            self._show_session_details(session)
            bar.setValue(pos)
        elif scheme == "event" and rest.isdigit():
            self.select_event(int(rest))
        elif scheme == "rule":
            self.show_rules(rest)
        elif scheme in ("http", "https", "file"):
            QDesktopServices.openUrl(url)

    def _copy(self, text: str, what: str) -> None:
        QApplication.clipboard().setText(text)
        self.statusBar().showMessage(f"Copied {what}", 3000)

    def _session_menu(self, pos: QPoint) -> None:
        index = self.sessions_view.indexAt(pos)
        if not index.isValid():
            return
        session = self.session_model.session_at(self.session_proxy.mapToSource(index).row())
        if session is not None:
            self.popup(self.session_menu(session), self.sessions_view.viewport().mapToGlobal(pos))

    def session_menu(self, session: Session) -> QMenu:
        """The right-click menu of a session: the list's rows and the timeline's session bars (also used by tests)."""
        menu = QMenu(self)
        menu.addAction("Copy session id", lambda: self._copy(session.sid or session.key, "the session id"))
        mid = session.media.get("id")
        if mid:
            menu.addAction("Copy media id", lambda: self._copy(str(mid), "the media id"))
        if session.findings:
            text = "\n".join(details.group_text(session.findings, r) for r in dict.fromkeys(
                f.rule for f in session.findings))
            menu.addAction("Copy findings as text", lambda: self._copy(text, "the findings"))
        menu.addSeparator()
        menu.addAction(self.act_next)
        menu.addSeparator()
        pair = self.selected_sessions()
        if len(pair) == 2 and session in pair:
            menu.addAction("Compare the two selected sessions", lambda: self.compare(*self._ordered(*pair)))
        menu.addAction("Compare with…", lambda: self.compare_dialog(session))
        menu.addAction("Compare with a reference file…", lambda: self.compare_file_dialog(session))
        return menu

    def event_menu(self, event: Event) -> QMenu:
        """The right-click menu of an event (also used by tests)."""
        menu = QMenu(self)
        ex = self.view.exchange_of(event)
        act = menu.addAction("Copy as cURL", lambda: self._copy(curl_command(ex), "the cURL command"))
        act.setEnabled(ex is not None)
        body = ex.request_body if ex is not None else None
        act = menu.addAction("Copy request body",
                             lambda: self._copy((body or b"").decode("utf-8", "replace"), "the request body"))
        act.setEnabled(bool(body))
        session = self.current_session()
        sid = event.sid or (session.sid if session is not None else None)
        act = menu.addAction("Copy session id", lambda: self._copy(str(sid), "the session id"))
        act.setEnabled(bool(sid))
        if event.findings:
            text = "\n".join(details.finding_text(f) for f in event.findings)
            menu.addAction("Copy findings as text", lambda: self._copy(text, "the findings"))
            menu.addSeparator()
            for rule in dict.fromkeys(f.rule for f in event.findings):
                menu.addAction(f"Explain {rule}…", lambda r=rule: self.show_rules(r))
                menu.addAction(f"Only events with {rule}", lambda r=rule: self._filter_rule(r))
        return menu

    def _event_menu(self, pos: QPoint) -> None:
        index = self.events_view.indexAt(pos)
        if not index.isValid():
            return
        event = self.event_model.event_at(self.event_filter.mapToSource(index).row())
        if event is not None:
            self.popup(self.event_menu(event), self.events_view.viewport().mapToGlobal(pos))

    def _timeline_event_menu(self, session_key: str, index: int, where: QPoint) -> None:
        """Right-click on an event's mark: that event is selected (as a click would) and gets its table menu."""
        self._on_timeline_event(session_key, index)
        session = self.current_session()
        event = _event_of(session, index) if session is not None and session.key == session_key else None
        if event is not None:
            self.popup(self.event_menu(event), where)

    def _timeline_session_menu(self, session_key: str, where: QPoint) -> None:
        session = self.dataset.session(session_key)
        if session is not None:
            self.popup(self.session_menu(session), where)

    def _filter_rule(self, rule: str) -> None:
        i = self.filter_rule.findData(rule)
        if i >= 0:
            self.filter_rule.setCurrentIndex(i)

    def _details_menu(self, pos: QPoint) -> None:
        menu = self.details.createStandardContextMenu(pos)
        anchor = self.details.anchorAt(pos)
        scheme, _, rest = anchor.partition(":")
        session = self.current_session()
        if scheme in ("rule", "group") and rest:
            menu.addSeparator()
            findings = session.findings if session is not None else []
            shown = self.selected_event()
            if shown is not None and any(f.rule == rest for f in shown.findings):
                findings = shown.findings
            text = details.group_text(findings, rest)
            act = menu.addAction("Copy finding as text", lambda: self._copy(text, "the finding"))
            act.setEnabled(bool(text))
            menu.addAction(f"Explain {rest}…", lambda: self.show_rules(rest))
            menu.addAction(f"Only events with {rest}", lambda: self._filter_rule(rest))
        self.popup(menu, self.details.viewport().mapToGlobal(pos))

    def show_rules(self, rule: str | None) -> None:
        session = self.current_session()
        protocol = style.protocol_of(session) if session is not None else None
        explanation = details.rule_html(rule, protocol) if rule else ""
        dialogs.RuleCatalogueDialog(rule, self, explanation).exec()

    def shortcut_rows(self) -> list[tuple[str, str]]:
        acts = (self.act_capture, self.act_open, self.act_save_journal, self.act_export, self.act_export_json,
                self.act_export_png, self.act_overview, self.act_filter, self.act_next, self.act_prev,
                self.act_problems, self.act_compare, self.act_compare_file, self.act_compare_back,
                self.act_settings, self.act_shortcuts, self.act_quit)
        return [(a.text(), a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)) for a in acts]

    def show_shortcuts(self) -> None:
        dialogs.HtmlDialog("Keyboard shortcuts", dialogs.shortcuts_html(self.shortcut_rows()), self).exec()

    def show_about(self) -> None:
        from mcscope import __version__

        dialogs.HtmlDialog("About mcscope", dialogs.about_html(__version__), self, (460, 260)).exec()

    # ---------------------------------------------------------------- colour scheme
    def _follow_colour_scheme(self) -> None:
        hints = QGuiApplication.styleHints()
        try:
            hints.colorSchemeChanged.connect(lambda _scheme: self.apply_colour_scheme())
        except (AttributeError, RuntimeError):
            pass
        self.apply_colour_scheme()

    def apply_colour_scheme(self, dark: bool | None = None) -> None:
        """Light or dark colours for the timeline, the badges and the details (default: the system's)."""
        if dark is None:
            forced = os.environ.get("MCSCOPE_COLOR_SCHEME", "").lower()
            if forced in ("dark", "light"):
                dark = forced == "dark"
            else:
                dark = QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
        if dark == style.dark:
            return
        style.apply_scheme(dark)
        app = QApplication.instance()
        if dark and isinstance(app, QApplication) and app.palette().color(QPalette.ColorRole.Window).lightness() > 128:
            app.setPalette(dark_palette())  # the system did not switch the widgets: do it here
        elif not dark and isinstance(app, QApplication):
            app.setPalette(app.style().standardPalette())
        self.session_model.layoutChanged.emit()
        self.event_model.layoutChanged.emit()
        self.timeline.refresh()
        event = self.selected_event()
        if event is not None:
            self._show_event(event)
        else:
            self._show_session_details(self.current_session())

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
        self._stop_loading()
        if self.demo is not None:
            self.demo.stop()
        self.feed.close()
        self.proxy.shutdown()


def _what(export: str, redact: bool) -> str:
    return f"{export} (identifiers redacted)" if redact else export


def dark_palette() -> QPalette:
    """A dark widget palette for platforms whose style does not follow the system scheme by itself."""
    pal = QPalette()
    c = QColor
    roles = QPalette.ColorRole
    for role, value in ((roles.Window, "#2b2d30"), (roles.WindowText, "#e6e6e6"), (roles.Base, "#1e2023"),
                        (roles.AlternateBase, "#25282c"), (roles.Text, "#e6e6e6"), (roles.Button, "#33363a"),
                        (roles.ButtonText, "#e6e6e6"), (roles.Highlight, "#2f65ca"),
                        (roles.HighlightedText, "#ffffff"), (roles.ToolTipBase, "#eceff1"),
                        (roles.ToolTipText, "#111111"), (roles.Link, "#7fb2ff"), (roles.PlaceholderText, "#8a8a8a")):
        pal.setColor(role, c(value))
    return pal


def show_with_context(view: QAbstractItemView, index: QModelIndex, previous: QModelIndex | None = None,
                      rows: int = 2) -> None:
    """Scroll ``view`` so the row of ``index`` shows with ``rows`` rows of context above and below (Qt leaves
    it at the very edge): a step to the next or previous row scrolls just enough, a jump (F8, a timeline
    click) centres the row when it is near an edge. A row the user clicks stays under the mouse."""
    if not index.isValid():
        return
    if QApplication.mouseButtons() != Qt.MouseButton.NoButton and view.underMouse():
        view.scrollTo(index)
        return
    model, row = index.model(), index.row()
    if previous is not None and previous.isValid() and abs(previous.row() - row) == 1:
        for near in (min(row + rows, model.rowCount() - 1), max(row - rows, 0)):
            view.scrollTo(model.index(near, index.column()))
        return
    rect = view.visualRect(index)
    margin = rows * max(rect.height(), 1)
    if rect.isEmpty() or rect.top() < margin or rect.bottom() > view.viewport().height() - margin:
        view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)


def _event_of(session: Session, index: int) -> Event | None:
    """The event of ``session`` with ``Event.index == index``."""
    events = session.events
    if 0 <= index < len(events) and events[index].index == index:
        return events[index]
    return next((e for e in events if e.index == index), None)


def curl_command(ex: Exchange | None) -> str:
    """The exchange's request as a cURL command line (POSIX shell quoting)."""
    if ex is None:
        return ""
    parts = ["curl", "-X", ex.method or "POST", shlex.quote(ex.url)]
    for k, v in ex.request_headers:
        if k.lower() in ("content-length", "host", "connection", "accept-encoding"):
            continue
        parts += ["-H", shlex.quote(f"{k}: {v}")]
    body = ex.request_body
    if body:
        parts += ["--data-raw", shlex.quote(body.decode("utf-8", "replace"))]
    return " ".join(parts)


class IconOnlyDelegate(QStyledItemDelegate):
    """Draws a cell's icon without its text (the status column: the word is in the tooltip)."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex  # noqa: N802
                        ) -> None:
        super().initStyleOption(option, index)
        option.text = ""
        option.displayAlignment = Qt.AlignmentFlag.AlignCenter
        option.decorationPosition = QStyleOptionViewItem.Position.Top
        option.decorationAlignment = Qt.AlignmentFlag.AlignCenter
