"""PDF conversion with LibreOffice headless.

Each conversion runs in its own temporary folder with its own LibreOffice profile (-env:UserInstallation): two
conversions at once never share a profile lock, and a crashed run leaves nothing behind. A conversion that takes
longer than settings.INTESE['PDF_TIMEOUT'] seconds is killed with its whole process group.
"""

import os
import signal
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from agreements.common.errors import ServiceError


class PdfConversionError(ServiceError):
    pass


def soffice_convert(data: bytes, *, suffix: str = ".docx", to: str = "pdf", timeout: float | None = None) -> bytes:
    """Convert one document with LibreOffice and return the converted bytes (`to` is a --convert-to filter)."""
    timeout = settings.INTESE["PDF_TIMEOUT"] if timeout is None else timeout
    with tempfile.TemporaryDirectory(prefix="intese-soffice-") as tmp:
        folder = Path(tmp)
        source = folder / f"documento{suffix}"
        source.write_bytes(data)
        outdir = folder / "out"
        command = [
            settings.INTESE["LIBREOFFICE"],
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless", "--norestore", "--nolockcheck", "--nodefault", "--nologo",
            "--convert-to", to, "--outdir", str(outdir), str(source),
        ]
        try:
            process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                env={**os.environ, "HOME": str(folder)},
            )
        except OSError as exc:
            raise PdfConversionError(
                _("LibreOffice non è disponibile (%(cmd)s): %(error)s")
                % {"cmd": settings.INTESE["LIBREOFFICE"], "error": exc.strerror or exc}
            ) from None
        try:
            _out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            raise PdfConversionError(
                _("La conversione con LibreOffice ha superato il tempo massimo di %(s)s secondi ed è stata interrotta.")
                % {"s": timeout}
            ) from None
        finally:
            if process.poll() is None:
                _kill_group(process)
        produced = list(outdir.glob("*")) if outdir.exists() else []
        if process.returncode != 0 or len(produced) != 1:
            detail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            raise PdfConversionError(
                _("LibreOffice non è riuscito a convertire il documento (codice %(code)s). %(detail)s")
                % {"code": process.returncode, "detail": detail[0]}
            )
        return produced[0].read_bytes()


def docx_to_pdf(data: bytes, *, timeout: float | None = None) -> bytes:
    pdf = soffice_convert(data, suffix=".docx", to="pdf", timeout=timeout)
    if not pdf.startswith(b"%PDF-"):
        raise PdfConversionError(_("LibreOffice non ha prodotto un PDF valido."))
    return pdf


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
    for pipe in (process.stdout, process.stderr):  # a killed conversion leaves its pipes open otherwise
        if pipe is not None:
            pipe.close()
