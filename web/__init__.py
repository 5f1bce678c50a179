"""The HTTP API front door (FastAPI): ``create_app`` builds it, ``legalaid web`` serves it with uvicorn.

Like ``cli/``, it puts the application together and talks to people (here, their programs): it may use
``schedules`` and ``workers`` for their tables and names, and calls the domain's own functions in
``legalaid/``, never a second implementation of them.
"""

from web.app import create_app

__all__ = ["create_app"]
