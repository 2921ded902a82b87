"""Stylize: paint photos in a shipped or learned style, or a blend of styles."""

from artgan.capability import AppContext, Capability
from artgan.stylize.commands import add_commands


def build_tab(app: AppContext) -> None:
    from artgan.stylize import ui  # gradio loads only when the app builds its tabs

    ui.build_tab(app)


CAPABILITY = Capability("stylize", "Stylize", build_tab, add_commands)
