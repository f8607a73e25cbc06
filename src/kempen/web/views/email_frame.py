"""The Content-Security-Policy of pages that show an email (the inbox, the campaign editor's preview).

An email is shown in an `<iframe sandbox="" srcdoc="…">`: the empty sandbox runs no script and treats
the email as another origin. A srcdoc document inherits the policy of the page that holds it, so this
policy also keeps the email from loading anything from the network (tracking pixels, remote images
and fonts): only the page's own files and inline data.
"""

from __future__ import annotations

EMAIL_FRAME_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                   "font-src 'self' data:; script-src 'self'; connect-src 'self'; object-src 'none'; "
                   "base-uri 'none'; form-action 'self'; frame-ancestors 'self'")


def email_frame_headers() -> dict[str, str]:
    """Response headers for a page with an email in a sandboxed frame."""
    return {"Content-Security-Policy": EMAIL_FRAME_CSP}
