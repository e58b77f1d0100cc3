#!/bin/sh
# Runs once, when the PostgreSQL volume is first created (docker-entrypoint-initdb.d).
#
# Three roles, none of them the cluster's superuser:
# - nightingale_owner owns the governance database and runs the migrations
#   ('nightingale init' in the migrate service); only it can alter tables or touch the
#   audit log's append-only triggers;
# - nightingale_app is what the hub and the governance service connect as; the migrate
#   service grants it ('nightingale audit grant-app-role') reading and writing on the
#   platform's tables but only SELECT and INSERT on audit_log;
# - jupyterhub owns JupyterHub's own state database (it migrates its own tables).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v owner_password="$NIGHTINGALE_OWNER_PASSWORD" \
    -v app_password="$NIGHTINGALE_APP_PASSWORD" \
    -v hub_password="$JUPYTERHUB_DB_PASSWORD" <<'SQL'
CREATE ROLE nightingale_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE nightingale_app LOGIN PASSWORD :'app_password';
CREATE ROLE jupyterhub LOGIN PASSWORD :'hub_password';
CREATE DATABASE nightingale OWNER nightingale_owner;
CREATE DATABASE jupyterhub OWNER jupyterhub;
REVOKE ALL ON DATABASE nightingale FROM PUBLIC;
GRANT CONNECT ON DATABASE nightingale TO nightingale_app;
REVOKE ALL ON DATABASE jupyterhub FROM PUBLIC;
SQL
