"""Web UI views: each module has a module-level `router` that `kempen.web.routes` includes."""
