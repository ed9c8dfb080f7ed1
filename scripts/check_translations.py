"""Check (or with --update, regenerate) the gettext catalogues of the five non-English languages.

The check fails on: a catalogue that `makemessages` would change (a string added, changed or
removed in the code but not in the catalogue), a missing or fuzzy translation, an obsolete
entry, a placeholder that differs from the English original, a wrong Plural-Forms header, and
a compiled .mo file that does not match its .po file.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "nonpro"
LOCALE = PACKAGE / "locale"
# Gettext locale names of the non-English UI languages, and their plural rules.
PLURAL_FORMS = {
    "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);",
    "zh_Hans": "nplurals=1; plural=0;",
    "fr": "nplurals=2; plural=(n > 1);",
    "ru": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
    "es": "nplurals=2; plural=(n != 1);",
}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]|\{\w*\}")
VOLATILE_HEADERS = ("POT-Creation-Date", "PO-Revision-Date")


def makemessages() -> None:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="nonpro.settings.test")
    command = [sys.executable, "-m", "django", "makemessages", "--no-location", "--no-obsolete", "--no-wrap",
               "--ignore=tests/*", "--ignore=*/migrations/*"]  # fmt: skip
    for language in PLURAL_FORMS:
        command += ["--locale", language]
    subprocess.run(command, cwd=PACKAGE, env=env, check=True, capture_output=True)
    for language, plural_forms in PLURAL_FORMS.items():
        po = polib.pofile(str(po_path(language)), wrapwidth=0)
        po.metadata["Plural-Forms"] = plural_forms
        po.metadata["Language"] = language
        po.metadata.pop("Language-Team", None)
        po.metadata.pop("Last-Translator", None)
        po.metadata["Project-Id-Version"] = "nonpro"
        po.metadata["PO-Revision-Date"] = po.metadata.get("POT-Creation-Date", "")
        po.metadata_is_fuzzy = False
        po.header = f"Nonpro user interface, {language}. Translate every entry; keep %(placeholders)s unchanged."
        nplurals = int(plural_forms.split(";")[0].split("=")[1])
        for entry in po:
            if "fuzzy" in entry.flags:
                # A guess by msgmerge is not a translation: empty it so that it is translated for real.
                entry.flags.remove("fuzzy")
                entry.msgstr = ""
                entry.msgstr_plural = dict.fromkeys(entry.msgstr_plural, "")
                entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
            if entry.msgid_plural:
                for index in range(nplurals):
                    entry.msgstr_plural.setdefault(index, "")
                for index in [i for i in entry.msgstr_plural if i >= nplurals]:
                    del entry.msgstr_plural[index]
        po.save()


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "django.po"


def comparable(path: Path) -> str:
    """Return the catalogue text without the headers that change on every run."""
    if not path.exists():
        return ""
    lines = path.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not any(line.startswith(f'"{h}:') for h in VOLATILE_HEADERS))


def check_makemessages_is_clean() -> list[str]:
    """Run makemessages in place, report every catalogue it changed, then put the originals back."""
    originals = {language: po_path(language).read_bytes() for language in PLURAL_FORMS if po_path(language).exists()}
    before = {language: comparable(po_path(language)) for language in PLURAL_FORMS}
    try:
        makemessages()
        after = {language: comparable(po_path(language)) for language in PLURAL_FORMS}
    finally:
        for language, content in originals.items():
            po_path(language).write_bytes(content)
    errors = []
    for language in PLURAL_FORMS:
        if before[language] != after[language]:
            old = {entry.msgid for entry in polib.pofile(before[language] or "")} if before[language] else set()
            new = {entry.msgid for entry in polib.pofile(after[language])}
            added, removed = sorted(new - old), sorted(old - new)
            detail = "; ".join([*(f"new: {m!r}" for m in added[:5]), *(f"gone: {m!r}" for m in removed[:5])])
            errors.append(f"{language}: `make messages` would change the catalogue ({detail or 'entry order/format'})")
    return errors


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text) and [m.group(0) for m in PLACEHOLDER.finditer(text)])


def check_catalogue(language: str) -> list[str]:
    path = po_path(language)
    if not path.exists():
        return [f"{language}: {path.relative_to(ROOT)} is missing"]
    po = polib.pofile(str(path))
    where = path.relative_to(ROOT)
    errors = []
    if po.metadata.get("Plural-Forms") != PLURAL_FORMS[language]:
        errors.append(f"{where}: Plural-Forms should be {PLURAL_FORMS[language]!r}")
    nplurals = int(re.search(r"nplurals=(\d+)", PLURAL_FORMS[language]).group(1))  # type: ignore[union-attr]
    for entry in po:
        label = f"{where}: {entry.msgid[:60]!r}"
        if entry.obsolete:
            errors.append(f"{label}: obsolete entry")
            continue
        if "fuzzy" in entry.flags:
            errors.append(f"{label}: fuzzy")
        if entry.msgid_plural:
            forms = [entry.msgstr_plural.get(index, "") for index in range(nplurals)]
            if len(entry.msgstr_plural) != nplurals or not all(form.strip() for form in forms):
                errors.append(f"{label}: needs {nplurals} plural forms, all translated")
            expected = placeholders(entry.msgid_plural)
            for form in forms:
                if form and placeholders(form) != expected and placeholders(form) != placeholders(entry.msgid):
                    errors.append(f"{label}: placeholders {placeholders(form)} differ from {expected}")
        elif not entry.msgstr.strip():
            errors.append(f"{label}: not translated")
        elif placeholders(entry.msgstr) != placeholders(entry.msgid):
            errors.append(f"{label}: placeholders {placeholders(entry.msgstr)} differ from {placeholders(entry.msgid)}")
    mo_path = path.with_suffix(".mo")
    if not mo_path.exists():
        errors.append(f"{where}: compiled .mo file is missing (run `make messages`)")
    else:
        compiled = {(e.msgctxt, e.msgid): (e.msgstr, dict(e.msgstr_plural)) for e in polib.mofile(str(mo_path))}
        source = {(e.msgctxt, e.msgid): (e.msgstr, dict(e.msgstr_plural)) for e in po.translated_entries()}
        if {k: v for k, v in compiled.items() if k[1]} != source:
            errors.append(f"{where}: the .mo file is out of date (run `make messages`)")
    return errors


def compile_catalogues() -> None:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="nonpro.settings.test")
    subprocess.run([sys.executable, "-m", "django", "compilemessages"], cwd=PACKAGE, env=env, check=True,
                   capture_output=True)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--update", action="store_true", help="regenerate the catalogues and compile them")
    args = parser.parse_args()
    if args.update:
        makemessages()
        compile_catalogues()
        errors = [error for language in PLURAL_FORMS for error in check_catalogue(language)]
        print("\n".join(errors) or "Catalogues complete.")
        print(f"Catalogues updated in {LOCALE.relative_to(ROOT)}; translate what is listed above.")
        return 0
    errors = check_makemessages_is_clean()
    for language in PLURAL_FORMS:
        errors += check_catalogue(language)
    if errors:
        print("Translation check failed:\n  " + "\n  ".join(errors), file=sys.stderr)
        return 1
    total = len(polib.pofile(str(po_path("fr"))))
    print(f"Translations complete: {total} strings in {len(PLURAL_FORMS)} languages besides English.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
