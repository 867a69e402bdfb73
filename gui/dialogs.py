"""Small dialogs of the main window: device set-up, port choice, settings, message boxes (injectable)."""

from __future__ import annotations

import html
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from mcscope.gui import style

if TYPE_CHECKING:
    from mcscope.core.model import Severity
    from mcscope.core.rules.catalogue import RuleInfo

#: (parent, title, text) -> None ; tests replace it to stay dialog-free
MessageFn = Callable[[QWidget | None, str, str], None]
#: (parent, title, start path, filter, redact default or None for no option) -> (path or "", redact)
SaveFn = Callable[[QWidget | None, str, str, str, bool | None], tuple[str, bool]]

REDACT_TEXT = "Redact identifiers"
REDACT_TIP = ("Replace visitor and customer ids, cookies, credentials and client addresses by pseudonyms "
              "(the same pseudonym for the same value within the file); the file says it was redacted")


class SaveDialog(QFileDialog):
    """A save-file dialog with a "Redact identifiers" check box under the file name (Qt's own dialog: a
    native one cannot carry an extra control)."""

    def __init__(self, parent: QWidget | None, title: str, start: str, filt: str, redact: bool) -> None:
        super().__init__(parent, title, start, filt)
        self.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        self.setFileMode(QFileDialog.FileMode.AnyFile)
        self.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        suffix = filt.rpartition("*.")[2].rstrip(")").split()[0] if "*." in filt else ""
        if suffix:
            self.setDefaultSuffix(suffix)
        self.redact = QCheckBox(REDACT_TEXT, self)
        self.redact.setToolTip(REDACT_TIP)
        self.redact.setChecked(redact)
        lay = self.layout()
        if isinstance(lay, QGridLayout):
            lay.addWidget(self.redact, lay.rowCount(), 0, 1, lay.columnCount())
        else:  # a layout Qt may change one day: the option must still be there
            lay.addWidget(self.redact)

    def chosen(self) -> str:
        files = self.selectedFiles()
        return files[0] if files else ""


def ask_save_path(parent: QWidget | None, title: str, start: str, filt: str, redact: bool | None
                  ) -> tuple[str, bool]:
    """The path the user chose ("" when cancelled) and whether to redact (``redact`` None: no such option)."""
    if redact is None:
        path, _ = QFileDialog.getSaveFileName(parent, title, start, filt)
        return path, False
    dlg = SaveDialog(parent, title, start, filt, redact)
    if not dlg.exec():
        return "", redact
    return dlg.chosen(), dlg.redact.isChecked()


