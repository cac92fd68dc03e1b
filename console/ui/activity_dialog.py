"""The activity history: who started or stopped which stream, when, from which computer, on which
call (its from and to numbers as the calls list showed them), for which account (by name), and
what came of it. Filters (user, call, time range) narrow it; the app runs them as a query.

In the team database the user is the database login that wrote the entry, recorded by the
database itself (docs/team-mode.md, Attribution): such a name carries a check mark, and the
computer's own user name, which any console can claim, is the OS user beside it."""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import QDateTime, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.domain.activity import ActivityEntry, Outcome
from console.domain.numbers import display_number
from console.ui.accessible import clear_button
from console.ui.palette import Tone, tone_color
from console.ui.plain_text import plain_label, tooltip_text

COLUMNS = [
    "Time",  # the header names the zone: see time_header()
    "User",
    "OS user",
    "Host",
    "Account",
    "Action",
    "From",
    "To",
    "Call UUID",
    "Service URL",
    "Stream ID",
    "Result",
    "Detail",
]
RESULT_COLUMN = COLUMNS.index("Result")
USER_COLUMN = COLUMNS.index("User")
FIT = ("User", "OS user", "Host", "Account", "From", "To", "Result")
FIT_COLUMNS = [COLUMNS.index(name) for name in FIT]
WIDTHS = (150, 80, 80, 100, 140, 110, 120, 120, 140, 180, 140, 80)
TEAM_LOGIN_TIP = "{user}: the team database's login that wrote this entry, recorded by the database"
CLAIMED_TIP = "{user}: the computer's user name, as the console reported it"
MAX_FILTER_TEXT = 200


@dataclass(frozen=True, slots=True)
class ActivityFilter:
    """What the agent asked to see ('' and None: any)."""

    user: str = ""
    call_uuid: str = ""
    since: float | None = None  # epoch seconds, inclusive
    until: float | None = None

    @property
    def active(self) -> bool:
        return bool(self.user or self.call_uuid) or self.since is not None or self.until is not None


def counted(n: int, singular: str, plural: str) -> str:
    """`1 entry`, `2 entries`, `1,500 entries`: every count in the console reads the same way."""
    return f"{n:,} {singular if n == 1 else plural}"


def utc_offset(seconds: int) -> str:
    sign = "+" if seconds >= 0 else "-"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def time_header(now: float | None = None) -> str:
    """ "Time (CET, UTC+01:00)": the history shows this computer's local time, and says so."""
    local = time.localtime(now)
    offset = utc_offset(local.tm_gmtoff)
    name = local.tm_zone or ""
    if local.tm_gmtoff == 0 and name.upper() in ("", "UTC", "GMT"):
        return "Time (UTC)"
    if not name or name[0] in "+-":  # zones with no abbreviation are named by their offset
        return f"Time ({offset})"
    return f"Time ({name}, {offset})"


