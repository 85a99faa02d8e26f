"""The kiosks repository: enrolled kiosks and the short kiosk codes (digests only)."""

from __future__ import annotations

import sqlalchemy as sa

from hearings.adapters import orm
from hearings.adapters.repositories import _Repo
from hearings.services.kiosks import Kiosk, KioskCode

__all__ = ["KioskRepo"]


class KioskRepo(_Repo[Kiosk]):
    model, noun = Kiosk, "kiosk"

    async def by_digest(self, digest: str) -> Kiosk | None:
        return await self._one(orm.kiosks.c.digest == digest)

    async def of_site(self, site_id: str) -> list[Kiosk]:
        return await self._all(sa.select(Kiosk).where(orm.kiosks.c.site_id == site_id)
                               .order_by(orm.kiosks.c.created_at, orm.kiosks.c.id))

    def add_code(self, code: KioskCode) -> None:
        self._session.add(code)

    async def codes_by_digest(self, digest: str) -> list[KioskCode]:
        result = await self._session.execute(sa.select(KioskCode).where(
            orm.kiosk_codes.c.digest == digest))
        return list(result.scalars().all())
