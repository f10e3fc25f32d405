"""IAM ListUsers paging.

moto gap: IamResponse.list_users (moto/iam/responses.py) passes Marker and
MaxItems to the backend, which ignores them: every user comes back in one
response with IsTruncated=false, so a client's paging loop is never
exercised.  `install()` replaces that response method (moto still
authenticates, authorises and serialises the request as usual) with real
paging, as ListRoles has: at most MaxItems users (default 100, 1..1000 else
ValidationError), IsTruncated and an opaque Marker while more remain.  Users
come in order of name (case-insensitive, as IAM lists them); the Marker
names the last user returned, so users deleted between pages do not shift
the next page.
"""

import base64

from moto.core.responses import ActionResult
from moto.iam.exceptions import ValidationError
from moto.iam.models import filter_items_with_path_prefix
from moto.iam.responses import IamResponse

DEFAULT_MAX_ITEMS = 100
MAX_ITEMS = 1000
_PREFIX = "fvworld-users:"


def _marker(name):
    return base64.urlsafe_b64encode((_PREFIX + name).encode()).decode()


def _unmarker(marker):
    try:
        raw = base64.urlsafe_b64decode(marker.encode()).decode()
    except Exception:
        raw = ""
    if not raw.startswith(_PREFIX):
        raise ValidationError("Invalid Marker.")
    return raw[len(_PREFIX):]


def _order(name):
    return name.lower(), name


def list_users(self):
    path_prefix = self._get_param("PathPrefix") or "/"
    marker = self._get_param("Marker")
    max_items = self._get_param("MaxItems")
    try:
        max_items = int(max_items) if max_items not in (None, "") else DEFAULT_MAX_ITEMS
    except ValueError:
        raise ValidationError(f"1 validation error detected: Value '{max_items}' at 'maxItems' failed to satisfy "
                              "constraint: Member must be a number")
    if max_items < 1 or max_items > MAX_ITEMS:
        bound = "greater than or equal to 1" if max_items < 1 else f"less than or equal to {MAX_ITEMS}"
        raise ValidationError(f"1 validation error detected: Value '{max_items}' at 'maxItems' failed to satisfy "
                              f"constraint: Member must have value {bound}")
    users = sorted(filter_items_with_path_prefix(path_prefix, list(self.backend.users.values())),
                   key=lambda u: _order(u.name))
    if marker:
        after = _order(_unmarker(marker))
        users = [u for u in users if _order(u.name) > after]
    page = users[:max_items]
    result = {"Users": page, "IsTruncated": len(users) > max_items}
    if len(users) > max_items:
        result["Marker"] = _marker(page[-1].name)
    return ActionResult(result)


def install():
    IamResponse.list_users = list_users
