"""The speed machinery: every mechanism the portal added only to go faster, in one place.

Each one answers exactly what Django would without it; what it buys was measured by
`make bench` (docs/benchmarks.md) or in-process, CPU time, in the commit that added it.

- `page_middleware`: the endpoints programs call (oauth/endpoints.py, caller "program": the
  token endpoint, revocation, introspection, /uapi/@me, RFC 7591 registration, discovery) skip
  the session, the signed-in user, messages and htmx; and the Content-Security-Policy header is
  built once per process instead of on every response.
  Buys: /uapi/@me 454-532 -> 344-362 us in-process, a bare view through the whole stack
  253-268 -> 205-223 us (rows P3 and M).
  Costs: a program endpoint has no `request.session` and always the anonymous user, so such a
  view must never rely on them (tests/portal/test_page_middleware.py checks a browser's session
  cookie is neither read nor touched there); the policy is rebuilt only when the settings'
  dicts change (`override_settings`), and a response with a policy of its own goes through
  django-csp unchanged.
  Its LoginRequiredMiddleware asks the view before the user: a view that needs no sign-in
  (the probes, make bench's bare view) is let through without loading the signed-in user.
  Buys: a bare request 144 -> 128-130 us in-process (row M).
  Costs: none that shows: a view that needs no sign-in and asks who signed in still gets the
  user (lazily, as before); one that never asks answers without `Vary: Cookie`, since nothing
  in it depends on the cookie (tests/portal/test_page_middleware.py).
- `prepared`: the hot paths' queries (introspection, /uapi/@me, the App row with its live
  secrets and, for introspection, its owner's standing: oauth/clients.py) and the token INSERT
  compiled by the ORM once per process, read with the ORM's own converters. The one mechanism
  for it: no hand-built SQL beside it.
  Buys: introspection 5.3 -> 1.5 ms, the App row 334 -> 131 us, a token INSERT 240-330 ->
  164-203 us (rows P1, P7).
  Costs: SQL text cached per process (never rows: every read still sees a revoked token or a
  disabled App at once); a query with more than one varying parameter cannot use it, and a
  model with save-signal receivers is saved the ORM's way.
  Its functions read the default database's wrapper once (`connections["default"]`) and use
  it, rather than going through `django.db.connection`, which looks the wrapper up again in a
  thread-local (asgiref's Local) on every attribute read: a token request read 24 of them.
  Buys: instructions per request (valgrind's callgrind, the same 20 requests in one process,
  PostgreSQL) the token endpoint 3.17 -> 2.87 million, introspection 2.64 -> 2.41, /uapi/@me
  1.53 -> 1.45, the App list 26.6 -> 26.0 (rows P1, P7, P3, P4).
  Costs: none that shows: the same wrapper the proxy gives, for the default database only (as
  before).
  `insert(obj, flush=False)` (the client_credentials token only): on PostgreSQL in autocommit
  the INSERT commits without waiting for its WAL flush (synchronous_commit off for its own
  transaction, by set_config in a subquery its values are read from: still one statement and
  one transaction, bound and prepared on the server as the hot SELECTs below are).
  Buys: a commit 1.8-2.4 ms -> 60-93 us on this machine (row P1 on PostgreSQL).
  Prepared too (issue 26's ninth session; it had been sent as text with its values, parsed
  and planned on every request): P1 in-process 713-721 -> 630-647 us; make bench on
  PostgreSQL, old / new alternated twice: P1 0.307 / 0.304 -> 0.326 / 0.321 B.
  Costs: a crash of PostgreSQL itself (not of the portal) can lose the tokens of its last
  ~600 ms; their clients are refused at the next call and ask again. Every later synchronous
  commit (a revocation, a disable) flushes them first, so none of those is ever lost while
  a token it ended survives.
  They run through `statements` (portal/speedups/statements.py), on PostgreSQL each through
  its `planned_once_cursor()` (the hot SELECTs above): server-side binding, and
  psycopg prepares each statement on the server at its first use on a connection
  (OPTIONS prepare_threshold 0, config/environment.py), so PostgreSQL plans it once per
  connection, not on every request: the plan cost 2-4 times the run (the App with its
  secrets 0.1-0.6 ms to plan, 0.05-0.15 ms to run).
  Buys: the App's SELECT alone 505 -> 157 us (a psycopg loop, one client); the PostgreSQL
  backend's CPU per request (in-process, from /proc) P3 360 -> 93 us, P7 1,400 -> 180 us, P1
  467 -> 307 us; make bench on PostgreSQL, off / on in one config: P1 0.237 -> 0.282 B, P3
  0.404 -> 0.616 B, P7 0.188 -> 0.370 B.
  And one generic plan per statement from its first run (plan_cache_mode
  force_generic_plan, in the connection's options): with the default (auto) PostgreSQL kept
  planning the App list's live-token count afresh (a custom plan for its 50 Apps: 0.1 ms of
  planning, 0.015 ms of work). Buys: the backend's CPU per App list 0.51 -> 0.35 ms
  (in-process, /proc); make bench on PostgreSQL, BENCH_ONLY=B,P1,P3,P4,P7, old / new
  alternated twice: P4 0.101 / 0.099 -> 0.107 / 0.106 B (P1, P3 and P7 within noise).
  Costs: each connection holds its few prepared statements (one per hot query) for its life;
  a plan that does not look at the values, fine for lookups by a key and counts over an
  index, made for the average value: a statement whose best plan depends on how many rows a
  value matches must be written so that it does not (the App list's page chose to sort all
  of an account's Apps, fine for the average account of 100, 1.4 ms for one of 1000; its
  ids now come from an index in order: apps_registry/selectors/changelist.py, _rows_query);
  a migration that changes a selected column's type makes a running worker's uses of it
  fail (PostgreSQL's "cached plan must not change result type") until its connection is
  renewed (CONN_MAX_AGE) or it restarts: restart right after migrating (docs/deployment.md).
  Off behind PgBouncer in transaction pooling mode (prepare_threshold None there: still
  server-side binding, nothing prepared), where those rows stay at the first figures.
  Its cursors are kept, one per statement and connection (issue 26's eleventh session), and
  run the statement without Django's cursor wrapper when nothing watches the queries (no
  query log, no execute_wrapper; the wrapper's own checks kept: a transaction broken by an
  error is refused, the driver's errors raised as Django's): psycopg reuses what it worked
  out for the statement's last run (its Transformer: each column's loader).
  Buys: in-process, the CPU of a request (min of 3 x 2,000, old / new alternated twice) the
  token endpoint 1,059 / 1,081 -> 1,014 / 975 us, /uapi/@me 495 / 455 -> 421 / 410,
  introspection 907 / 892 -> 816 / 800; make bench on PostgreSQL, BENCH_ONLY=B,P1,P3,P7,
  old / new alternated twice: P1 0.297 / 0.293 -> 0.312 / 0.310 B, P3 0.546 / 0.535 ->
  0.553 / 0.567, P7 0.357 / 0.362 -> 0.387 / 0.377.
  Costs: a connection keeps a cursor per statement it ran (at most statements.KEPT_CURSORS, then all
  dropped), each holding its last answer's rows until its next run; those of a replaced
  connection go with it. A test (tests/portal/test_prepared.py) reads one statement with
  other values, twice in one read_together and after the connection is replaced.
- `tokens.token_value`: token values as oauthlib makes them (30 of its 62 letters and digits,
  each uniform from the system's CSPRNG) from one read of os.urandom instead of oauthlib's 30
  SystemRandom().choice calls, through django-oauth-toolkit's own hook (ACCESS_TOKEN_GENERATOR,
  config/oauth_settings.py), so every grant's tokens are made the same way.
  Buys: 53-69 -> 14 us per token (row P1).
  Costs: a setting that names it; the own client_credentials path answers only with it (or
  with none), any other generator is left to the library path.
  `prepared.Shaped` does the same for queries of several shapes and varying values (the App
  list's facet counts and its page of rows with their counts): compiled once per shape
  (an order, the filters in force, a page, the day the date filters count from) with
  stand-ins for the values, found again among the parameters (inside
  a LIKE pattern too) and replaced on each call.
  Buys: the App list 7.25 -> 4.99 ms of CPU in-process (P4; the counts 1.3 ms, the rows and
  their counts 1.0 ms).
  Costs: at most 512 compiled shapes per query per process (then forgotten at once and
  compiled again); a value must be an int, a string or a datetime (or a list of them) whose
  stand-in the compiled parameters show unchanged; tests/portal/test_prepared.py checks the
  answers against the ORM's.
  Its queries go through `planned_once_cursor()` as well (issue 26), so on PostgreSQL every
  signed-in page's session, account and parents, and the App list's facet counts and rows
  with their counts, are planned once per connection and shape.
  Buys: the App list on PostgreSQL 8.73 -> 7.51 ms per page in-process (min of 30 rounds,
  off / on alternated in one process: P4).
  Costs: as the hot SELECTs': a connection holds a prepared statement per shape it ran (psycopg
  keeps at most 100, the oldest deallocated), and a worker is restarted after a migration that
  changes a column they select.
  `statements.read_together()`: reads that do not depend on one another read by one
  statement, their SELECTs the branches of a UNION ALL (each row numbered by its branch, the
  other branches' columns NULLs of their types): introspection's caller App and token. On
  PostgreSQL one round trip and one execution, where issue 26's third session had sent them
  as two statements in one pipeline (psycopg's pipeline mode, after a libpq version check).
  Buys: in-process, PostgreSQL, the two reads alone (client + server CPU per read, the forms
  alternated four times in one process, twice) 277-306 us as a pipeline -> 233-290 us as one
  statement; introspection's worker CPU 627 / 625 -> 609 / 579 us
  (min of 5 x 2,000, old / new alternated twice); on SQLite the same (415 / 438 -> 429 / 428).
  make bench on PostgreSQL could not tell it from this machine's noise (BENCH_ONLY=B,P7, old
  / new alternated twice: P7 0.387 / 0.393 -> 0.401 / 0.392 B).
  Costs: the reads must not depend on one another, so introspection reads the token before it
  knows whether its caller authenticates (nothing of it is used unless the caller does); no
  row order is kept (SQL promises none in a UNION ALL, and SQLite's planner may drop a
  subquery's ORDER BY there), so an answer that depends on it sorts its rows (the App's live
  secrets: oauth/clients.py); an error in one statement is the whole statement's (raised as
  Django's error, the connection usable after); each statement carries its columns' types
  (prepared.typed_nulls), since PostgreSQL takes two untyped NULLs in a UNION for text
  (tests/portal/test_prepared.py).
- `sessions` (SESSION_ENGINE) and `auth` (AUTHENTICATION_BACKENDS' ModelBackend): what every
  signed-in page reads first, the session row and the signed-in account, by queries compiled
  once per process (`prepared.Shaped`), the rows made by Django's Model.from_db for Django's own
  load() and user_can_authenticate; likewise accounts.selectors.manageable_account's account
  with its three levels of parents (one query, each parent cached as select_related does).
  Buys: the session 163 -> 42 us, the account 144 -> 30 us, the account and its parents
  378 -> 61 us in-process; the App list 3.97 -> about 3.3 ms of CPU per page (P4).
  Costs: the rows are read on every request as before (a session ended or expired, an account
  deactivated or removed, takes effect at its next request: tests/portal/test_sessions.py,
  test_auth_backend.py); the sessions name `portal.speedups.auth.ModelBackend`, so the upgrade
  that brought it signed everyone out once. Behind PgBouncer in transaction pooling mode they
  are bound on the server and prepared nowhere, as the hot SELECTs are.
- `sqlite3`: Django's SQLite backend whose writers queue at a lock file (an flock around each
  transaction, retried every 50 us to 1 ms) instead of sleeping in SQLite's busy handler.
  Buys: two processes issuing tokens waited 0.5 ms per request for the write lock, 0.09 ms
  with the queue (425 -> 545 requests/s each; row P1 on SQLite).
  Costs: a lock file beside the database (`<name>-writer.lock`); writes outside a
  transaction still wait in SQLite's handler; PostgreSQL uses Django's backend unchanged.
  Its cursors convert each query text to SQLite's ? placeholders once per process (Django's
  conversion is a regular expression over the whole text on every execute: 23-26 us for the
  App read of the token endpoint and introspection).
  Buys: in-process, per request, introspection 525 -> 460-480 us, /uapi/@me 228 -> 205-220,
  the App list 3.65 -> 3.50 ms (rows P7, P3, P4 on SQLite).
  Costs: the last 512 query texts and their conversions kept per process (about 2 MB at most
  for texts of that size); tests/portal/test_sqlite_queries.py holds the conversion equal to
  Django's.
- `postgresql`: Django's PostgreSQL backend, with every `timestamptz` a query returns read by
  psycopg's own loader (compiled, with psycopg[binary]) instead of Django's, which is
  psycopg's Python one plus a `replace(tzinfo=...)`: about 7 us a value on this machine. Only
  while Django's time zone for the connection is UTC (USE_TZ, the database's TIME_ZONE unset:
  the session is then in UTC, and both loaders make the same aware datetime in UTC).
  Buys: in-process, per request, the App list 7.9-8.5 -> 7.7-8.1 ms, introspection 1,080-1,230 ->
  990-1,090 us, the token endpoint 1,320-1,650 -> 1,180-1,490 us (medians of five rounds, old
  and new alternated, on a noisy day); a query's 50 rows of four timestamps 1,500 -> 190 us.
  Costs: a backend of the portal's in ENGINE (config/environment.py); any other time zone
  keeps Django's loader (tests/portal/test_postgresql_timestamps.py holds the values equal to
  Django's loader's, and naive without USE_TZ).
- `static` (STORAGES["staticfiles"] with DEBUG off): whitenoise's compressed manifest storage,
  each file's URL remembered once worked out (Django's works it out on every {% static %}:
  the manifest's name, then quoting and urljoin, about 17 us; a page has five or six).
  Buys: the App list 28.7 -> 28.1 million instructions a page (callgrind, SQLite), as much
  on every page.
  Costs: a dict of the names asked for per process; collectstatic (post_process) empties it,
  with DEBUG on Django answers every time (tests/portal/test_static_urls.py).
- `among.Among` (the App list sorted by a count: the count over every App of the tab):
  `column IN (ids)` written on PostgreSQL as `column = ANY(%s::bigint[])`, the ids one array
  parameter; Django's IN elsewhere. psycopg converts a statement's %s to $1, $2... in Python
  and remembers the conversion only for statements of at most 50 parameters: the live-token
  count over a tab's 1000 Apps (their ids twice, and the time) was converted afresh on every
  page, and PostgreSQL bound 2,001 parameters.
  Buys: the App list sorted by live tokens on PostgreSQL (1000 Apps, in-process, twice):
  16.8 -> 9.7-12.1 ms a page, the worker's CPU 12.8 -> 7.4-8.8 ms.
  Costs: a query expression of the portal's where Django's `__in` would do
  (tests/portal/test_among.py: the same rows as `__in`, alone and in a subquery).
- `urls.reverse` and the {% url %} tag on it (a template builtin, TEMPLATES in
  config/settings.py): each view name and its arguments reversed once per process, keyed by
  what the URL depends on (the URLconf's resolver, the script prefix, the language, the
  current application); the side menu, the breadcrumb's account links and the App list's
  rows use it too. Django works every URL out afresh (namespaces, a regular expression per
  call, quoting): about 20 us, and the App list asks for fifteen.
  Buys: the App list on PostgreSQL 20.57 -> 19.87 million instructions a page (callgrind,
  in-process: -3.4 %), on SQLite 27.02 -> 26.49 million (-1.9 %); as much on every signed-in
  page.
  Costs: at most 4,096 URLs remembered per process; only ints and strs as arguments (others,
  a query or a fragment, and a name that does not reverse go to Django every time); the tag's
  render() is Django 5.2's URLNode.render with this reverse(), so a Django upgrade that
  changes it must be followed here (tests/portal/test_url_memo.py renders each form of the tag
  with both and compares, and checks a changed URLconf or script prefix is not answered from
  memory).
  `urls.urlencode`: urllib's urlencode for the App list's column and filter links (twenty a
  page, apps_registry/views/_base.py), each name and value quoted once per process rather
  than on every link.
  Buys: the App list on PostgreSQL 17.03-17.16 -> 16.66-16.76 million instructions a page
  (callgrind, in-process, issue 26: -2.2 %; this machine's load varied too much that hour for
  make bench to show 2 %).
  Costs: at most urls.QUOTED names and values, each of at most urls.QUOTED_LENGTH characters
  (a longer one is quoted every time), under 2 MB; tests/portal/test_url_memo.py holds the
  text equal to urllib's.

Elsewhere, because that is where they act: a plain client_credentials request is answered by
the portal's own path (oauth/views/client_credentials.py: the App row and the token's INSERT,
no oauthlib request, no transaction around the one write; django-oauth-toolkit answers
everything else, and the tests run every client_credentials case through both), PostgreSQL
connections are not health-checked before each request (config/environment.py: a round trip
per request; a restarted server costs each worker one failed request, docs/deployment.md),
introspection authenticates its caller through the same reading of the credentials
(oauth/clients.py) and reads the caller's standing with its App row (with the token, one
statement: read_together; three before), the API endpoints' URL patterns are tried first
(config/urls.py, oauth/urls.py: resolving 28-32 -> 10-16 us), the App list's rows, column
headings and filters are written as strings rather than by template loops
(apps_registry/templatetags/app_list.py: 7.50 -> 7.25 ms for the headings and filters), as are
the numbered pages of every list (templatetags/pages.py, instead of {% querystring %} twice per
link: 4.99 -> 4.30 ms; the query's other parameters encoded once per pager, not once per link:
23.56 -> 23.10 million instructions for the App list), as is every signed-in page's side menu
(accounts/templatetags/side_menu.py: 130 -> 48 us), at the cost of HTML in Python strings,
each value escaped by hand; PostgreSQL connections run without JIT compilation
(config/environment.py: the App list's 2.7 s pages); and Django's translation machinery is
off (USE_I18N = False, config/settings.py: every page was English with it on, there being no
LocaleMiddleware and nothing of the portal's translated), so a gettext, a {% url %} or a
number written no longer looks up the active language in a thread-local first (instructions
per request, valgrind's callgrind, SQLite: the App list 30.1-30.3 -> 28.5-28.7 million, the
token endpoint 2.74-3.04 -> 2.58-2.91; tests/portal/test_translation_off.py compares pages with
it on and off).

And the served program is frozen out of the garbage collector's reach (config/wsgi.py: once
Django, the apps and the URLconf are loaded, gc.collect() then gc.freeze(), Python's documented
hook). Every request leaves objects in reference cycles that only the cycle collector frees
(the App list about 110, a bare view through the middleware about 30: Django's request with
the lazy user, the messages, the CSP nonce and htmx's details, each holding it; the
template's context), and CPython makes its full pass only when the objects that survived
into its oldest generation have grown by a quarter: with the program's 100,000 objects
there, garbage piled up for about 24,000 requests, then one pass of 35-60 ms went through
everything. Frozen, the oldest generation holds only what requests left, and the pass runs
every few thousand requests.
Buys: in-process, PostgreSQL, 60,000 requests of make bench's six RSS shapes in turn: the
anonymous memory 64.5 -> 70.0 MB (growing to 24,000 requests) -> flat at 63.4 MB; full
passes 2 of 35-63 ms -> 25 of 0.7-1.2 ms. make bench's RSS row on PostgreSQL (gunicorn, one
worker, BENCH_ONLY=RSS, one run each): the anonymous memory 64.8 MB at 10,000 requests,
growing to 67.0 at 50,000 (so that the row's "last half" caught the end of it or not: +0.0 to
+1.1 MB over five full runs) -> 65.6 at 10,000, then 66.2 from 20,000 to 100,000.
Costs: an object of the loaded program that later becomes garbage is never freed (the
program's modules, settings and URLconf live as long as the process anyway); what the first
requests load (templates, caches) is not frozen and is walked by each full pass.

And a stored App secret is decrypted once per process, not on every request that presents it
(apps_registry/crypto.py, encrypted_secret_matches): the secret presented and the one stored
are compared as keyed digests (HMAC-SHA256 under a key the process draws at start and never
stores), the stored one's remembered by its ciphertext and APP_SECRET_KEYS (at most
crypto.REMEMBERED_SECRETS).
Fernet's decryption (the HMAC check, an AES context) cost 10 us in a loop and about 70 us
within a request (in-process, PostgreSQL, introspection: authenticating the caller 87 -> 17 us).
Buys: make bench on PostgreSQL, BENCH_ONLY=B,P1,P2,P7, old / new alternated twice: P1 0.300 /
0.315 -> 0.328 / 0.342 B, P2 0.406 / 0.423 -> 0.439 / 0.449, P7 0.378 / 0.382 -> 0.399 / 0.414.
Costs: the digests of up to REMEMBERED_SECRETS secrets in memory (never a secret: a digest
under a key that dies with the process), under 2 MB at most; whether a secret is live is
still read with the App on every request, so a removed or regenerated secret is refused at
once; with other APP_SECRET_KEYS a secret is decrypted again (a key removed too soon is still
named).

And the never-cache headers of an answer that carries a secret or a token (portal/http.py,
sensitive()) are written as Django's add_never_cache_headers writes them on a response without
cache headers (its Cache-Control value taken once from Django itself), rather than by parsing
and rebuilding Cache-Control twice; a response with cache headers of its own still goes
through Django's (tests/portal/test_sensitive.py compares both with Django's).
Buys: a JSON answer with them 27 -> 14 us in a loop; make bench on PostgreSQL,
BENCH_ONLY=B,P2,P7, old / new alternated twice (B moved 3,728-4,088 req/s between rounds, so
in req/s): P7 1,533 / 1,523 -> 1,554 / 1,546, P2 1,702 / 1,717 -> 1,736 / 1,737.
Costs: none that shows; an answer's own cache headers take Django's slower way.

And introspection's caller App is read with the four columns introspection uses (id, owner,
enabled, resource_server: oauth/clients.py, INTROSPECTING_FIELDS), the others deferred, where it
had read all 31 that the token endpoint reads: fewer values for PostgreSQL to send and psycopg
to load, and no JSON columns decoded that nothing there reads; likewise the token endpoint's
own client_credentials path, with the six it uses (ISSUING_FIELDS), while the library's path
still reads them all.
Buys: introspection's worker CPU in-process (min of 5 x 2,000, old / new alternated four
times) 603-617 -> 572-576 us on PostgreSQL (twice: 414 / 426 -> 384 / 397 on SQLite); make bench on
PostgreSQL, BENCH_ONLY=B,P7, old / new alternated twice: P7 0.408 / 0.408 -> 0.435 / 0.425 B.
The token endpoint in-process on PostgreSQL 798 / 808 -> 761 / 776 us; make bench,
BENCH_ONLY=B,P1,P2, old / new alternated twice: P1 0.323 / 0.316 -> 0.327 / 0.319 B.
Costs: two more lists of the App's columns to keep right: a field read on those paths that is
not in its list is read by a query of its own (Django's deferred fields), never answered wrong,
and the tests that count their queries fail (tests/oauth/test_resource_servers.py,
test_token_costs.py; checked by leaving out resource_server, then trusted, unused_expires, api
and owner_id, one at a time), as does one whose columns land in the wrong fields
(test_resource_servers.py). A receiver of django-oauth-toolkit's app_authorized
signal that reads more of the token's App than the six costs a query for each field it reads.

And whether a peer is a trusted proxy (portal/middleware.py, ForwardedHeadersMiddleware, first
on every request) is worked out once per REMOTE_ADDR and TRUSTED_PROXIES (an lru_cache of 1,024
addresses), not parsed by ipaddress and matched against the networks on every request.
Buys: a bare request through the middleware 152-153 -> 145-146 us in-process (min of 7 x
2,000, old / new alternated twice); make bench on PostgreSQL, BENCH_ONLY=B,M,P4,P7, old / new
alternated twice: M 0.589 / 0.578 -> 0.602 / 0.602. As any saving every request shares, it
lowers each P row's ratio to B a little (there P4 0.126 / 0.129 -> 0.125 / 0.128, P7 0.416 /
0.433 -> 0.417 / 0.413), their own rates unchanged.
Costs: up to 1,024 addresses remembered per process (then the oldest forgotten); a changed
TRUSTED_PROXIES is a new key, so it takes effect at once (tests/oauth/test_tls.py).
"""
