"""Request limits AWS enforces and moto does not.

moto gap: Cognito IDP ListUsers / ListGroups / ListUsersInGroup accept any
Limit; AWS allows at most 60 (InvalidParameterException otherwise), so a
client that asks for bigger pages would pass against moto and fail on AWS.
"""

from .server import Response

COGNITO_PAGE_MAX = {"ListUsers": 60, "ListGroups": 60, "ListUsersInGroup": 60}


def install(world):
    for op, limit in COGNITO_PAGE_MAX.items():
        world.register("cognito-idp", op, _cognito_limit(world, limit))


def _cognito_limit(world, maximum):
    def handler(environ, info):
        body = info.json_body() or {}
        lim = body.get("Limit")
        if isinstance(lim, int) and lim > maximum:
            return Response.error(info, "InvalidParameterException",
                                  f"1 validation error detected: Value '{lim}' at 'limit' failed to satisfy "
                                  f"constraint: Member must have value less than or equal to {maximum}", 400)
        return world.forward(environ, info)

    return handler
