"""The formgen web app (``formgen serve``): forms for applicants, links from staff, a JSON API."""

from __future__ import annotations

from formgen.web.app import create_app, web_settings

__all__ = ["create_app", "web_settings"]
