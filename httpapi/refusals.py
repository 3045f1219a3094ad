"""Refusals made both by the gunicorn worker (before a thread has the request) and by Django,
in one wording. No Django import here: the worker loads this before Django is set up."""

CHUNKED_REFUSED = "Send the body with a Content-Length; chunked request bodies are not read here."


def body_too_large(limit: int) -> str:
    return f"The request body is larger than {limit} bytes."
