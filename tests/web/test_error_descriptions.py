"""``error_descriptions``: a deployment's fixed ``error_description`` per error code, in the
authorization endpoint's redirects (RFC 6749 §4.1.2.1) and the JSON errors of the token,
revocation and introspection endpoints (RFC 6749 §5.2); and the redbooth profile's texts,
quoted from seed 003."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from authgate import errors
from authgate.errors import OAuthError
from authgate.protocol.registration import Registered
from authgate.settings import SettingsError, load_settings
from tests.conftest import Factory
from tests.web.flow import Browser, query_of

CB = "https://app.example.com/callback"


@pytest.fixture
async def app_client(make: Factory) -> Registered:
    await make.user()
    return await make.client(
        grant_types=["authorization_code"], redirect_uris=[CB], scopes=["read"]
    )


def params(reg: Registered, **extra: Any) -> dict[str, Any]:
    return {
        "response_type": "code",
        "client_id": reg.client.client_id,
        "redirect_uri": CB,
        "state": "xyz",
        **extra,
    }


def redirected_error(r: httpx.Response) -> dict[str, str]:
    assert r.status_code in (302, 303), r.text
    assert r.headers["location"].startswith(CB + "?")
    values = query_of(r.headers["location"])
    assert values["state"] == "xyz"
    return values


def auth_of(reg: Registered) -> tuple[str, str]:
    assert reg.client_secret
    return reg.client.client_id, reg.client_secret


class TestErrorDescriptions:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {
            "error_descriptions": {
                "invalid_scope": "The scope is not one this app may ask for.",
                "invalid_grant": "The grant is not valid.",
                "invalid_request": "The request is malformed.",
            }
        }

    async def test_a_redirect_from_the_authorization_endpoint_rfc6749_4_1_2_1(
        self, http: httpx.AsyncClient, app_client: Registered
    ) -> None:
        r = await http.get("/oauth/authorize", params=params(app_client, scope="admin"))
        values = redirected_error(r)
        assert values["error"] == "invalid_scope"
        assert values["error_description"] == "The scope is not one this app may ask for."

    async def test_a_code_not_in_the_table_keeps_its_specific_text(
        self, http: httpx.AsyncClient, app_client: Registered
    ) -> None:
        r = await http.get("/oauth/authorize", params=params(app_client, response_type="bogus"))
        values = redirected_error(r)
        assert values["error"] == "unsupported_response_type"
        assert values["error_description"] == "response_type 'bogus' is not supported"

    async def test_a_json_error_of_the_token_endpoint_rfc6749_5_2(
        self, http: httpx.AsyncClient, make: Factory
    ) -> None:
        reg = await make.client(grant_types=["authorization_code"], redirect_uris=[CB])
        data = {"grant_type": "authorization_code", "code": "1.nope", "redirect_uri": CB}
        r = await http.post("/oauth/token", data=data, auth=auth_of(reg))
        assert r.status_code == 400
        assert r.json() == {
            "error": "invalid_grant",
            "error_description": "The grant is not valid.",
        }
        assert r.headers["cache-control"] == "no-store"

    @pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke", "/oauth/introspect"])
    async def test_the_form_endpoints_alike_rfc7009_2_2_1(
        self, http: httpx.AsyncClient, make: Factory, path: str
    ) -> None:
        reg = await make.client()
        r = await http.post(path, data={"token_type_hint": "access_token"}, auth=auth_of(reg))
        assert r.status_code == 400
        assert r.json() == {
            "error": "invalid_request",
            "error_description": "The request is malformed.",
        }

    async def test_bearer_errors_are_not_worded_by_it(self, http: httpx.AsyncClient) -> None:
        """``invalid_request`` on the API (two tokens at once) keeps its RFC 6750 text."""
        r = await http.get(
            "/api/me", params={"access_token": "1.a"}, headers={"Authorization": "Bearer 1.a"}
        )
        assert r.status_code == 400
        assert r.json()["error_description"] != "The request is malformed."


class TestRedboothProfile:
    """Seed 003: "The following conditions may also cause an error", each with the page's
    text, at the profile's paths."""

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"profile": "redbooth"}

    async def test_invalid_request(self, http: httpx.AsyncClient, app_client: Registered) -> None:
        query = params(app_client)
        del query["response_type"]
        values = redirected_error(await http.get("/oauth2/authorize", params=query))
        assert values["error"] == "invalid_request"
        assert values["error_description"] == (
            "The request is missing a required parameter, includes an invalid parameter "
            "value, includes a parameter more than once, or is otherwise malformed."
        )

    async def test_unsupported_response_type(
        self, http: httpx.AsyncClient, app_client: Registered
    ) -> None:
        r = await http.get("/oauth2/authorize", params=params(app_client, response_type="bogus"))
        values = redirected_error(r)
        assert values["error"] == "unsupported_response_type"
        assert values["error_description"] == (
            "The authorization server does not support obtaining an authorization code "
            "using this method."
        )

    async def test_unauthorized_client(
        self, http: httpx.AsyncClient, app_client: Registered
    ) -> None:
        """The app may not use the implicit flow (``response_type=token``)."""
        r = await http.get("/oauth2/authorize", params=params(app_client, response_type="token"))
        assert r.status_code == 302
        values = query_of(r.headers["location"].replace("#", "?"))
        assert values["error"] == "unauthorized_client"
        assert values["error_description"] == (
            "The device the user is trying to log in from is not authorized to access the "
            "user's account."
        )

    async def test_access_denied(self, browser: Browser, app_client: Registered) -> None:
        browser.authorize_path = "/oauth2/authorize"
        await browser.login()
        consent = await browser.authorize(**params(app_client, scope="read"))
        values = redirected_error(await browser.decide(consent, "deny"))
        assert values["error"] == "access_denied"
        assert values["error_description"] == (
            "The resource owner or authorization server denied the request."
        )

    async def test_invalid_grant_at_the_token_endpoint(
        self, http: httpx.AsyncClient, app_client: Registered
    ) -> None:
        data = {"grant_type": "authorization_code", "code": "1.nope", "redirect_uri": CB}
        r = await http.post("/oauth2/token", data=data, auth=auth_of(app_client))
        assert r.status_code == 400
        assert r.json() == {
            "error": "invalid_grant",
            "error_description": "Check the value of the code param in your request.",
        }


