"""The admin REST API at ``/admin/api/v1``: FastAPI (the OpenAPI document comes from the
code), mounted in the Starlette app off the hot OAuth paths. One router module per
resource; the operations themselves are the services of :mod:`authgate.protocol.admin`."""
