"""`newssearch serve`: a search page and a JSON API over one index, read-only.

How the parts connect: `server.serve` binds the socket and runs uvicorn on the app that
`app.create_app` builds around one open `NewsIndex`. `guard` refuses what a read-only
server never needs and sets the security headers on every response; `params` reads query
parameters the way the command line reads its options; `api` answers with the documents
`newssearch.records` builds for `--format json`; `pages` renders the Jinja2 `templates/`,
with the timeline's bar chart laid out by `timelines`. Only the public `newssearch` names
and `newssearch.records` are used, never Whoosh. Starlette, uvicorn and Jinja2 are imported
by this package alone, which only `newssearch serve` imports.
"""