def test_every_error_code_the_endpoints_can_answer_may_be_worded() -> None:
    """Each OAuthError code of the four endpoints is a key ``error_descriptions`` takes:
    all but the resource side's, RFC 7591 registration's and the admin API's (HTTP's own
    codes; imported here so that the answer does not depend on which tests ran first)."""
    import authgate.protocol.admin.errors  # noqa: F401

    found: set[str] = set()
    pending = [OAuthError]
    while pending:
        cls = pending.pop()
        found.add(cls.error)
        pending += cls.__subclasses__()
    resource_side = {"invalid_token", "insufficient_scope", "rate_limit_exceeded", ""}
    registration = {"invalid_redirect_uri", "invalid_client_metadata"}
    admin_api = {"not_found", "conflict", "precondition_failed", "precondition_required"}
    others = resource_side | registration | admin_api
    assert found - others == set(errors.EndpointError.__args__)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"invalid_token": "x"}, "Input should be 'invalid_request'"),
        ({"access_denied": 'No "thanks"'}, "printable ASCII characters other than"),
        ({"access_denied": "Refus\u00e9"}, "printable ASCII characters other than"),
        ({"access_denied": "tab\there"}, "printable ASCII characters other than"),
    ],
)
def test_error_descriptions_must_be_known_codes_and_rfc6749_characters(
    table: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(error_descriptions=table)
    assert "error_descriptions" in str(caught.value)
    assert message in str(caught.value)
