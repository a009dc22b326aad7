"""Graph API error objects, as Meta's Cloud API answers them.

Shape: ``{"error": {"message": "(#<code>) <title>", "type", "code", "error_data":
{"messaging_product": "whatsapp", "details"}, "fbtrace_id"}}``. Clients are told by Meta
to decide on ``code`` and ``details``, so those carry the meaning here too.
"""

from typing import Any

# Titles Meta documents for the codes a client of the Cloud API must handle.
TITLES: dict[int, str] = {
    1: "API Unknown",
    2: "API Service",
    4: "API Too Many Calls",
    100: "Invalid parameter",
    190: "Invalid OAuth access token - Cannot parse access token",
    80007: "Rate limit issues",
    130429: "Rate limit hit",
    131000: "Something went wrong",
    131005: "Access denied",
    131008: "Required parameter is missing",
    131009: "Parameter value is not valid",
    131016: "Service unavailable",
    131021: "Recipient cannot be sender",
    131026: "Message Undeliverable",
    131031: "Account has been locked",
    131042: "Business eligibility payment issue",
    131047: "Re-engagement message",
    131048: "Spam rate limit hit",
    131049: "Meta chose not to deliver",
    131050: "User has stopped marketing messages",
    131051: "Unsupported message type",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
    132000: "Number of parameters does not match the expected number of params",
    132001: "Template does not exist",
    133010: "Phone number not registered",
}

DETAILS: dict[int, str] = {
    130429: "Cloud API message throughput has been reached. Try again later or reduce the frequency "
            "with which the app sends messages.",
    131000: "Message failed to send due to an unknown error. Try again.",
    131026: "Message failed to send because the recipient cannot receive it (not a WhatsApp number, "
            "outdated client, or terms of service not accepted).",
    131047: "Message failed to send because more than 24 hours have passed since the customer last "
            "replied to this number. Use a template message.",
    131056: "Message failed to send because there were too many messages sent from this phone number "
            "to the same phone number in a short period of time.",
}


class GraphError(Exception):
    """An error answered in the Graph API's shape rather than as a problem response."""

    def __init__(self, http_status: int, code: int, details: str | None = None, *,
                 message: str | None = None, error_type: str = "OAuthException",
                 error_subcode: int | None = None) -> None:
        self.http_status = http_status
        self.code = code
        self.message = message or f"(#{code}) {TITLES.get(code, 'Error')}"
        self.details = details if details is not None else DETAILS.get(code)
        self.error_type = error_type
        self.error_subcode = error_subcode
        super().__init__(self.message)

    def body(self, fbtrace_id: str) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.error_type, "code": self.code}
        if self.details:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        if self.error_subcode is not None:
            error["error_subcode"] = self.error_subcode
        error["fbtrace_id"] = fbtrace_id
        return {"error": error}


def invalid_parameter(details: str, *, message: str | None = None) -> GraphError:
    """Code 100, the answer to a send body Meta refuses."""
    return GraphError(400, 100, details, message=message)


def invalid_token() -> GraphError:
    return GraphError(401, 190, None)


def unknown_object(object_id: str, method: str) -> GraphError:
    """What Graph answers for a phone number id this account does not have."""
    return GraphError(
        400, 100, None, error_type="GraphMethodException", error_subcode=33,
        message=(f"Unsupported {method} request. Object with ID '{object_id}' does not exist, cannot be "
                 "loaded due to missing permissions, or does not support this operation."),
    )