def show_error(parent: QWidget | None, title: str, text: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.exec()


def lan_address() -> str:
    """This machine's address as other devices on the LAN see it (best effort, no traffic sent)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))
            return str(s.getsockname()[0])
    except OSError:
        return "<this computer's IP address>"


def device_setup_html(host: str, port: int, lan_ip: str | None = None) -> str:
    ip = html.escape(lan_ip or lan_address())
    listen_all = host in ("0.0.0.0", "::", "")
    note = (
        ""
        if listen_all
        else f"<p><b>Note:</b> the proxy listens on {html.escape(host)} only, so other devices cannot reach it "
        "yet. Start it on all interfaces (Settings &gt; Proxy address <code>0.0.0.0</code>) first.</p>"
    )
    return f"""
<h3>1. Point the device at the proxy</h3>
<p>In the device's Wi-Fi / network settings set a <b>manual HTTP proxy</b>:
server <code>{ip}</code>, port <code>{port}</code>. Browsers on this computer: use
<code>127.0.0.1:{port}</code>.</p>
{note}
<h3>2. Install and trust the mitmproxy certificate</h3>
<p>On the device, open <a href="http://mitm.it">http://mitm.it</a> <i>through the proxy</i> and follow the
instructions for its platform (iOS: also enable full trust in Settings &gt; General &gt; About &gt;
Certificate Trust Settings; Android 7+: apps only trust user certificates when they opt in).</p>
<h3>3. Devices that cannot use a proxy (smart TVs, some set-top boxes)</h3>
<p>Run mitmproxy in <b>reverse mode</b> in front of the collector and point the player's Media Collection
server setting at this computer:</p>
<pre>mcscope proxy --mode reverse:https://YOUR-NAMESPACE.hb-api.omtrdc.net --listen-port {port}</pre>
<p>The player then sends <code>http://{ip}:{port}/api/v1/sessions</code> and mcscope forwards it to Adobe.</p>
<h3>4. Check</h3>
<p>Start a video: sessions appear in the list on the left within a second.</p>
"""


class DeviceSetupDialog(QDialog):
    def __init__(self, host: str, port: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Set up a device")
        self.resize(640, 560)
        text = QTextBrowser(self)
        text.setOpenExternalLinks(True)
        text.setHtml(device_setup_html(host, port))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(text)
        lay.addWidget(buttons)


class SettingsDialog(QDialog):
    """Proxy address/port and analysis settings (ignored rules, tunables as name=value)."""

    def __init__(self, host: str, port: int, ignored: list[str], tunables: dict[str, str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        form = QFormLayout()
        self.host = QLineEdit(host, self)
        self.port = QSpinBox(self)
        self.port.setRange(1, 65535)
        self.port.setValue(port)
        self.ignored = QLineEdit(", ".join(ignored), self)
        self.ignored.setPlaceholderText("rule ids, comma separated (e.g. unknown-host, ping-params)")
        self.tunables = QLineEdit(", ".join(f"{k}={v}" for k, v in tunables.items()), self)
        self.tunables.setPlaceholderText("name=value, comma separated (e.g. idle_timeout=600)")
        form.addRow("Proxy address", self.host)
        form.addRow("Proxy port", self.port)
        form.addRow("Ignored rules", self.ignored)
        form.addRow("Tunables", self.tunables)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(QLabel("Analysis settings apply to what is on screen at once (it is re-analysed).", self))
        lay.addWidget(buttons)

    def values(self) -> tuple[str, int, list[str], dict[str, str]]:
        ignored = [p.strip() for p in self.ignored.text().split(",") if p.strip()]
        tunables: dict[str, str] = {}
        for part in self.tunables.text().split(","):
            if "=" in part:
                k, v = part.split("=", 1)
                if k.strip():
                    tunables[k.strip()] = v.strip()
        return self.host.text().strip() or "127.0.0.1", self.port.value(), ignored, tunables


def parse_tunables(raw: dict[str, str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for k, v in raw.items():
        try:
            out[k] = float(v)
        except ValueError:
            continue
    return out


class HtmlDialog(QDialog):
    """A read-only page (rule explanation, keyboard shortcuts, about) with a Close button."""

    def __init__(self, title: str, page: str, parent: QWidget | None = None, size: tuple[int, int] = (560, 420)
                 ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(*size)
        self.browser = QTextBrowser(self)
        self.browser.setOpenExternalLinks(True)
        self.browser.setHtml(page)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.browser)
        lay.addWidget(buttons)


def shortcuts_html(actions: list[tuple[str, str]]) -> str:
    """(what, key) rows plus the timeline's own keys."""
    rows = [(what, key) for what, key in actions if key]
    rows += [("Timeline: zoom in / out", "+ / − or the wheel"), ("Timeline: fit everything", "0 or double-click"),
             ("Timeline: pan", "← / → or drag"),
             ("All sessions: scroll the rows", "the wheel (Ctrl+wheel zooms)")]
    body = "".join(f"<tr><td>{html.escape(w)}</td><td><b>{html.escape(k)}</b></td></tr>" for w, k in rows)
    return f"<h3>Keyboard shortcuts</h3><table cellpadding=3>{body}</table>"


def _severity_cell(sev: Severity | None) -> str:
    if sev is None:
        return f'<td align="center" style="color:{style.TEXT_MUTED}">—</td>'  # not judged on that protocol
    return f'<td style="color:{style.SEVERITY_FG.get(sev.label, style.TEXT)}">{html.escape(sev.label)}</td>'



def rule_catalogue_html(query: str = "") -> str:
    """Every rule of the catalogue (matching ``query``) with its default severity on REST and on the Media
    Edge API (as ``mcscope check --rules``; "—": not judged there), the most severe first."""
    from mcscope.core.rules.catalogue import RULES

    q = query.strip().lower()
    rows = []

    def worst(info: RuleInfo) -> int:
        return max((int(s) for s in (info.severity_for("rest"), info.severity_for("edge")) if s is not None),
                   default=0)

    for info in sorted(RULES.values(), key=lambda r: (-worst(r), r.family, r.id)):
        text = f"{info.id} {info.family} {info.description} {info.consequence or ''}".lower()
        if q and q not in text:
            continue
        rows.append(
            f'<tr><td><a name="{html.escape(info.id)}"></a><code>{html.escape(info.id)}</code></td>'
            + _severity_cell(info.severity_for("rest")) + _severity_cell(info.severity_for("edge"))
            + f"<td>{html.escape(info.family)}</td>"
            f"<td>{html.escape(str(info.description).replace('*', ''))}"
            + (f"<br><i>Adobe: {html.escape(info.consequence)}</i>" if info.consequence else "")
            + (" <b>(Adobe ignores it)</b>" if info.ignored else "") + f"</td><td>{html.escape(info.ref)}</td></tr>"
        )
    return ("<table cellpadding=3 cellspacing=0 border=1><tr><th>Rule</th><th>REST</th><th>Edge</th>"
            "<th>Family</th><th width=\"55%\">What it checks</th><th>Ref</th></tr>" + "".join(rows) + "</table>")


class RuleCatalogueDialog(QDialog):
    """The rule catalogue with a search field; ``rule`` scrolls to and explains one rule."""

    def __init__(self, rule: str | None = None, parent: QWidget | None = None, explanation: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Rule catalogue")
        self.resize(900, 600)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search rules (id, family, words)")
        self.search.setClearButtonEnabled(True)
        self.explanation = QLabel(explanation, self)
        self.explanation.setWordWrap(True)
        self.explanation.setTextFormat(Qt.TextFormat.RichText)
        self.explanation.setVisible(bool(explanation))
        self.browser = QTextBrowser(self)
        self.browser.setHtml(rule_catalogue_html())
        self.search.textChanged.connect(lambda t: self.browser.setHtml(rule_catalogue_html(t)))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.explanation)
        lay.addWidget(self.search)
        lay.addWidget(self.browser, 1)
        lay.addWidget(buttons)
        if rule:
            self.browser.scrollToAnchor(rule)


def about_html(version: str) -> str:
    return (f"<h3>mcscope {html.escape(version)}</h3><p>A debugging proxy and validator for Adobe's Media "
            "Collection API: it shows what a player sends, what the collector answers and what Adobe will "
            "count, and flags what Adobe ignores or drops.</p><p>Command line: <code>mcscope check FILE</code> "
            "(terminal summary, <code>--json</code>, <code>--junit</code>, <code>--markdown</code>, "
            "<code>--html</code>), <code>mcscope proxy</code>.</p>")
