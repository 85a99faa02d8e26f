"""The one Matroska (EBML) edit the recorder makes: a crash-cut segment's missing Duration.

FFmpeg's Matroska muxer reserves an 11-byte Void in the segment's Info for the Duration
and fills it in only when the file is closed; a killed or disk-full writer leaves the Void,
and players then report no duration. `write_duration` puts the Duration element (ID 0x4489,
an 8-byte float in TimestampScale units) into exactly those 11 bytes, in place: no byte of
media moves, and a writer still holding the file would write the same element there.
"""

from __future__ import annotations

import struct
from pathlib import Path

__all__ = ["has_duration", "write_duration"]

_SEGMENT, _INFO, _CLUSTER = 0x18538067, 0x1549A966, 0x1F43B675
_VOID, _CRC32, _DURATION, _TIMESTAMP_SCALE = 0xEC, 0xBF, 0x4489, 0x2AD7B1
_RESERVED = 11  # 2-byte ID + 1-byte size + 8-byte float
_HEAD = 64 * 1024  # Info sits in the first few hundred bytes of FFmpeg's files


def _vint(data: bytes, at: int, *, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer at `at`: its value and its length in bytes."""
    if at >= len(data) or data[at] == 0:
        raise ValueError(f"no EBML integer at byte {at}")
    first, length = data[at], 1
    while not first & (0x80 >> (length - 1)):
        length += 1
    value = first if keep_marker else first & ((0x80 >> (length - 1)) - 1)
    if at + length > len(data):
        raise ValueError(f"EBML integer at byte {at} runs past the data read")
    for byte in data[at + 1:at + length]:
        value = value << 8 | byte
    return value, length


def _element(data: bytes, at: int) -> tuple[int, int, int | None]:
    """(ID, offset of the payload, payload size or None when unknown) at `at`."""
    element_id, id_length = _vint(data, at, keep_marker=True)
    size, size_length = _vint(data, at + id_length, keep_marker=False)
    unknown = size == (1 << (7 * size_length)) - 1
    return element_id, at + id_length + size_length, None if unknown else size


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int | None]]:
    """(ID, element offset, payload offset, payload size) of each child in [start, end)."""
    found = []
    at = start
    while at < min(end, len(data)):
        element_id, payload, size = _element(data, at)
        found.append((element_id, at, payload, size))
        if size is None or element_id == _CLUSTER:
            break  # media from here on
        at = payload + size
    return found


def _info(data: bytes) -> list[tuple[int, int, int, int | None]]:
    header_id, payload, size = _element(data, 0)
    if header_id != 0x1A45DFA3 or size is None:
        raise ValueError("not an EBML file")
    segment_id, segment_payload, segment_size = _element(data, payload + size)
    if segment_id != _SEGMENT:
        raise ValueError("no Matroska segment after the EBML header")
    end = len(data) if segment_size is None else segment_payload + segment_size
    for element_id, _at, child_payload, child_size in _children(data, segment_payload, end):
        if element_id == _INFO and child_size is not None:
            return _children(data, child_payload, child_payload + child_size)
    raise ValueError("no segment Info before the first cluster")


def has_duration(path: Path) -> bool:
    with path.open("rb") as stream:
        return any(child[0] == _DURATION for child in _info(stream.read(_HEAD)))


def write_duration(path: Path, seconds: float) -> bool:
    """Fill the reserved Void with a Duration of `seconds`; False if the file has one already
    or no place for it (then nothing is written). Raises ValueError if it is not Matroska."""
    with path.open("r+b") as stream:
        data = stream.read(_HEAD)
        children = _info(data)
        ids = [child[0] for child in children]
        if _DURATION in ids or _CRC32 in ids:  # a CRC-32 would no longer match
            return False
        scale = 1_000_000  # nanoseconds per tick, Matroska's default
        for element_id, _at, payload, size in children:
            if element_id == _TIMESTAMP_SCALE and size:
                scale = int.from_bytes(data[payload:payload + size], "big") or scale
        reserved = [at for element_id, at, payload, size in children if element_id == _VOID
                    and size is not None and payload + size - at == _RESERVED]
        if not reserved:
            return False
        ticks = seconds * 1e9 / scale
        stream.seek(reserved[-1])
        stream.write(struct.pack(">HBd", _DURATION, 0x88, ticks))
    return True
