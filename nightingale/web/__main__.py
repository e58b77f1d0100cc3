"""Run the service as JupyterHub starts it: ``python -m nightingale.web``.

The hub passes the service's URL and prefix in ``JUPYTERHUB_SERVICE_URL`` and
``JUPYTERHUB_SERVICE_PREFIX``; the data root comes from ``NIGHTINGALE_DATA_ROOT``.
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

import uvicorn

from nightingale.platform.settings import load_settings
from nightingale.web.main import DEFAULT_PREFIX, create_app


def main() -> None:
    url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10101"))
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", DEFAULT_PREFIX)
    app = create_app(load_settings(), prefix=prefix)
    uvicorn.run(
        app,
        host=url.hostname or "127.0.0.1",
        port=url.port or 10101,
        log_level=os.environ.get("NIGHTINGALE_LOG_LEVEL", "warning"),
        access_log=False,
    )


if __name__ == "__main__":
    main()
