"""Live: the browser's webcam stylized frame by frame with the fast network, steadied by optical flow."""

SIZES = (320, 480, 640)  # long side of the painted frame, px: the size picker's choices
DEFAULT_SIZE = 320
