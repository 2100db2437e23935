"""The small pieces every domain's HTTP routes and repositories share: a page of a list, the
request's language, the Idempotency-Key header and the hash of a request, an INSERT that skips
a row already there, and the whole numbers a request body may hold. Each lives in the module named
for it; import that module."""
