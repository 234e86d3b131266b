"""Settings come from the environment, with clear errors naming the variable at fault."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from cms.settings.env import database_from_url, env_bool, env_int, env_list

REPO = Path(__file__).resolve().parents[2]


def run_manage(*args, env_overrides, settings_module="cms.settings.dev"):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update({"DJANGO_SETTINGS_MODULE": settings_module, **env_overrides})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


class TestDatabaseUrl:
    def test_postgres_url_becomes_a_postgres_config(self):
        config = database_from_url("postgres://app:secret@db.internal:5433/signal")
        assert config["ENGINE"] == "django.db.backends.postgresql"
        assert (config["NAME"], config["USER"], config["HOST"], config["PORT"]) == (
            "signal",
            "app",
            "db.internal",
            5433,
        )

    def test_sqlite_url_becomes_a_sqlite_config(self):
        config = database_from_url("sqlite:////tmp/x.sqlite3")
        assert config["ENGINE"] == "django.db.backends.sqlite3"
        assert config["NAME"] == "/tmp/x.sqlite3"

    @pytest.mark.parametrize(
        "url, fragment",
        [
            ("postgress://u@h/db", "unsupported or missing scheme 'postgress'"),
            ("mysql://u@h/db", "unsupported or missing scheme 'mysql'"),
            ("just-a-hostname", "unsupported or missing scheme ''"),
            ("", "unsupported or missing scheme"),
            ("postgres://u@h:notaport/db", "could not be parsed"),
            ("postgres://u@h:5432/", "names no database"),
        ],
    )
    def test_bad_urls_name_the_variable(self, url, fragment):
        with pytest.raises(ImproperlyConfigured) as error:
            database_from_url(url)
        assert "DATABASE_URL" in str(error.value)
        assert fragment in str(error.value)

    def test_bad_database_url_stops_manage_py_with_a_clear_message(self):
        result = run_manage("check", env_overrides={"DATABASE_URL": "postgress://nobody@localhost/x"})
        assert result.returncode != 0
        assert "DATABASE_URL has an unsupported or missing scheme 'postgress'" in result.stderr

    def test_an_unknown_consent_mode_stops_manage_py_naming_the_variable(self):
        result = run_manage("check", env_overrides={"PERSONALIZATION_CONSENT_MODE": "maybe"})
        assert result.returncode != 0
        assert "PERSONALIZATION_CONSENT_MODE is 'maybe': use 'always' or 'opt-in'." in result.stderr


class TestEnvHelpers:
    def test_booleans(self, monkeypatch):
        monkeypatch.setenv("FLAG", "Yes")
        assert env_bool("FLAG", False) is True
        monkeypatch.setenv("FLAG", "0")
        assert env_bool("FLAG", True) is False
        monkeypatch.delenv("FLAG")
        assert env_bool("FLAG", True) is True

    def test_a_non_boolean_is_refused(self, monkeypatch):
        monkeypatch.setenv("DEBUG", "maybe")
        with pytest.raises(ImproperlyConfigured, match="DEBUG='maybe' is not a boolean"):
            env_bool("DEBUG", False)

    def test_integers(self, monkeypatch):
        monkeypatch.setenv("N", "12")
        assert env_int("N", 3) == 12
        monkeypatch.setenv("N", "twelve")
        with pytest.raises(ImproperlyConfigured, match="N='twelve' is not a whole number"):
            env_int("N", 3)

    def test_lists_drop_blanks(self, monkeypatch):
        monkeypatch.setenv("HOSTS", " a.example, b.example ,,")
        assert env_list("HOSTS") == ["a.example", "b.example"]


class TestProductionSettings:
    PRODUCTION_ENV = {
        "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "www.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://www.example.com",
        "DATABASE_URL": "sqlite:////tmp/signalpage-deploy-check.sqlite3",
    }

    def test_check_deploy_reports_nothing(self):
        result = run_manage(
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            env_overrides=self.PRODUCTION_ENV,
            settings_module="cms.settings.production",
        )
        assert result.returncode == 0, result.stderr + result.stdout
        assert "System check identified no issues" in result.stdout

    def test_production_refuses_to_start_without_a_secret_key(self):
        env = {**self.PRODUCTION_ENV, "SECRET_KEY": ""}
        result = run_manage("check", env_overrides=env, settings_module="cms.settings.production")
        assert result.returncode != 0
        assert "SECRET_KEY must be set" in result.stderr

    def test_redis_url_switches_cache_and_sessions_to_redis(self):
        result = run_manage(
            "shell",
            "-c",
            "from django.conf import settings; print(settings.CACHES['default']['BACKEND'], settings.SESSION_ENGINE)",
            env_overrides={"REDIS_URL": "redis://127.0.0.1:6379/5"},
        )
        assert result.returncode == 0, result.stderr
        assert "django_redis.cache.RedisCache django.contrib.sessions.backends.cache" in result.stdout

    def test_defaults_need_nothing_installed(self):
        result = run_manage(
            "shell",
            "-c",
            "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'], "
            "settings.CACHES['default']['BACKEND'])",
            env_overrides={},
        )
        assert result.returncode == 0, result.stderr
        assert "django.db.backends.sqlite3 django.core.cache.backends.locmem.LocMemCache" in result.stdout
