"""How each kind of event looks: a colour and a small drawn icon, so the kinds differ by shape as
well as by colour (for colour-blind agents and greyscale screenshots)."""

from __future__ import annotations

from enum import Enum
from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

from console.domain.events import StoredEvent, StreamEventName
from console.ui.events_filter import is_rejected


class Kind(Enum):
    START = "start"
    STOP = "stop"
    DROPPED = "dropped"
    DEGRADED = "degraded"
    REJECTED = "rejected"
    OTHER = "other"


_BY_NAME = {
    StreamEventName.START.value: Kind.START,
    StreamEventName.STOP.value: Kind.STOP,
    StreamEventName.DROPPED.value: Kind.DROPPED,
    StreamEventName.DEGRADED.value: Kind.DEGRADED,
}
# Mid-tone colours that read on both light and dark table backgrounds.
_COLOURS = {
    Kind.START: "#2e9d4f",
    Kind.STOP: "#5b7fa6",
    Kind.DROPPED: "#d64541",
    Kind.DEGRADED: "#d98a00",
    Kind.REJECTED: "#a855c7",
    Kind.OTHER: "#8a8a8a",
}


def kind_of(event: StoredEvent) -> Kind:
    if is_rejected(event):
        return Kind.REJECTED
    return _BY_NAME.get(event.event, Kind.OTHER)


@cache
def colour_for(kind: Kind) -> QColor:
    return QColor(_COLOURS[kind])


@cache
def icon_for(kind: Kind) -> QIcon:
    """Start ▶, stop ■, dropped ✕, degraded ▲, rejected ⊘, other ●; 16 px, drawn once."""
    size = 16
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    colour = colour_for(kind)
    painter.setBrush(colour)
    painter.setPen(Qt.PenStyle.NoPen)
    if kind is Kind.START:
        painter.drawPolygon(QPolygonF([QPointF(4, 2), QPointF(14, 8), QPointF(4, 14)]))
    elif kind is Kind.STOP:
        painter.drawRect(QRectF(3, 3, 10, 10))
    elif kind is Kind.DEGRADED:
        painter.drawPolygon(QPolygonF([QPointF(8, 1.5), QPointF(15, 14.5), QPointF(1, 14.5)]))
    elif kind in (Kind.DROPPED, Kind.REJECTED):
        pen = QPen(colour, 2.6)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        path = QPainterPath()
        if kind is Kind.DROPPED:
            path.moveTo(3.5, 3.5)
            path.lineTo(12.5, 12.5)
            path.moveTo(12.5, 3.5)
            path.lineTo(3.5, 12.5)
        else:
            path.addEllipse(QRectF(2.5, 2.5, 11, 11))
            path.moveTo(4.5, 11.5)
            path.lineTo(11.5, 4.5)
        painter.drawPath(path)
    else:
        painter.drawEllipse(QRectF(4, 4, 8, 8))
    painter.end()
    return QIcon(pixmap)
