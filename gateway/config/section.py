"""Typed reads from one table of the TOML file (`Section`), with errors that name the key."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gateway.config.model import ConfigError


def as_table(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"[{where}] must be a table")
    return value


def enum_value(kind: type[enum.Enum], value: str, where: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in kind)
        raise ConfigError(f"{where}: {value!r} is not one of {allowed}") from None


class Section:
    """Typed reads from one TOML table; `finish` refuses keys nobody asked for."""

    def __init__(self, data: Mapping[str, Any], name: str, base: Path) -> None:
        self._data = data
        self._name = name
        self._base = base
        self._seen: set[str] = set()

    def _where(self, key: str) -> str:
        return f"{self._name}.{key}" if self._name else key

    def _get(self, key: str) -> Any:
        self._seen.add(key)
        return self._data.get(key)

    def section(self, key: str) -> Section:
        return Section(self.table(key), self._where(key), self._base)

    def table(self, key: str) -> Mapping[str, Any]:
        value = self._get(key)
        return {} if value is None else as_table(value, self._where(key))

    def text(self, key: str, default: str) -> str:
        value = self.opt_text(key)
        return default if value is None else value

    def opt_text(self, key: str) -> str | None:
        value = self._get(key)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{self._where(key)} must be a string")
        return value

    def integer(
        self, key: str, default: int, *, low: int | None = None, high: int | None = None
    ) -> int:
        value = self._get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{self._where(key)} must be an integer")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ConfigError(f"{self._where(key)} = {value} is out of range")
        return value

    def number(
        self, key: str, default: float, *, positive: bool = False, low: float | None = None
    ) -> float:
        value = self.opt_number(key)
        if value is None:
            return default
        if value < 0 or (positive and value == 0) or (low is not None and value < low):
            raise ConfigError(f"{self._where(key)} = {value} is out of range")
        return value

    def opt_number(self, key: str) -> float | None:
        value = self._get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{self._where(key)} must be a number")
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self._get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise ConfigError(f"{self._where(key)} must be true or false")
        return value

    def path(self, key: str) -> Path | None:
        value = self.opt_text(key)
        if value is None:
            return None
        path = Path(value).expanduser()
        return path if path.is_absolute() else self._base / path

    def items(self, key: str) -> list[Any]:
        value = self._get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise ConfigError(f"{self._where(key)} must be a list")
        return value

    def texts(self, key: str) -> list[str]:
        items = self.items(key)
        if not all(isinstance(item, str) for item in items):
            raise ConfigError(f"{self._where(key)} must be a list of strings")
        return items

    def choose(self, key: str, kind: type[Any], default: Any) -> Any:
        value = self.opt_text(key)
        return default if value is None else enum_value(kind, value, self._where(key))

    def choice(self, key: str, allowed: tuple[str, ...], default: str) -> str:
        value = self.text(key, default)
        if value not in allowed:
            raise ConfigError(f"{self._where(key)}: {value!r} is not one of {', '.join(allowed)}")
        return value

    def finish(self) -> None:
        unknown = sorted(set(self._data) - self._seen)
        if unknown:
            where = f"[{self._name}]" if self._name else "the top level"
            raise ConfigError(f"unknown key(s) in {where}: {', '.join(unknown)}")
