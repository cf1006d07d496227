"""Settings read at start: a wrong value is one clear line there, not a failure later."""

import pytest

from cinematch.settings import Settings


def test_a_wrong_catalog_refresh_is_refused_when_the_settings_are_read():
    with pytest.raises(ValueError, match="CINEMATCH_CATALOG_REFRESH must be off, daily or weekly, got 'hourly'"):
        Settings(catalog_refresh="hourly")
    assert Settings(catalog_refresh="weekly").catalog_refresh == "weekly"
