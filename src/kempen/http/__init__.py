"""What the API and the web UI share: the request's unit of work, who is calling, problem+json."""
