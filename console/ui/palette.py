"""Colours that stay readable in light and dark palettes.

Status colours (errors, warnings, success, hints) are brand hues, but a hue that reads on white
can vanish on a dark window (amber #8a5a00 on #353535 is 2:1). Every coloured text is therefore
picked for the background it is drawn on: the hue is kept and lightened or darkened until it
reaches WCAG AA's 4.5:1 for text. Qt's own disabled-text colours get the same treatment, so a
disabled button's caption is still legible. The contrast maths is WCAG 2.x relative luminance.
"""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QWidget

AA_TEXT = 4.5


class Tone(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    SUCCESS = "success"
    INFO = "info"
    HINT = "hint"


HUES = {
    Tone.ERROR: QColor("#d1242f"),
    Tone.WARNING: QColor("#b07800"),
    Tone.SUCCESS: QColor("#1e7e34"),
    Tone.INFO: QColor("#1f6feb"),
    Tone.HINT: QColor("#6e7781"),
}


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(color: QColor) -> float:
    return (
        0.2126 * _channel(color.red())
        + 0.7152 * _channel(color.green())
        + 0.0722 * _channel(color.blue())
    )


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio, 1.0 (none) to 21.0 (black on white)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def is_dark(palette: QPalette) -> bool:
    return luminance(palette.color(QPalette.ColorRole.Window)) < 0.2


def readable(color: QColor, background: QColor, minimum: float = AA_TEXT) -> QColor:
    """`color`'s hue, lightened on a dark background or darkened on a light one, until its
    contrast with `background` reaches `minimum` (black or white at the very end)."""
    if contrast(color, background) >= minimum:
        return QColor(color)
    lighten = contrast(QColor("#ffffff"), background) > contrast(QColor("#000000"), background)
    hue, saturation = color.hslHueF(), color.hslSaturationF()
    lightness, alpha = color.lightnessF(), color.alphaF()
    step = 0.02 if lighten else -0.02
    while 0.0 < lightness < 1.0:
        lightness = min(1.0, max(0.0, lightness + step))
        candidate = QColor.fromHslF(max(hue, 0.0), saturation, lightness, alpha)
        if contrast(candidate, background) >= minimum:
            return candidate
    return QColor("#ffffff" if lighten else "#000000")


def tone_color(tone: Tone, background: QColor) -> QColor:
    return readable(HUES[tone], background)


def background_of(widget: QWidget) -> QColor:
    """The colour a widget's text is drawn on (its window colour, as most labels are)."""
    return widget.palette().color(widget.backgroundRole())


def set_text_tone(widget: QWidget, tone: Tone | None) -> QColor:
    """Colour `widget`'s text (through its palette, not a style sheet, so the colour can be
    read back and checked); None restores the palette's normal text colour."""
    palette = widget.palette()
    parent = widget.parentWidget()
    normal = (parent.palette() if parent is not None else QPalette()).color(
        QPalette.ColorRole.WindowText
    )
    color = normal if tone is None else tone_color(tone, background_of(widget))
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        palette.setColor(group, QPalette.ColorRole.WindowText, color)
        palette.setColor(group, QPalette.ColorRole.Text, color)
    widget.setPalette(palette)
    return color


_DISABLED_PAIRS = (
    (QPalette.ColorRole.ButtonText, QPalette.ColorRole.Button),
    (QPalette.ColorRole.WindowText, QPalette.ColorRole.Window),
    (QPalette.ColorRole.Text, QPalette.ColorRole.Base),
)


def accessible_palette(palette: QPalette) -> QPalette:
    """`palette` with disabled text (and placeholders) raised to 4.5:1 where they fall short;
    still dimmer than enabled text, so disabled controls keep looking disabled."""
    fixed = QPalette(palette)
    disabled = QPalette.ColorGroup.Disabled
    for text_role, background_role in _DISABLED_PAIRS:
        background = fixed.color(disabled, background_role)
        fixed.setColor(disabled, text_role, readable(fixed.color(disabled, text_role), background))
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive, disabled):
        base = fixed.color(group, QPalette.ColorRole.Base)
        placeholder = fixed.color(group, QPalette.ColorRole.PlaceholderText)
        fixed.setColor(group, QPalette.ColorRole.PlaceholderText, readable(placeholder, base))
    return fixed


def dark_reference() -> QPalette:
    """A dark desktop palette as a platform theme hands it to Qt (GitHub-dark-like greys, with
    the usual low-contrast grey for disabled text): what the screenshots and the contrast tests
    render with, since Xvfb and the offscreen platform have no theme to ask."""
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#202124", QPalette.ColorRole.WindowText: "#e8eaed",
        QPalette.ColorRole.Base: "#17181a", QPalette.ColorRole.AlternateBase: "#25272a",
        QPalette.ColorRole.Text: "#e8eaed", QPalette.ColorRole.Button: "#2d2f33",
        QPalette.ColorRole.ButtonText: "#e8eaed", QPalette.ColorRole.Highlight: "#1f6feb",
        QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#2d2f33",
        QPalette.ColorRole.ToolTipText: "#e8eaed", QPalette.ColorRole.PlaceholderText: "#8b949e",
        QPalette.ColorRole.Link: "#58a6ff",
    }  # fmt: skip
    for role, colour in roles.items():
        p.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6e7681"))
    return p
