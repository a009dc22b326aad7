"""FastAPI dependencies shared by the sandbox's routers."""

from typing import Annotated

from fastapi import Depends, Request

from wa_sandbox.app.sandbox import Sandbox


def get_sandbox(request: Request) -> Sandbox:
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox


SandboxDep = Annotated[Sandbox, Depends(get_sandbox)]
