"""Tests for drives API endpoints."""

import pytest
from fastapi.testclient import TestClient
from unittest.mock import patch, AsyncMock


@pytest.fixture
def client():
    """Create test client."""
    from amphigory.main import app
    with TestClient(app) as client:
        yield client


class TestDrivesEndpoints:
    """Tests for /api/drives endpoints."""

    def test_get_drives_returns_empty_list_when_no_daemons(self, client):
        """GET /api/drives returns empty list when no daemons connected."""
        from amphigory.websocket import manager
        assert manager.daemons() == []

        response = client.get("/api/drives")

        assert response.status_code == 200
        assert response.json() == {"drives": []}

    def test_get_drive_by_id_returns_404_when_not_found(self, client):
        """GET /api/drives/{drive_id} returns 404 for unknown drive."""
        response = client.get("/api/drives/unknown:rdisk0")

        assert response.status_code == 404