"""The `kempen` command line: parse arguments, call services, print with Rich."""
