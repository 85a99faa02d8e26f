"""No timestamping service over HTTP.

`POST /api/tsa` (the development TSA, unauthenticated) is gone: an RFC 3161 token proves
*when*, never *who*, and a public TSA let anyone stamp a forged evidence manifest. Nothing
in yunting used it — documents and evidence packages are timestamped in process by
docforge (or by the court's external TSA, `YUNTING_TSA_URL`), and the benchmarks serve
their own. The module stays, without routes, until `web/api/__init__.py` stops listing it.
"""

from __future__ import annotations

from web.routing import ApiRoutes

routes = ApiRoutes()
