"""The documentation keeps up with the code: every config key is documented."""

import dataclasses
import re

from reporting.core.config import Settings


def test_every_config_key_is_documented(root):
    text = (root / "docs" / "configuration.md").read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.M)
    documented = {}
    for block in sections[1:]:
        m = re.match(r"\[(\w+)\]", block)
        if m:
            documented[m.group(1)] = set(re.findall(r"^\| `(\w+)` \|", block, flags=re.M))
    for sect in dataclasses.fields(Settings):
        if sect.name in ("source", "secrets"):  # not in the file: secrets come from the env
            continue
        keys = {
            f.name
            for f in dataclasses.fields(sect.default_factory())
            if not f.metadata.get("derived")
        }
        assert sect.name in documented, f"[{sect.name}] missing from docs/configuration.md"
        missing = keys - documented[sect.name]
        assert not missing, f"[{sect.name}] keys not documented: {sorted(missing)}"
        stale = documented[sect.name] - keys
        assert not stale, f"[{sect.name}] documents keys that do not exist: {sorted(stale)}"


def test_bundled_config_keys_are_documented(root):
    import tomllib

    raw = tomllib.loads((root / "config.toml").read_text(encoding="utf-8"))
    text = (root / "docs" / "configuration.md").read_text(encoding="utf-8")
    for section, values in raw.items():
        assert f"## [{section}]" in text
        for key in values:
            assert f"`{key}`" in text, f"[{section}] {key}"
