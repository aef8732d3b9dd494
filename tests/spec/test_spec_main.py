"""Spec Task 8's test, as written; the header (imports, `client` fixture) is what the spec left implicit."""

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def client():
    from amphigory.main import app

    with TestClient(app) as test_client:
        yield test_client


class TestWebSocketRequests:
    """Tests for webapp sending requests to daemon."""

    @pytest.mark.asyncio
    async def test_webapp_can_send_request_to_daemon(self, client):
        """Webapp can send a request message to daemon via WebSocket."""
        from amphigory.websocket import manager

        # This tests that we have the infrastructure to send requests
        # Actual daemon response handling tested elsewhere
        request = {
            "type": "request",
            "request_id": "test-123",
            "method": "get_drive_status",
            "params": {"drive_id": "test:rdisk0"},
        }

        # Should not raise
        await manager.send_to_daemon("test-daemon", request)