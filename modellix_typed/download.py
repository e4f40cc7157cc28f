"""Import path kept for users: download planning and checks live in :mod:`._core.download_plan`, the
fetching loops in :mod:`._sync.download` / :mod:`._async.download`."""

from ._async.download import download_async, open_result_async
from ._core.download_plan import (
    CHUNK,
    DEFAULT_EXTENSIONS,
    EXPIRY_WARNING_WINDOW,
    MAX_REDIRECTS,
    REDIRECT_STATUSES,
    ResultExpiryWarning,
    Sink,
    check_media_type,
    check_response,
    plan,
    redirect_target,
    safe_filename,
    warn_if_expiring,
)
from ._sync.download import download_sync, open_result
from .results import Downloader

__all__ = [
    "CHUNK", "DEFAULT_EXTENSIONS", "EXPIRY_WARNING_WINDOW", "MAX_REDIRECTS", "REDIRECT_STATUSES", "Downloader",
    "ResultExpiryWarning", "Sink", "check_media_type", "check_response", "download_async", "download_sync",
    "open_result", "open_result_async", "plan", "redirect_target", "safe_filename", "warn_if_expiring",
]
