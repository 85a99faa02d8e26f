"""create_app(settings): the only place that wires the packages together."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

from aiohttp import web
from aiohttp.typedefs import Middleware

from docforge.forge import DocumentForge
from hearings.adapters.database import Database
from hearings.domain.actors import SYSTEM
from hearings.domain.events import RecordingChanged
from hearings.services.bus import Bus
from media.errors import NegotiationError
from media.participant import ParticipantInfo
from media.peers import MediaService
from signaling import RoomServices, Signaling, create_signaling
from signaling.errors import MessageInvalid
from signaling.follow import follow
from signaling.revocation import SessionEnder
from web.app.bootstrap import Services, bootstrap
from web.app.wiring import docforge_config, media_settings, signaling_config
from web.bridges.archive import RecordingArchive
from web.bridges.documents import ForgeDocuments
from web.bridges.efile_store import FileUploadStore
from web.bridges.event_relay import relay_ctx
from web.bridges.jobs import InProcessJobs, Jobs, QueueJobs, make_broker
from web.bridges.jobs_efile import EfileJobs, status_store
from web.bridges.jobs_package import PackageJobs
from web.bridges.media_audience import MediaAudience
from web.bridges.media_remote import RemoteMedia
from web.bridges.notifiers import notifier_from_settings, outbox_ctx
from web.bridges.recording import RecordingDriver, media_id
from web.bridges.turn import IceServers
from web.http.api import ROUTES
from web.http.api.inquiry import inquiry_ctx
from web.http.errors import error_middleware
from web.http.security import security_headers
from web.http.throttle import FailureWindow, LoginFailures, RedisFailureWindow
from web.i18n import DEFAULT_LOCALE, translations
from web.keys import (
    ARCHIVE,
    DATABASE,
    EFILE_JOBS,
    FORGE,
    ICE_SERVERS,
    LOGIN_FAILURES,
    MEDIA,
    PACKAGE_JOBS,
    RECORDING,
    SERVICES,
    SETTINGS,
    SIGNALING,
    UPLOADS,
)
from web.labels import ROLES
from web.pages.access_log import ACCESS_LOG_PAGES
from web.pages.accounts import ACCOUNT_PAGES, password_change_gate
from web.pages.bookings import BOOKING_PAGES
from web.pages.hearings import PAGES, STATIC_DIR, TEMPLATES, make_environment
from web.pages.inquiry import INQUIRY_PAGES
from web.pages.mediation import MEDIATION_PAGES
from web.settings import Settings

__all__ = ["MIDDLEWARES", "create_app"]

# Outermost first. The tests put their check of every answer against the OpenAPI document in
# front (tests/contract.py).
MIDDLEWARES: list[Middleware] = [security_headers, error_middleware, password_change_gate]

log = logging.getLogger("yunting")


def create_app(settings: Settings, *, database: Database | None = None) -> web.Application:
    """Build the application; resources open in cleanup contexts, not here.

    Tests may hand in a `database` they own (already migrated); otherwise one is
    opened from settings when the app starts and closed when it stops.
    """
    app = web.Application(
        middlewares=[*MIDDLEWARES],
        client_max_size=settings.max_request_bytes,
    )
    app[SETTINGS] = settings
    app[TEMPLATES] = make_environment()
    app[LOGIN_FAILURES] = _login_failures(settings)
    app[ARCHIVE] = RecordingArchive(settings.archive_dir)
    app[ICE_SERVERS] = IceServers(settings)
    app[UPLOADS] = FileUploadStore(settings.archive_dir / "documents" / "uploads")
    bus = Bus()  # domain events after commit; every subscriber is registered here
    driver = RecordingDriver(settings.archive_dir)
    app[RECORDING] = driver
    bus.subscribe(RecordingChanged, driver.on_recording)
    app[FORGE] = DocumentForge(docforge_config(settings))
    media = _media_plane(settings, driver)
    audience = MediaAudience(media)  # the forwarder's rules, from the room (issue 15)
    media.on_slots = audience.on_slots
    if settings.media_enabled:
        app[MEDIA] = media
    signaling = create_signaling(
        signaling_config(settings), _room_services(app),
        media_answer=_media_answer(app, media, audience) if settings.media_enabled else None,
        media_hangup=_media_hangup(media) if settings.media_enabled else None)
    app[SIGNALING] = signaling
    if settings.media_enabled:
        audience.signaling = signaling
        signaling.hub.on_roster = audience.on_roster
        signaling.hub.media_audio_only = _media_audio_only(media)
    follow(bus, signaling)  # after the driver: the room hears of what the recorders did
    if settings.redis_url:  # the other processes' events reach `everywhere` subscribers
        app.cleanup_ctx.append(relay_ctx(settings.redis_url, bus))
    app.cleanup_ctx.append(_database_ctx(database, bus))
    app.cleanup_ctx.append(_jobs_ctx)
    app.cleanup_ctx.append(outbox_ctx)
    app.cleanup_ctx.append(inquiry_ctx)
    signaling.attach(app)
    app.cleanup_ctx.append(_media_ctx)
    app.on_cleanup.append(_close_login_failures)
    for routes in ROUTES:
        app.add_routes(routes.table)
    app.add_routes(PAGES)
    app.add_routes(MEDIATION_PAGES)
    app.add_routes(ACCOUNT_PAGES)
    app.add_routes(INQUIRY_PAGES)
    app.add_routes(ACCESS_LOG_PAGES)
    app.add_routes(BOOKING_PAGES)
    app.router.add_static("/static/", STATIC_DIR, name="static")
    return app


def _media_plane(settings: Settings, driver: RecordingDriver) -> MediaService:
    """The one choice of where media runs: in this process (the embedded default), or on
    `yunting media` workers placed over Redis (`RemoteMedia`, MediaService's interface)."""
    if settings.media_workers:
        driver.recovers_archive = False
        remote = RemoteMedia(settings.redis_url, driver.on_media_event,
                             ttl=settings.media_worker_ttl_seconds)
        return cast(MediaService, remote)
    return MediaService(media_settings(settings), driver.on_media_event)


def _room_services(app: web.Application) -> Callable[[], RoomServices]:
    def services() -> RoomServices:
        s = app[SERVICES]
        return RoomServices(access=s.access, control=s.control, scheduling=s.scheduling,
                            room=s.room)

    return services


def _media_answer(app: web.Application, media: MediaService,  # type: ignore[no-untyped-def]
                  audience: MediaAudience):
    async def answer(hearing_id: str, identity: str, sdp: str, *, ice_restart: bool) -> str:
        info = await _describe(app[SERVICES], hearing_id, identity)
        await app[RECORDING].align(hearing_id)
        audience.services = app[SERVICES]
        await audience.refresh(hearing_id)  # the rules before the first frame
        try:
            return await media.answer(info, sdp)
        except NegotiationError as exc:  # the offer's fault, not the server's
            raise MessageInvalid(str(exc)) from exc

    return answer


def _media_audio_only(media: MediaService):  # type: ignore[no-untyped-def]
    async def choose(hearing_id: str, identity: str, on: bool) -> None:
        chooser = getattr(media, "set_audio_only", None)  # not on a proxy without it
        if chooser is not None:
            chooser(hearing_id, media_id(identity), on)

    return choose


def _media_hangup(media: MediaService):  # type: ignore[no-untyped-def]
    async def hang_up(hearing_id: str, identity: str, reason: str) -> None:
        """Left or removed: their peer is hung up now, not at the media timeout."""
        await media.close_participant(hearing_id, media_id(identity))

    return hang_up


async def _describe(services: Services, hearing_id: str, identity: str) -> ParticipantInfo:
    """Who the recording belongs to: role, site and name go into every segment's sidecar."""
    setting = await services.particulars.setting(SYSTEM, hearing_id)
    for p in setting.hearing.participants:
        if p.id == identity:
            site = setting.site_of(p.id)
            # The plate on the archive reads "张三 · 被告人": the transcript's language.
            label = translations(DEFAULT_LOCALE).gettext(ROLES[p.role])
            return ParticipantInfo(hearing_id, media_id(identity), p.role.value,
                                   site.name if site else "", p.name, label)
    return ParticipantInfo(hearing_id, media_id(identity), "staff", "", identity)


def _login_failures(settings: Settings) -> LoginFailures:
    """Shared by every process through Redis when there is one; else this process's own."""
    if settings.redis_url:
        return RedisFailureWindow(settings.redis_url, settings.login_max_failures,
                                  settings.login_window_seconds)
    return FailureWindow(settings.login_max_failures, settings.login_window_seconds)


async def _close_login_failures(app: web.Application) -> None:
    await app[LOGIN_FAILURES].close()


def _database_ctx(given: Database | None, bus: Bus):  # type: ignore[no-untyped-def]
    async def database_ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        database = given or Database(settings.database_url)
        app[DATABASE] = database
        driver = app[RECORDING]
        services = bootstrap(
            settings, database, bus=bus,
            documents=ForgeDocuments(app[FORGE], settings.archive_dir / "documents"),
            notifier=notifier_from_settings(settings))
        app[SERVICES] = services
        # A disabled account's open sockets end with its sessions (signaling.revocation).
        services.accounts.on_sessions_ended = SessionEnder(app[SIGNALING]).end_user
        driver.control = services.control
        driver.audit_log = services.recordings
        services.transcripts.mark_with(driver)  # signatures made on camera mark the recording
        services.pleas.mark_with(driver)
        driver.scheduling = services.scheduling
        log.info("database: %s", database.engine.url.render_as_string(hide_password=True))
        yield
        if given is None:
            await database.dispose()

    return database_ctx


async def _jobs_ctx(app: web.Application) -> AsyncIterator[None]:
    """Sealing, evidence packages and e-files: queued on Redis for `yunting jobs` workers, or
    (the embedded default) run in this process — the recording driver then seals as it
    always did."""
    settings, services, driver = app[SETTINGS], app[SERVICES], app[RECORDING]
    redis, queue = None, None
    jobs: Jobs
    if settings.jobs_queued:
        from redis.asyncio import Redis

        queue = QueueJobs(make_broker(settings))
        redis = Redis.from_url(settings.redis_url)
        jobs = driver.jobs = queue
    else:
        jobs = InProcessJobs()
    efiles = EfileJobs.for_settings(settings, app[FORGE], services,
                                    status_store(settings, redis), jobs)
    packages = PackageJobs(services, app[FORGE], settings,
                           status_store(settings, redis, "package"), jobs)
    if isinstance(jobs, InProcessJobs):
        jobs.handlers.update({"recording.seal": driver.seal, "efile.compile": efiles.run,
                              "recording.package": packages.run})
    app[EFILE_JOBS] = efiles
    app[PACKAGE_JOBS] = packages
    yield
    await jobs.drain()
    if queue is not None:
        queue.close()
    if redis is not None:
        await redis.aclose()


async def _media_ctx(app: web.Application) -> AsyncIterator[None]:
    """Media and documents start after signaling; on the way down, recordings finish first."""
    driver, forge, signaling = app[RECORDING], app[FORGE], app[SIGNALING]
    driver.publish = _publisher(signaling)
    driver.timestamp = forge.atimestamp_digest
    media = app.get(MEDIA)
    if media is not None:
        driver.media = media
        if isinstance(media, RemoteMedia):  # a worker's lost peers hear `media.lost`
            media.publish = driver.publish
        media.open()
        await driver.recover()
    yield
    if media is not None:
        await media.close()
    await driver.drain()


def _publisher(signaling: Signaling):  # type: ignore[no-untyped-def]
    async def publish(hearing_id: str, event: str, payload: dict[str, Any], audience: str
                      ) -> None:
        await signaling.publish(hearing_id, event, payload, audience=audience)

    return publish
