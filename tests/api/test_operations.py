"""Health, readiness, metrics and the error shape, through real HTTP."""

from __future__ import annotations

import httpx

from tests.support import LiveServer


def test_health_and_readiness(server: LiveServer) -> None:
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{server.url}/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "schema": "0012"}


def test_metrics_expose_request_counts(server: LiveServer) -> None:
    httpx.get(f"{server.url}/healthz")
    body = httpx.get(f"{server.url}/metrics").text
    assert 'unico_http_requests_total{method="GET",route="/healthz",status="200"}' in body
    assert "unico_outbox_pending_events 0.0" in body


def test_missing_key_is_401_with_error_shape(server: LiveServer) -> None:
    response = httpx.post(f"{server.url}/api/v1/api-keys", json={"name": "x", "role": "admin"})
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "auth.missing_key",
            "message": "an API key is required (Authorization: Bearer <key>)",
            "details": {},
        }
    }


def test_unknown_field_is_422_naming_it(admin: httpx.Client) -> None:
    response = admin.post("/api/v1/api-keys", json={"name": "x", "role": "admin", "colour": "red"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation.failed"
    assert response.json()["error"]["details"]["field"] == "colour"


def test_analyst_may_not_issue_keys(admin: httpx.Client) -> None:
    issued = admin.post("/api/v1/api-keys", json={"name": "bi", "role": "analyst"})
    assert issued.status_code == 201
    analyst = httpx.Client(base_url=str(admin.base_url), headers={"X-API-Key": issued.json()["secret"]})
    refused = analyst.post("/api/v1/api-keys", json={"name": "y", "role": "admin"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "auth.forbidden"
    admin.delete(f"/api/v1/api-keys/{issued.json()['key_id']}")
    assert analyst.post("/api/v1/api-keys", json={"name": "y", "role": "admin"}).status_code == 401


def test_a_body_that_is_not_json_says_what_to_send(admin: httpx.Client) -> None:
    response = admin.post(
        "/api/v1/api-keys", content=b"name=x", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["message"] == (
        "body: the body must be a JSON object, sent with Content-Type: application/json"
    )
