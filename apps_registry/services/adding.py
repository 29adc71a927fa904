"""Adding an App as someone asks for it (design §3): the decisions around app_create's one
write, as an outcome each entry point maps to its own answer.

- SENT_ALREADY: the key the requester was shown beforehand (the Add App form's signed pair) is
  an App already: the same request sent twice (a double click, Back then OK). The App it made
  is the answer; nothing is added.
- TWIN: an App of the same name and redirect URL exists on the owner's API tab. Where a person
  confirms (the portal's form, the Django admin), they are asked first; the next submit says
  `confirm_twin=False`.
- KEY_TAKEN: the key shown beforehand is another App's: the requester must see a new one.
  A key the server generates itself is retried with a new one instead, wherever it is.
- CREATED: the App.

Which entry point asks for which decision: the portal form all of them; the admin the twin
(and a generated key); the command line, /oauth/register.php and RFC 7591 registration (whose
clients register the same metadata again routinely) none but the generated key's retry.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from accounts.models import Account
from portal.audit import Origin

from ..exceptions import DuplicateAppKey
from ..models import App
from ..selectors import app_made_by_form, app_twin
from .app import app_create

# How many server-generated keys are tried before giving up (each is 192 bits from a CSPRNG:
# one collision in practice never happens, two in a row mean something else is wrong).
KEY_ATTEMPTS = 3


class AddOutcome(enum.Enum):
    CREATED = "created"
    SENT_ALREADY = "sent_already"
    TWIN = "twin"
    KEY_TAKEN = "key_taken"


@dataclass(frozen=True)
class AppAdd:
    """What adding an App came to: the outcome, and the App it is about (the one created, the
    one the same request made before, or the twin; None when the shown key was taken)."""

    outcome: AddOutcome
    app: App | None = None


def app_add_check(
    *,
    actor: Account,
    owner: Account,
    api: str,
    name: str,
    redirect_uri: str,
    client_id: str | None = None,
    confirm_twin: bool = True,
) -> AppAdd | None:
    """What adding this App would meet before anything is written, or None: the App this very
    request made already (`client_id`, a key shown beforehand, is an App of `owner` the actor
    manages: SENT_ALREADY), or, when `confirm_twin`, an App of `owner` on `api` with the same
    name (in any case) and redirect URL (TWIN). A page can ask it before its person confirms."""
    if client_id is not None:
        made = app_made_by_form(actor, owner, api=api, client_id=client_id)
        if made is not None:
            return AppAdd(AddOutcome.SENT_ALREADY, made)
    if confirm_twin:
        twin = app_twin(owner, api=api, name=name, redirect_uri=redirect_uri)
        if twin is not None and client_id is not None and twin.client_id == client_id:
            # The same request, sent at the same moment: its twin is the App it made.
            return AppAdd(AddOutcome.SENT_ALREADY, twin)
        if twin is not None:
            return AppAdd(AddOutcome.TWIN, twin)
    return None


def app_add(
    *,
    actor: Account,
    owner: Account,
    api: str,
    name: str,
    redirect_uri: str,
    origin: Origin,
    client_id: str | None = None,
    client_secret: str | None = None,
    confirm_twin: bool = False,
    **fields,
) -> AppAdd:
    """Add an App for `owner` through app_create (every rule of it holds, raised as there),
    after app_add_check's decisions; `fields` are app_create's others (homepage, email,
    description, public...). A `client_id` given is a key the requester was shown: taken by
    another App, the outcome is KEY_TAKEN (or SENT_ALREADY when it is this request's own App,
    made a moment ago by the same request sent twice). Without one the key is generated, and a
    generated key that is taken is replaced by a new one."""
    checked = app_add_check(
        actor=actor,
        owner=owner,
        api=api,
        name=name,
        redirect_uri=redirect_uri,
        client_id=client_id,
        confirm_twin=confirm_twin,
    )
    if checked is not None:
        return checked
    for _attempt in range(KEY_ATTEMPTS):
        try:
            app = app_create(
                actor=actor,
                owner=owner,
                api=api,
                name=name,
                redirect_uri=redirect_uri,
                client_id=client_id,
                client_secret=client_secret,
                origin=origin,
                **fields,
            )
        except DuplicateAppKey:
            if client_id is None:
                continue  # a generated key met an existing one: generate another
            # Sent twice at the same moment: the other submit won the INSERT.
            made = app_made_by_form(actor, owner, api=api, client_id=client_id)
            return AppAdd(AddOutcome.SENT_ALREADY, made) if made is not None else AppAdd(AddOutcome.KEY_TAKEN)
        return AppAdd(AddOutcome.CREATED, app)
    raise DuplicateAppKey()
