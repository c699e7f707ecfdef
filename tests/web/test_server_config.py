"""How ``authgate serve`` configures uvicorn from the settings."""

from __future__ import annotations

import pickle

import pytest

from authgate.settings import Settings, SettingsError, load_settings
from authgate.web.http_limits import LimitedConfig, LimitedHttpProtocol, RequestLimits
from authgate.web.server import server_config


def config_for(**values: object) -> LimitedConfig:
    settings = Settings(database_url="sqlite:///x.db", **values)  # type: ignore[arg-type]
    return server_config(settings, host="127.0.0.1", port=8000, workers=1, access_log=True)


def test_no_proxy_is_trusted_by_default() -> None:
    """X-Forwarded-For is not read at all unless a proxy is configured."""
    config = config_for()
    assert config.proxy_headers is False
    assert Settings(database_url="sqlite:///x.db").forwarded_allow_ips == []


def test_no_websocket_protocol_is_loaded() -> None:
    """Nothing here speaks WebSocket: an upgrade request must not reach a protocol
    implementation (and its parser) that no route needs."""
    from uvicorn.config import WS_PROTOCOLS

    config = config_for()
    assert config.ws == "none" and WS_PROTOCOLS[config.ws] is None


def test_configured_proxies_are_passed_to_uvicorn() -> None:
    config = config_for(forwarded_allow_ips=["10.0.0.0/8", "192.0.2.1"])
    assert config.proxy_headers is True
    assert config.forwarded_allow_ips == ["10.0.0.0/8", "192.0.2.1"]


def test_proxies_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTHGATE_FORWARDED_ALLOW_IPS", '["127.0.0.1", "::1"]')
    assert load_settings().forwarded_allow_ips == ["127.0.0.1", "::1"]


@pytest.mark.parametrize("bad", [["proxy.local"], ["10.0.0.1/8"], ["*", "10.0.0.1"]])
def test_proxy_entries_must_be_addresses_or_networks(
    monkeypatch: pytest.MonkeyPatch, bad: list[str]
) -> None:
    monkeypatch.setenv("AUTHGATE_FORWARDED_ALLOW_IPS", str(bad).replace("'", '"'))
    with pytest.raises(SettingsError, match="forwarded_allow_ips"):
        load_settings()


def test_limits_have_production_defaults() -> None:
    config = config_for()
    assert config.limits == RequestLimits(max_head_bytes=16 * 1024, read_timeout=10)
    assert config.timeout_keep_alive == 5
    assert config.http is LimitedHttpProtocol


def test_limits_come_from_settings_and_reach_worker_processes() -> None:
    """Workers are spawned with a pickled copy of the configuration."""
    config = config_for(max_request_head_bytes=4096, request_read_timeout=3, keep_alive_timeout=2)
    copy = pickle.loads(pickle.dumps(config))
    assert copy.limits == RequestLimits(max_head_bytes=4096, read_timeout=3)
    assert copy.timeout_keep_alive == 2
