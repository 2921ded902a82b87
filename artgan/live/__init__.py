"""Live: the browser's webcam stylized frame by frame with the fast network, steadied by optical flow."""

from artgan.capability import AppContext, Capability

SIZES = (320, 480, 640)  # long side of the painted frame, px: the size picker's choices
DEFAULT_SIZE = 320


def build_tab(app: AppContext) -> None:
    from artgan.live import ui  # gradio loads only when the app builds its tabs

    ui.build_tab(app.fast_styles)


CAPABILITY = Capability("live", "Live", build_tab)
