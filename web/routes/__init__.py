"""The API's endpoints, one module per area; each module has a ``router`` that ``web.app`` includes."""
