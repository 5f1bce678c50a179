"""legalaid: back-office automation for a district legal aid center (法律援助中心).

The package holds the domain and its adapters; it knows nothing of Celery or APScheduler, which live in the
top-level ``tasks``, ``workers`` and ``schedules`` packages.
"""

__version__ = "0.1.0"
