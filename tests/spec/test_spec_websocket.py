"""Tests for WebSocket bidirectional communication."""

import pytest
import asyncio
import json
from unittest.mock import AsyncMock, MagicMock, patch
from amphigory_daemon.websocket import WebAppClient


class TestWebAppClientRequestHandling:
    """Tests for handling requests from webapp."""

    @pytest.mark.asyncio
    async def test_registers_request_handler(self):
        """Can register a handler for incoming requests."""
        client = WebAppClient("ws://localhost:8000/ws")

        handler = AsyncMock(return_value={"status": "ok"})
        client.on_request("get_drive_status", handler)

        assert "get_drive_status" in client._request_handlers

    @pytest.mark.asyncio
    async def test_handles_request_and_sends_response(self):
        """Handles request message and sends response."""
        client = WebAppClient("ws://localhost:8000/ws")
        client._websocket = AsyncMock()
        client._connected = True

        # Register handler
        async def handle_get_status(params):
            return {"drive_id": "test:rdisk0", "state": "empty"}

        client.on_request("get_drive_status", handle_get_status)

        # Simulate incoming request
        request = {
            "type": "request",
            "request_id": "req-123",
            "method": "get_drive_status",
            "params": {},
        }

        await client._handle_message(request)

        # Verify response was sent
        client._websocket.send.assert_called_once()
        response = json.loads(client._websocket.send.call_args[0][0])
        assert response["type"] == "response"
        assert response["request_id"] == "req-123"
        assert response["result"]["drive_id"] == "test:rdisk0"

    @pytest.mark.asyncio
    async def test_handles_unknown_method(self):
        """Sends error response for unknown method."""
        client = WebAppClient("ws://localhost:8000/ws")
        client._websocket = AsyncMock()
        client._connected = True

        request = {
            "type": "request",
            "request_id": "req-456",
            "method": "unknown_method",
            "params": {},
        }

        await client._handle_message(request)

        # Verify error response was sent
        client._websocket.send.assert_called_once()
        response = json.loads(client._websocket.send.call_args[0][0])
        assert response["type"] == "response"
        assert response["request_id"] == "req-456"
        assert "error" in response