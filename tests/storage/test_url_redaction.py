"""Passwords never leave a URL through ``redacted()``, wherever the URL holds them."""

from __future__ import annotations

import pytest

from agbotkit.db.url import parse_storage_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://bot:s3cret@db:5432/agb", "postgresql://bot:***@db:5432/agb"),
        ("postgresql://bot:s3cret@[::1]:5432/agb", "postgresql://bot:***@[::1]:5432/agb"),
        (
            "postgresql://bot@db/agb?sslmode=require&password=s3cret",
            "postgresql://bot@db/agb?sslmode=require&password=***",
        ),
        ("postgresql://bot@db/agb?PASSWORD=s3cret", "postgresql://bot@db/agb?PASSWORD=***"),
        ("postgres://bot@db/agb", "postgresql://bot@db/agb"),
    ],
)
def test_redacted_hides_every_password(url: str, shown: str) -> None:
    redacted = parse_storage_url(url).redacted()
    assert redacted == shown
    assert "s3cret" not in redacted
    assert "s3cret" not in repr(parse_storage_url(url))
