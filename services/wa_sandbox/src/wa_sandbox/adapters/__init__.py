"""The sandbox's one outside dependency: the webhook it calls, over HTTP."""
