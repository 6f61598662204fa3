"""A simulator served in process: the httpx transport both simulators' ``transport()`` give.

A WSGI application called in the client's own thread, no socket and no timeout. A fault that
drops the connection (the application raises
:class:`~hl_d365_assets.sandbox.loopback.ConnectionDropped`, also after a D365 stall) surfaces
as it does from a real socket whose server hung up: ``httpx.RemoteProtocolError``, which the
retrying transport treats like the real thing. Slow answers are only waited out here; a client
times out on them only against the loopback server.
"""

from __future__ import annotations

import httpx

from hl_d365_assets.sandbox.loopback import ConnectionDropped


class InProcessTransport(httpx.WSGITransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return super().handle_request(request)
        except ConnectionDropped:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None
