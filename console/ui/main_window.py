"""The console's one window: calls on the left, the selected call (stream form and its streams) on
the right, the live event pane below; banners on top; account, API and receiver state in the
status bar. It presents and emits intents; the app layer decides what they mean."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from PySide6.QtCore import QByteArray, QEvent, QObject, QRect, QSettings, Qt, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QGuiApplication,
    QIcon,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMenuBar,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from console.domain.screen_fit import Rect, clamp, first_placement
from console.identity import DOCS_URL, NAME
from console.ui.banners import BannerBar, Level
from console.ui.focus_ring import FocusRings
from console.ui.plain_text import make_plain
from console.ui.status_indicator import Health, StatusIndicator
from console.ui.steady_inputs import SteadyComboBox

Light = Literal["account", "api", "receiver", "team"]  # the status bar's lights
CALL_PANE_WIDTH = 580  # px: the call pane's width when the pane does not say (placeholders)
CALL_PANE_ROOMY = 760  # px: the call pane's share of a wide window, at most (two fifths below)


class MainWindow(QMainWindow):
    close_requested = Signal()
    manage_accounts_requested = Signal()
    profile_selected = Signal(str)
    refresh_requested = Signal()
    open_logs_requested = Signal()
    about_requested = Signal()
    self_test_requested = Signal()
    activity_requested = Signal()
    receiver_settings_requested = Signal()
    team_database_requested = Signal()
    monitor_requested = Signal()  # View → Stream monitor: show it again once closed
    first_painted = Signal()

    def __init__(
        self,
        calls_region: QWidget,
        call_region: QWidget,
        events_region: QWidget,
        *,
        title: str = NAME,
        icon: QIcon | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("main_window")
        self.setWindowTitle(title)
        if icon is not None:
            self.setWindowIcon(icon)
        self._painted = False

        self.calls_region = calls_region
        self.call_region = call_region
        self.events_region = events_region
        calls_region.setObjectName(calls_region.objectName() or "calls_region")
        call_region.setObjectName(call_region.objectName() or "call_region")
        events_region.setObjectName(events_region.objectName() or "events_region")

        self._build_splitters(events_region)
        self._build_central()
        self._build_toolbar()
        self._build_menus()
        self._build_status_bar()
        self._focus_rings = FocusRings(self)
        self.place_on(None)

    def _build_splitters(self, events_region: QWidget) -> None:
        # Lists on the left (the calls over the event pane), the call acted on to the right at
        # the window's full height: at 1280x720 the stream form, Start and the call's streams
        # all show, and the event pane keeps its filters, five rows and its buttons.
        self.lower_tabs = QTabWidget()
        self.lower_tabs.setObjectName("lower_tabs")
        self.lower_tabs.setTabBarAutoHide(True)  # a tab bar only once the monitor shares it
        self.lower_tabs.setDocumentMode(True)
        # Tab passes through to the pane (a tab widget hands its focus to its tab bar, hidden
        # while there is one tab: Tab would stop there).
        self.lower_tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.lower_tabs.addTab(events_region, "Events")
        self.left_splitter = QSplitter(Qt.Orientation.Vertical)
        self.left_splitter.setObjectName("left_splitter")
        self.left_splitter.addWidget(self.calls_region)
        self.left_splitter.addWidget(self.lower_tabs)
        self.left_splitter.setStretchFactor(0, 3)
        self.left_splitter.setStretchFactor(1, 2)
        self.top_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.top_splitter.setObjectName("top_splitter")
        self.top_splitter.addWidget(self.left_splitter)
        self.top_splitter.addWidget(self.call_region)
        # A wider window widens the lists; the call pane keeps its width (it never shifts).
        self.top_splitter.setStretchFactor(0, 1)
        self.top_splitter.setStretchFactor(1, 0)
        for splitter in (self.top_splitter, self.left_splitter):
            splitter.setChildrenCollapsible(False)

    def _build_central(self) -> None:
        self.banners = BannerBar()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banners)
        layout.addWidget(self.top_splitter, 1)
        self.setCentralWidget(central)
        central.installEventFilter(self)

    def _build_status_bar(self) -> None:
        self.account_status = StatusIndicator("account_status", "Account")
        self.api_status = StatusIndicator("api_status", "API")
        self.receiver_status = StatusIndicator("receiver_status", "Receiver")
        self.team_status = StatusIndicator("team_status", "Team database")
        self.team_status.set_state(self.team_status.health, "off")
        items = (self.account_status, self.api_status, self.receiver_status, self.team_status)
        self._lights: dict[Light, StatusIndicator] = dict(
            zip(("account", "api", "receiver", "team"), items, strict=True)
        )
        for item in items:
            self.statusBar().addPermanentWidget(item)

    # --- chrome -------------------------------------------------------------------------------
    def _build_toolbar(self) -> None:
        bar = QToolBar("Account")
        bar.setObjectName("main_toolbar")
        bar.setMovable(False)
        caption = QLabel(" Account: ")
        make_plain(caption)
        self.profile_combo = SteadyComboBox()
        self.profile_combo.setObjectName("profile_combo")
        self.profile_combo.setAccessibleName("Account")
        self.profile_combo.setToolTip("Switch the Plivo account this console acts for")
        self.profile_combo.setMinimumContentsLength(18)
        self.profile_combo.setSizeAdjustPolicy(SteadyComboBox.SizeAdjustPolicy.AdjustToContents)
        self.profile_combo.activated.connect(self._on_profile_activated)
        caption.setBuddy(self.profile_combo)
        bar.addWidget(caption)
        bar.addWidget(self.profile_combo)
        self.refresh_action = QAction("Refresh", self)
        self.refresh_action.setObjectName("refresh_action")
        self.refresh_action.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.refresh_action.setToolTip("Refresh the live calls now (F5)")
        self.refresh_action.triggered.connect(self.refresh_requested)
        bar.addSeparator()
        bar.addAction(self.refresh_action)
        self.addToolBar(bar)
        self.toolbar = bar

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        logs = file_menu.addAction("Open &log folder")
        logs.triggered.connect(self.open_logs_requested)
        file_menu.addSeparator()
        quit_action = file_menu.addAction("&Quit")
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)

        self._build_view_menu(menus)
        account = menus.addMenu("&Account")
        manage = account.addAction("&Manage accounts…")
        manage.setObjectName("manage_accounts_action")
        manage.setShortcut(QKeySequence("Ctrl+Shift+A"))
        manage.triggered.connect(self.manage_accounts_requested)
        account.addSeparator()
        receiver = account.addAction("Status callback &receiver…")
        receiver.setObjectName("receiver_settings_action")
        receiver.triggered.connect(self.receiver_settings_requested)
        team = account.addAction("&Team database…")
        team.setObjectName("team_database_action")
        team.triggered.connect(self.team_database_requested)

        help_menu = menus.addMenu("&Help")
        docs = help_menu.addAction("Plivo Audio Stream &documentation")
        docs.triggered.connect(lambda: QDesktopServices.openUrl(QUrl(DOCS_URL)))
        help_menu.addAction("Open &log folder").triggered.connect(self.open_logs_requested)
        self_test = help_menu.addAction("Run &self-test…")
        self_test.setObjectName("self_test_action")
        self_test.triggered.connect(self.self_test_requested)
        help_menu.addSeparator()
        about = help_menu.addAction(f"&About {NAME}")
        about.setObjectName("about_action")
        about.triggered.connect(self.about_requested)

    def _build_view_menu(self, menus: QMenuBar) -> None:
        view = menus.addMenu("&View")
        self.view_menu = view  # the app adds its setting toggles (e.g. notifications) here
        view.addAction(self.refresh_action)
        self.toggle_events = view.addAction("&Event pane")
        self.toggle_events.setCheckable(True)
        self.toggle_events.setChecked(True)
        self.toggle_events.toggled.connect(self._show_events)
        self.monitor_action = view.addAction("Stream &monitor")
        self.monitor_action.setObjectName("show_monitor_action")
        self.monitor_action.setShortcut(QKeySequence("Ctrl+Shift+M"))
        self.monitor_action.setEnabled(False)  # until a stream is first monitored
        self.monitor_action.triggered.connect(self.monitor_requested)
        view.addSeparator()
        self.region_actions: list[QAction] = []
        for key, label, name, part in (
            ("Alt+1", "Go to &calls list", "calls", ""),
            ("Alt+2", "Go to stream &form", "call", "form"),
            ("Alt+3", "Go to &streams of the call", "call", "streams"),
            ("Alt+4", "Go to e&vents", "events", ""),
        ):
            action = view.addAction(label)
            action.setObjectName(f"focus_{part or name}_action")
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _=False, n=name, p=part: self.focus_region(n, p))
            self.region_actions.append(action)
        view.addSeparator()
        activity = view.addAction("&Activity history…")
        activity.setObjectName("activity_action")
        activity.setShortcut(QKeySequence("Ctrl+H"))
        activity.triggered.connect(self.activity_requested)
        view.addSeparator()
        view.addAction("&Reset layout").triggered.connect(self.reset_layout)

    # --- what the app calls: banners, status lights, menus ------------------------------------
    def show_banner(
        self,
        key: str,
        level: Level,
        text: str,
        detail: str = "",
        actions: list[tuple[str, Callable[[], object]]] | None = None,
    ) -> None:
        """A banner above the regions until dismissed (one per key; see BannerBar)."""
        self.banners.show_banner(key, level, text, detail, actions)

    def dismiss_banner(self, key: str) -> None:
        self.banners.dismiss(key)

    def show_status_message(self, text: str, timeout_ms: int) -> None:
        """A line at the left of the status bar that goes away on its own."""
        self.statusBar().showMessage(text, timeout_ms)

    def set_light(self, light: Light, health: Health, text: str, tooltip: str = "") -> None:
        """One of the status bar's lights: "account", "api", "receiver" or "team"."""
        self._lights[light].set_state(health, text, tooltip)

    def offer_settings_from(self, light: Light) -> None:
        """Clicking the "receiver" or "team" light (or Enter on it) asks for its settings, as the
        menu does: receiver_settings_requested or team_database_requested."""
        indicator = self._lights[light]
        indicator.make_clickable()
        wanted = {
            "receiver": self.receiver_settings_requested,
            "team": self.team_database_requested,
        }
        indicator.clicked.connect(wanted[light])

    def add_view_toggle(self, action: QAction) -> None:
        """A setting the app keeps (e.g. desktop notifications), at the end of the View menu."""
        self.view_menu.addSeparator()
        self.view_menu.addAction(action)

    def set_regions(self, calls_region: QWidget, call_region: QWidget) -> None:
        """Swap in the working regions. The first paint shows light placeholders, so the window
        is on screen before the heavier widgets (and their imports) are built."""
        for splitter, index, old, new in (
            (self.left_splitter, 0, self.calls_region, calls_region),
            (self.top_splitter, 1, self.call_region, call_region),
        ):
            if old is new:
                continue
            sizes = splitter.sizes()
            splitter.replaceWidget(index, new)
            splitter.setSizes(sizes)
            old.deleteLater()
        self.calls_region = calls_region
        self.call_region = call_region
        self._fix_call_width()

    def set_events_region(self, events_region: QWidget) -> None:
        """Swap in the working event pane for the first paint's placeholder."""
        old = self.events_region
        if old is events_region:
            return
        events_region.setObjectName(events_region.objectName() or "events_region")
        index = self.lower_tabs.indexOf(old)
        showing = self.lower_tabs.currentWidget() is old  # else the agent chose another tab
        self.lower_tabs.insertTab(index, events_region, "Events")
        self.lower_tabs.removeTab(index + 1)
        if showing:
            self.lower_tabs.setCurrentWidget(events_region)
        self.events_region = events_region
        old.deleteLater()

    def add_lower_tab(self, widget: QWidget, title: str) -> None:
        """A panel sharing the event pane's place (the stream monitor on a laptop screen): the
        calls list and the call pane keep their widths."""
        self.lower_tabs.addTab(widget, title)
        self.show_lower_tab(widget)

    def set_monitor_available(self, available: bool) -> None:
        """View → Stream monitor (Ctrl+Shift+M) works once there is a monitor to show."""
        self.monitor_action.setEnabled(available)

    def show_lower_tab(self, widget: QWidget) -> None:
        """`widget`'s tab brought forward, the shared place made tall enough for it (up to three
        fifths of the column: the calls list keeps the rest)."""
        self.toggle_events.setChecked(True)
        self.lower_tabs.setCurrentWidget(widget)
        calls, lower = self.left_splitter.sizes()
        bar = self.lower_tabs.tabBar().sizeHint().height()
        want = min(widget.sizeHint().height() + bar, (calls + lower) * 3 // 5)
        give = min(want - lower, calls - self.calls_region.minimumSizeHint().height())
        if give > 0:
            self.left_splitter.setSizes([calls - give, lower + give])

    def focus_region(self, name: str, part: str = "") -> None:
        """Keyboard focus into a region ("calls", "call" with part "form"/"streams", "events").
        A region may offer `focus_part(part) -> bool`; otherwise its first focusable child."""
        region = {
            "calls": self.calls_region,
            "call": self.call_region,
            "events": self.events_region,
        }[name]
        if region is self.events_region and not region.isVisible():
            self.toggle_events.setChecked(True)
        focus_part = getattr(region, "focus_part", None)
        if callable(focus_part) and focus_part(part):
            return
        for child in region.findChildren(QWidget):
            if (
                child.isVisible()
                and child.isEnabled()
                and child.focusPolicy() & Qt.FocusPolicy.TabFocus
            ):
                child.setFocus(Qt.FocusReason.ShortcutFocusReason)
                return

    def _show_events(self, shown: bool) -> None:
        """Hidden, the event pane (and what shares its place) gives its height to the calls."""
        self.lower_tabs.setVisible(shown)

    def _fix_call_width(self) -> None:
        """The call pane's width is set here once (for the font in use), never by what a call
        happens to show: the pane does not shift sideways between calls, and the calls list
        keeps its columns."""
        wanted = getattr(self.call_region, "width_wanted", None)
        width = int(wanted()) if callable(wanted) else CALL_PANE_WIDTH
        self.call_region.setMinimumWidth(width)

    # --- state shown --------------------------------------------------------------------------
    def set_profiles(self, profiles: list[tuple[str, str]], current: str | None) -> None:
        """(profile_id, label) pairs for the toolbar's account switcher."""
        self.profile_combo.blockSignals(True)
        self.profile_combo.clear()
        if not current:
            self.profile_combo.addItem("Choose an account…", "")
        for profile_id, label in profiles:
            self.profile_combo.addItem(label, profile_id)
        index = self.profile_combo.findData(current) if current else 0
        self.profile_combo.setCurrentIndex(max(index, 0))
        self.profile_combo.blockSignals(False)

    def _on_profile_activated(self, index: int) -> None:
        profile_id = self.profile_combo.itemData(index)
        if profile_id:
            self.profile_selected.emit(str(profile_id))

    # --- layout persistence -------------------------------------------------------------------
    def place_on(self, available: QRect | None) -> None:
        """The first start's place: fits `available` (the screen's free area by default),
        maximised on a laptop-sized screen (console/domain/screen_fit.py)."""
        area = available if available is not None else self.screen().availableGeometry()
        placement = first_placement(_rect(area))
        self.setGeometry(_qrect(placement.rect))
        if placement.maximised:
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)
        self.reset_layout()

    def clamp_to_screen(self) -> None:
        """A remembered geometry pulled back onto the screen it lands on (a laptop undocked from
        the big monitor it was saved on)."""
        if self.windowState() & (Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen):
            return
        screen = QGuiApplication.screenAt(self.geometry().center()) or self.screen()
        fitted = clamp(_rect(self.geometry()), _rect(screen.availableGeometry()))
        if _qrect(fitted) != self.geometry():
            self.setGeometry(_qrect(fitted))

    def restore_layout(self, settings: QSettings) -> None:
        geometry = settings.value("window/geometry")
        if isinstance(geometry, QByteArray | bytes) and self.restoreGeometry(QByteArray(geometry)):
            self.clamp_to_screen()
            self.reset_layout()
        else:
            self.place_on(None)
        for key, apply in (
            ("window/state", self.restoreState),
            ("window/top_splitter", self.top_splitter.restoreState),
            ("window/left_splitter", self.left_splitter.restoreState),
        ):
            value = settings.value(key)
            if isinstance(value, QByteArray | bytes):
                apply(QByteArray(value))

    def save_layout(self, settings: QSettings) -> None:
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        settings.setValue("window/top_splitter", self.top_splitter.saveState())
        settings.setValue("window/left_splitter", self.left_splitter.saveState())
        settings.remove("window/main_splitter")  # the layout before the event pane moved left
        settings.sync()

    def reset_layout(self) -> None:
        """The call pane at two fifths of the width (never below its fixed minimum, nor above
        CALL_PANE_ROOMY), the rest to the lists; the event pane gets two
        fifths of the height (never less than it needs for its filters, rows and buttons)."""
        width, height = max(self.width(), 1), max(self.height(), 1)
        floor = self.call_region.minimumWidth() or CALL_PANE_WIDTH
        call = max(floor, min(width * 2 // 5, CALL_PANE_ROOMY))
        self.top_splitter.setSizes([max(width - call, 1), call])
        events = max(self.lower_tabs.minimumSizeHint().height(), height * 2 // 5)
        self.left_splitter.setSizes([max(height - events, 1), events])
        self.toggle_events.setChecked(True)

    # --- events -------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Watches the central widget for its first paint: the moment the agent sees a window."""
        if event.type() == QEvent.Type.Paint and not self._painted:
            watched.removeEventFilter(self)
            self._note_painted()
        return False

    def _note_painted(self) -> None:
        if not self._painted:
            self._painted = True
            self.first_painted.emit()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # a larger system font: a wider call pane
            self._fix_call_width()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.close_requested.emit()
        event.accept()


def _rect(rect: QRect) -> Rect:
    return Rect(rect.x(), rect.y(), rect.width(), rect.height())


def _qrect(rect: Rect) -> QRect:
    return QRect(rect.x, rect.y, rect.width, rect.height)
