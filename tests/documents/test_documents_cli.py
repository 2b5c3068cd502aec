"""`manage.py render_document` run as a real process on the test database: output and exit codes."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from agreements.models import Agreement
from tests.support.documents import all_text, open_docx

ROOT = Path(__file__).resolve().parents[2]


def manage(*args):
    db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
    return subprocess.run([sys.executable, "manage.py", "render_document", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.django_db(transaction=True)
def test_render_document_command(nouvelle_aquitaine, tmp_path):
    ref = nouvelle_aquitaine.reference

    listed = manage("--list")
    assert listed.returncode == 0
    names = [line.split("\t")[0] for line in listed.stdout.splitlines()]
    assert names == ["intesa_bilingue", "memorandum", "notifica_governo", "informativa_assemblea",
                     "lettera_controparte", "proposta_rinnovo"]

    fields = manage("--fields")
    assert fields.returncode == 0 and "agreement.dgr_number\tnumero della DGR" in fields.stdout

    out = tmp_path / "intesa.docx"
    ok = manage(ref, "--template", "intesa_bilingue", "--out", str(out))
    assert ok.returncode == 0, ok.stderr
    assert "Alain Rousset" in all_text(open_docx(out.read_bytes()))

    unknown_template = manage(ref, "--template", "contratto", "--out", str(tmp_path / "x.docx"))
    assert unknown_template.returncode != 0
    assert "Modello sconosciuto: «contratto»" in unknown_template.stderr
    assert "intesa_bilingue" in unknown_template.stderr

    unknown_reference = manage("INT-1999-999", "--template", "memorandum", "--out", str(tmp_path / "x.docx"))
    assert unknown_reference.returncode != 0
    assert "Accordo non trovato: INT-1999-999" in unknown_reference.stderr

    Agreement.objects.filter(pk=nouvelle_aquitaine.pk).update(dgr_date=None)
    missing = manage(ref, "--template", "notifica_governo", "--out", str(tmp_path / "notifica.docx"))
    assert missing.returncode != 0
    assert "agreement.dgr_date (data della DGR)" in missing.stderr
    assert "Traceback" not in missing.stderr
    assert not (tmp_path / "notifica.docx").exists() and not list(tmp_path.glob("*.part"))

    usage = manage(ref)
    assert usage.returncode != 0 and "--template" in usage.stderr
