"""JupyterHub integration for one machine: who may log in, what their server sees.

This package is an *edge* of the platform (like the CLI and the web service): it reads
the governance database through :mod:`nightingale.governance` and asks its policy for
every decision, so it may import governance while the rest of ``platform`` may not.

- :mod:`.access` what one person may see in a workspace (asks the governance policy);
- :mod:`.authenticator` logs people in against the governance database (argon2);
- :mod:`.spawner` starts each researcher's server with only their releases, read-only;
- :mod:`.isolation` the launch script that builds the server's private view of the disk;
- :mod:`.runtime` the hub's secrets and folders under the data root.

Real isolation between researchers (separate kernels, no network egress, resource
limits) is the job of the docker and Kubernetes deployments in ``deploy/``.
"""
