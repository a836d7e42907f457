"""The HTTP edge: FastAPI app, routers per domain, auth and the one error mapping."""
