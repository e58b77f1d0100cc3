"""The web service's fixtures, so request operations can be driven through the form too."""

from tests.web.conftest import client, signed_in, world

__all__ = ["client", "signed_in", "world"]
