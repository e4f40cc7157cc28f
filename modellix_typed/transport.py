"""Import path kept for users: what a reply means is decided in :mod:`._core.exchange`; the sending loops
are :mod:`._sync.transport` and :mod:`._async.transport`."""

from ._async.transport import AsyncTransport
from ._core.exchange import (
    MAX_API_RESPONSE_BYTES,
    NOT_SENT_ERRORS,
    Call,
    Exchange,
    Reply,
    Step,
    check_open,
    data_of,
    encode_json,
)
from ._sync.transport import SyncTransport

__all__ = [
    "MAX_API_RESPONSE_BYTES", "NOT_SENT_ERRORS", "AsyncTransport", "Call", "Exchange", "Reply", "Step",
    "SyncTransport", "check_open", "data_of", "encode_json",
]
