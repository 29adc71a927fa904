"""docs/deployment.md, tried: two gunicorn processes with the production settings (DEBUG off,
behind a TLS-terminating proxy simulated by the headers it sets) and the shipped gunicorn
configuration (config/gunicorn_conf.py, tests.served.GUNICORN) share nothing but one database,
and one user's session alternates between them; their access log keeps no secret from a URL, the
probes answer plain HTTP, the metrics add up every worker's counts, and the playground works
with one sync worker.

The database is a dedicated one this test creates and drops: a PostgreSQL database beside the
test database when DATABASE_URL names PostgreSQL, a SQLite file otherwise."""
