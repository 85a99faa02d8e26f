"""What a remote interrogation's transcript (讯问笔录) says beyond a transcript: who asked,
that the notice of rights was read and acknowledged, and the statement the detainee confirms
before signing (the signing order is hearings/domain/transcript.py's `interrogation_slots`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hearings.domain.documents import TranscriptContext

__all__ = ["RIGHTS_NOTICE", "InterrogationContext"]

# Printed in the header once the interrogator has recorded that it was read and acknowledged.
RIGHTS_NOTICE = ("已向犯罪嫌疑人宣读《犯罪嫌疑人诉讼权利义务告知书》，告知其诉讼权利和义务，"
                 "犯罪嫌疑人表示已经听清楚、明白")


@dataclass(frozen=True)
class InterrogationContext(TranscriptContext):
    """The 讯问笔录 as frozen: a transcript's context plus the interrogators, the
    recorder's title, the notice of rights (and when it was acknowledged), the detainee's
    statement and whose field it is printed above."""

    interrogators: tuple[str, ...] = ()
    rights_acknowledged_at: datetime | None = None
    statement: str = ""
