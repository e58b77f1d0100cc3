"""JupyterHub integration for one machine: who may log in, what their server sees.

This package is an *edge* of the platform (like the CLI and the web service): what a
person may see is the workspace operation's answer
(:mod:`nightingale.operations.workspace`, which asks the governance policy), so the hub
imports operations and platform only, never governance itself.

- :mod:`.access` opens a unit of work and asks the workspace operation;
- :mod:`.authenticator` logs people in against the governance database (argon2);
- :mod:`.spawner` starts each researcher's server with only their releases, read-only;
- :mod:`.isolation` the launch script that builds the server's private view of the disk;
- :mod:`.runtime` the hub's secrets and folders under the data root.

Real isolation between researchers (separate kernels, no network egress, resource
limits) is the job of the docker and Kubernetes deployments in ``deploy/``.
"""
