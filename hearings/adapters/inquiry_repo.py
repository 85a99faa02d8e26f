"""The case inquiries (一案一码) repository: codes and the parties' second-factor digests."""

from __future__ import annotations

import sqlalchemy as sa

from hearings.adapters import orm
from hearings.adapters.repositories import _Repo
from hearings.domain.inquiry import CaseInquiry, FactorKind, InquiryFactor

__all__ = ["InquiryRepo"]


class InquiryRepo(_Repo[CaseInquiry]):
    model, noun = CaseInquiry, "case inquiry"

    async def of_case(self, case_id: str) -> CaseInquiry | None:
        return await self._one(orm.case_inquiries.c.case_id == case_id)

    async def by_code(self, code: str) -> CaseInquiry | None:
        return await self._one(orm.case_inquiries.c.code == code)

    def add_factor(self, factor: InquiryFactor) -> None:
        self._session.add(factor)

    async def factors(self, case_id: str) -> list[InquiryFactor]:
        result = await self._session.execute(sa.select(InquiryFactor).where(
            orm.inquiry_factors.c.case_id == case_id).order_by(orm.inquiry_factors.c.id))
        return list(result.scalars().all())

    async def factor(self, participant_id: str, kind: FactorKind) -> InquiryFactor | None:
        result = await self._session.execute(sa.select(InquiryFactor).where(
            orm.inquiry_factors.c.participant_id == participant_id,
            orm.inquiry_factors.c.kind == kind))
        return result.scalars().first()

    async def drop_factor(self, factor: InquiryFactor) -> None:
        await self._session.delete(factor)
