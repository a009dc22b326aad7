"""Pure rules of the sandbox: what Meta accepts, what its webhooks look like. No I/O."""