class ActivityDialog(QDialog):
    export_requested = Signal()
    refresh_requested = Signal()  # also when the filters are applied or cleared

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("activity_dialog")
        self.setWindowTitle("Activity history")
        self.resize(1100, 480)
        self.summary = plain_label()
        self.summary.setObjectName("activity_summary")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("activity_table")
        self.table.setAccessibleName("Activity history")
        self.table.setHorizontalHeaderLabels([time_header(), *COLUMNS[1:]])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate(WIDTHS):
            self.table.setColumnWidth(column, width)
        self.filters = self._build_filters()
        self.export_button = QPushButton("&Export CSV…")
        self.export_button.setObjectName("export_activity")
        self.export_button.clicked.connect(self.export_requested)
        refresh = QPushButton("&Refresh")
        refresh.clicked.connect(self.refresh_requested)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(refresh, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(self.filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)

    def _build_filters(self) -> QHBoxLayout:
        self.user_filter = QLineEdit()
        self.user_filter.setObjectName("activity_user_filter")
        self.user_filter.setAccessibleName("Filter by user")
        self.user_filter.setPlaceholderText("user")
        self.call_filter = QLineEdit()
        self.call_filter.setObjectName("activity_call_filter")
        self.call_filter.setAccessibleName("Filter by call UUID")
        self.call_filter.setPlaceholderText("call UUID")
        for edit in (self.user_filter, self.call_filter):
            edit.setMaxLength(MAX_FILTER_TEXT)
            clear_button(edit)
            edit.returnPressed.connect(self.refresh_requested)
        now = QDateTime.currentDateTime()
        self.since_check = QCheckBox("&From")
        self.since_check.setObjectName("activity_since_check")
        self.since_edit = QDateTimeEdit(now.addDays(-1))
        self.since_edit.setObjectName("activity_since")
        self.until_check = QCheckBox("&until")
        self.until_check.setObjectName("activity_until_check")
        self.until_edit = QDateTimeEdit(now)
        self.until_edit.setObjectName("activity_until")
        for check, picker in (
            (self.since_check, self.since_edit),
            (self.until_check, self.until_edit),
        ):
            picker.setDisplayFormat("yyyy-MM-dd HH:mm")
            picker.setCalendarPopup(True)
            picker.setEnabled(False)
            check.toggled.connect(picker.setEnabled)
        self.apply_button = QPushButton("&Apply filters")
        self.apply_button.setObjectName("activity_apply")
        self.apply_button.clicked.connect(self.refresh_requested)
        self.clear_button = QPushButton("C&lear")
        self.clear_button.setObjectName("activity_clear")
        self.clear_button.clicked.connect(self.clear_filters)
        row = QHBoxLayout()
        for widget in (
            self.user_filter, self.call_filter, self.since_check, self.since_edit,
            self.until_check, self.until_edit, self.apply_button, self.clear_button,
        ):  # fmt: skip
            row.addWidget(widget)
        row.setStretch(0, 1)
        row.setStretch(1, 2)
        return row

    def current_filter(self) -> ActivityFilter:
        since = (
            self.since_edit.dateTime().toSecsSinceEpoch() if self.since_check.isChecked() else None
        )
        until = (
            self.until_edit.dateTime().toSecsSinceEpoch() if self.until_check.isChecked() else None
        )
        return ActivityFilter(
            user=self.user_filter.text().strip(),
            call_uuid=self.call_filter.text().strip(),
            since=float(since) if since is not None else None,
            until=float(until) + 60.0 if until is not None else None,  # the whole minute shown
        )

    def clear_filters(self) -> None:
        for edit in (self.user_filter, self.call_filter):
            edit.clear()
        self.since_check.setChecked(False)
        self.until_check.setChecked(False)
        self.refresh_requested.emit()

    def set_entries(self, entries: list[ActivityEntry], *, limit: int | None = None) -> None:
        """`limit`: how many the app asked for (the summary then says when there are more)."""
        self.table.setHorizontalHeaderItem(0, QTableWidgetItem(time_header()))
        self.table.setRowCount(len(entries))
        failed = tone_color(Tone.ERROR, self.table.palette().color(self.table.backgroundRole()))
        login_mark = self.style().standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton)
        for row, e in enumerate(entries):
            local = time.localtime(e.at)
            os_user = e.os_user if e.team_login else e.user
            values = [
                time.strftime("%Y-%m-%d %H:%M:%S", local), e.user, os_user, e.host, e.account_label,
                e.action.value, display_number(e.from_number), display_number(e.to_number),
                e.call_uuid, e.service_url,
                e.stream_id, e.outcome.value, e.detail,
            ]  # fmt: skip
            tips = list(values)
            tips[0] = f"{values[0]} {local.tm_zone} ({utc_offset(local.tm_gmtoff)})"
            tips[1] = (TEAM_LOGIN_TIP if e.team_login else CLAIMED_TIP).format(user=e.user)
            tips[2] = CLAIMED_TIP.format(user=os_user)
            if e.console_version:
                tips[3] = f"{e.host} (Stream Console {e.console_version})"
            if e.account_name:
                tips[4] = f"{e.account_name} ({e.account})"
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(tooltip_text(tips[column]))
                if column == RESULT_COLUMN and e.outcome is not Outcome.OK:
                    item.setForeground(failed)
                if column == USER_COLUMN and e.team_login:
                    item.setIcon(login_mark)
                self.table.setItem(row, column, item)
        for column in FIT_COLUMNS:  # names and numbers whole, within reason
            self.table.resizeColumnToContents(column)
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), 280))
        narrowed = self.current_filter().active
        if not entries:
            text = (
                "Nothing matches these filters."
                if narrowed
                else "No starts or stops yet. Every one you make is recorded here."
            )
        elif narrowed:
            matching = counted(len(entries), "action matches", "actions match")
            text = f"{matching} the filters, newest first."
        else:
            shown = counted(len(entries), "most recent action", "most recent actions")
            more = " (older ones are in the export)" if limit and len(entries) >= limit else ""
            text = f"{shown}{more}, newest first. Export writes the whole history."
        if any(e.team_login for e in entries):
            text += " A checked user is the login the team database recorded."
        self.summary.setText(text)

    def show_message(self, text: str) -> None:
        self.summary.setText(text)
