"""/oauth/token.php and /oauth/revoke (design §6): django-oauth-toolkit's endpoints, with
VoipNow's error shapes, JSON errors for unreadable bodies, and the outcome counted."""

from __future__ import annotations

import json
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from oauth2_provider.signals import app_authorized
from oauth2_provider.views import RevokeTokenView, TokenView

from apps_registry.models import AccessToken

from ..metrics import count_token_request
from ..validator import checksum
from .client_credentials import client_credentials
from .token_errors import token_error

# --- /oauth/token.php, /oauth/revoke -----------------------------------------------------

# oauthlib leaves some errors without a description; design §6 wants one on each (except
# invalid_client, which is exactly {"error": "invalid_client"}).
ERROR_DESCRIPTIONS = {
    "invalid_request": "The request is missing a parameter or is malformed.",
    "invalid_grant": "The authorization code or refresh token is invalid, expired, revoked or "
    "was issued to another App.",
    "unauthorized_client": "This App may not use this grant type (client_credentials is for "
    "trusted Apps only).",
    "invalid_scope": "The requested scope is not allowed.",
    "unsupported_token_type": "Only access_token and refresh_token can be revoked.",
}
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")


FORM_URLENCODED = "application/x-www-form-urlencoded"


def _not_utf8(request: HttpRequest) -> bool:
    """A form-urlencoded body whose decoded bytes are not UTF-8. Django decodes such a body
    leniently (each bad byte becomes U+FFFD), so a client would be answered about parameters
    it never sent; the README promises a 400 instead."""
    if request.content_type != FORM_URLENCODED:
        return False
    try:
        unquote_to_bytes(request.body.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def unreadable_body(request: HttpRequest) -> HttpResponse | None:
    """An invalid_request error when the body cannot be parsed (form-urlencoded that is not
    UTF-8, a broken multipart body, more than DATA_UPLOAD_MAX_MEMORY_SIZE bytes or
    DATA_UPLOAD_MAX_NUMBER_FIELDS fields): the client gets the error in the endpoint's JSON
    shape, not Django's HTML 400 page."""
    try:
        if _not_utf8(request):
            raise BadRequest("not UTF-8")
        request.POST  # noqa: B018 -- parsing is the point
    except (RequestDataTooBig, TooManyFieldsSent):
        body = {
            "error": "invalid_request",
            "error_description": f"The body is too large (at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} "
            f"bytes and {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields).",
        }
        return token_error(request, body, 413)
    except (BadRequest, MultiPartParserError):
        body = {
            "error": "invalid_request",
            "error_description": "The body must be application/x-www-form-urlencoded in UTF-8, "
            "or multipart/form-data.",
        }
        return token_error(request, body, 400)
    return None


def normalized(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """oauthlib's error, reshaped: a wrong key or secret is exactly {"error": "invalid_client"}
    (401); other errors carry an error_description and no `state` (a token request has none,
    but VoipNow clients send state=0 anyway)."""
    if response.status_code < 400:
        return response
    try:
        body = json.loads(response.content)
    except ValueError:
        return response
    if not isinstance(body, dict) or not body.get("error"):
        return response
    if body["error"] == "invalid_client":
        return token_error(request, {"error": "invalid_client"}, 401)
    body.pop("state", None)
    if not body.get("error_description"):
        body["error_description"] = ERROR_DESCRIPTIONS.get(body["error"], "The request was refused.")
    return token_error(request, body, response.status_code)


def counted(grant_type: str | None, response: HttpResponse) -> HttpResponse:
    """Count the token endpoint's answer (portal_token_requests_total): `issued`, or its error."""
    outcome = "issued"
    if response.status_code != 200:
        try:
            outcome = str(json.loads(response.content).get("error", "other"))
        except (ValueError, AttributeError):
            outcome = "other"
    count_token_request(grant_type, outcome)
    return response


class Token(TokenView):
    """django-oauth-toolkit's token endpoint: body or Basic credentials, form-urlencoded or
    multipart bodies (Django parses both into request.POST), unknown fields ignored; a plain
    client_credentials request takes the portal's own path (oauth.views.client_credentials).
    A failed request's error report (Django's, to the logs or the admins) shows no
    client_secret, whichever path answered it: sensitive_post_parameters, as
    django-oauth-toolkit's own token response has it."""

    @method_decorator(sensitive_post_parameters("password", "client_secret"))
    def post(self, request, *args, **kwargs):
        if refused := unreadable_body(request):
            return counted(None, refused)
        grant_type = request.POST.get("grant_type")
        return counted(grant_type, self.answer(request, grant_type, *args, **kwargs))

    def answer(self, request, grant_type: str | None, *args, **kwargs) -> HttpResponse:
        if not grant_type:
            # oauthlib calls this unsupported_grant_type; RFC 6749 5.2 says invalid_request.
            body = {"error": "invalid_request", "error_description": "The grant_type parameter is missing."}
            return token_error(request, body, 400)
        if grant_type not in GRANT_TYPES:
            # The password, implicit and device grants are not offered at all.
            description = "Use authorization_code, refresh_token or client_credentials."
            return token_error(
                request, {"error": "unsupported_grant_type", "error_description": description}, 400
            )
        if grant_type == "client_credentials" and (own := client_credentials(request, self)) is not None:
            return own
        return normalized(request, super().post(request, *args, **kwargs))

    @method_decorator(sensitive_post_parameters("password", "client_secret"))
    def authorization_flow_token_response(self, request, *args, **kwargs):
        """django-oauth-toolkit's, its sensitive_post_parameters kept, except that a token no
        longer there when it is read back for app_authorized (deleted by a regenerate that came
        just after it was saved: dead on arrival) sends no signal rather than a 500."""
        _url, headers, body, status = self.create_token_response(request)
        if status == 200 and (value := json.loads(body).get("access_token")):
            issued = AccessToken.objects.filter(token_checksum=checksum(value)).first()
            if issued is not None:
                app_authorized.send(sender=self, request=request, token=issued)
        response = HttpResponse(content=body, status=status)
        for key, header in headers.items():
            response[key] = header
        return response


token = Token.as_view()


class Revoke(RevokeTokenView):
    def post(self, request, *args, **kwargs):
        if refused := unreadable_body(request):
            return refused
        return normalized(request, super().post(request, *args, **kwargs))


revoke = Revoke.as_view()
