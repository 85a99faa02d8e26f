"""Media: the server's aiortc peer per participant, the recorder, composer and evidence packages.

Entry points: `media.peers.MediaService` (signaling calls it), `media.composer.compose_hearing`,
`media.evidence.build_package` / `verify_package`, `media.cli.register`. See docs/media.md.
Importing this package opens nothing and installs no hook; `MediaService.open()` does.
"""
