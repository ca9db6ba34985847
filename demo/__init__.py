"""The demo district (建安区): seed texts in data/, the scenario that builds it through the
services, and the load_demo command."""
