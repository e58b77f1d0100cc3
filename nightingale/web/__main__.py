"""Run the service as JupyterHub starts it: ``python -m nightingale.web``.

The hub passes the service's URL and prefix in ``JUPYTERHUB_SERVICE_URL`` and
``JUPYTERHUB_SERVICE_PREFIX``; the data root comes from ``NIGHTINGALE_DATA_ROOT`` and the
service's sizes from ``NIGHTINGALE_SERVICE_*`` (:class:`.ServiceTuning`). One process:
see :mod:`nightingale.web.tuning` for why not more workers.
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

import uvicorn

from nightingale.platform.settings import load_settings
from nightingale.web.main import DEFAULT_PREFIX, create_app
from nightingale.web.tuning import ServiceTuning


def main() -> None:
    url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10101"))
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", DEFAULT_PREFIX)
    tuning = ServiceTuning.from_environment()
    app = create_app(load_settings(), prefix=prefix, tuning=tuning)
    uvicorn.run(
        app,
        host=url.hostname or "127.0.0.1",
        port=url.port or 10101,
        log_level=os.environ.get("NIGHTINGALE_LOG_LEVEL", "warning"),
        access_log=False,
        limit_concurrency=tuning.max_connections,
        backlog=tuning.backlog,
    )


if __name__ == "__main__":
    main()
