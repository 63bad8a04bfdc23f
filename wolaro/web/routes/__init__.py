"""The dashboard API's routers, one file per concern."""
