"""The README stays true: two set-up commands, and every setting documented."""

import re

from bot.settings import PROJECT_ROOT, Settings

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", README, flags=re.M))
    assert {name.upper() for name in Settings.model_fields} <= documented


def test_the_two_commands_exist_in_the_makefile():
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("run", "test"):
        assert f"make {target}" in README
        assert re.search(rf"^{target}:", makefile, flags=re.M)
