"""User-facing errors: one clear sentence, shown as `gr.Error` in the app or one CLI line."""


class ArtganError(Exception):
    """Base of every error a user can cause or fix (bad input, missing weights, …)."""


class ImageError(ArtganError):
    """The file is not a usable image (not an image, corrupt, too large)."""


class WeightsError(ArtganError):
    """A model file is missing, corrupted or not listed in the manifest."""


class StyleError(ArtganError):
    """An unknown style name or a malformed style/blend specification."""


class VideoError(ArtganError):
    """The file is not a usable video (corrupt, no frames, audio only, unsupported container)."""
