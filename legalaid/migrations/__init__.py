"""Alembic migrations, shipped inside the package so an installed legalaid finds them from any folder."""
