"""Post/Redirect/Get without a readable copy on the server.

Every submit of the form that leads to another view of it (check, add or delete a row,
switch language, open a file) answers with a redirect to ``/?page=<id>``: the page's
state is kept in the link store encrypted under a random key that lives only in the
visitor's browser, in a session cookie (HttpOnly, SameSite=Lax, gone when the browser
closes); the server keeps the ciphertext for :data:`~formgen.links.store.PAGE_HOURS` hours.
So Refresh and Back only ever repeat a GET, and never ask to send the form again.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from formgen.exceptions import OutputError
from formgen.links.store import PAGE_HOURS, key_of, new_key, token_of
from formgen.web.state import state_of

COOKIE = "formgen_session"


def session_key(request: Request) -> bytes | None:
    return key_of(request.cookies.get(COOKIE, ""))


async def redirect_to_page(request: Request, page: dict[str, Any], anchor: str = "") -> Response | None:
    """A 303 to the page that shows ``page``; None when the store cannot keep it (the
    caller then shows the page at once)."""
    state = state_of(request)
    key = session_key(request)
    fresh = key is None
    if key is None:
        key = new_key()
    try:
        page_id = await run_in_threadpool(state.vault.add_page, key, page)
    except (OutputError, OSError):
        return None
    root = request.scope.get("root_path", "").rstrip("/")
    response = RedirectResponse(f"{root}/?lang={page['lang']}&page={page_id}{anchor}", status_code=303)
    if fresh:
        response.set_cookie(
            COOKIE, token_of(key), httponly=True, samesite="lax", path="/",
            secure=request.url.scheme == "https", max_age=None,
        )
    return response


async def load_page(request: Request, page_id: str) -> dict[str, Any] | None:
    """The state of page ``page_id`` of this browser session, or None."""
    key = session_key(request)
    if key is None or not page_id:
        return None
    state = state_of(request)
    try:
        return await run_in_threadpool(state.vault.page, key, page_id)
    except (OutputError, OSError):
        return None


__all__ = ["COOKIE", "PAGE_HOURS", "load_page", "redirect_to_page", "session_key"]
