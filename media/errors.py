"""The media package's errors, all under one root.

    MediaError
    ├── IceConfigurationError    bad ICE server settings
    ├── PassthroughUnavailable   aiortc's private receive seam changed shape
    ├── NegotiationError         an offer the server peer cannot answer
    ├── SegmentWriteError        a segment could not be written (disk full, I/O)
    ├── ComposeError             ffmpeg failed to compose the archive file
    └── PackageError             an evidence package cannot be built or read
"""

from __future__ import annotations


class MediaError(Exception):
    """Root of every error raised by `media`."""


class IceConfigurationError(MediaError, ValueError):
    pass


class PassthroughUnavailable(MediaError, RuntimeError):
    pass


class NegotiationError(MediaError, ValueError):
    pass


class SegmentWriteError(MediaError, OSError):
    pass


class ComposeError(MediaError, RuntimeError):
    pass


class PackageError(MediaError, ValueError):
    pass
