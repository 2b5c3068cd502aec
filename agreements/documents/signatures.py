"""Signed originals: verification of PAdES (signed PDF) and CAdES (.p7m) signatures.

The signatures are checked with pyHanko (PDF) and with pyHanko's CMS validation on asn1crypto (CAdES): for every
signature the signer's name from the certificate, the signing time it declares, whether the signed content is intact
(the digest in the signature matches the content) and whether the certificate chain reaches one of the trust roots in
the folder named by INTESE_TRUST_ROOTS_DIR. With no trust roots configured the chain is "not checked against a
trusted list" and never called valid. A signature whose content does not match is a refusal (SignatureError).

The result is a plain dict stored with the document version (DocumentVersion.signature) and shown on the page.
"""

import asyncio
import base64
import binascii
import datetime
import io
import logging
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import cms, pem, x509
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.common.errors import ServiceError

logger = logging.getLogger(__name__)

PADES = "pades"
CADES = "cades"

# What the page says of the chain, per state stored in the result.
CHAIN_UNCHECKED = "unchecked"
CHAIN_VALID = "valid"
CHAIN_INVALID = "invalid"
CHAIN_LABELS = {
    CHAIN_UNCHECKED: gettext_lazy("non verificato rispetto a un elenco di fiducia"),
    CHAIN_VALID: gettext_lazy("catena di certificazione valida (elenco di fiducia configurato)"),
    CHAIN_INVALID: gettext_lazy("catena di certificazione NON valida rispetto all'elenco di fiducia"),
}

MAX_TRUST_ROOTS = 500
# pyHanko and its validator are imported where used: they are heavy, and only an upload of a signed file needs them.


class SignatureError(ServiceError):
    """The signed original is refused: no signature, unreadable, or content that does not match its signature."""


@dataclass(frozen=True)
class CmsContent:
    """A CAdES envelope: its SignedData and the document it encapsulates."""

    signed_data: cms.SignedData
    content: bytes


# --- Trust roots ------------------------------------------------------------------------------------------------


def trust_roots_dir() -> Path | None:
    folder = settings.INTESE.get("TRUST_ROOTS_DIR") or ""
    return Path(folder) if folder else None


def load_trust_roots() -> list[x509.Certificate]:
    """The CA certificates (PEM or DER, one or more per file) in the configured folder; [] when none is set."""
    folder = trust_roots_dir()
    if folder is None:
        return []
    roots: list[x509.Certificate] = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if not path.is_file() or len(roots) >= MAX_TRUST_ROOTS:
            continue
        data = path.read_bytes()
        try:
            if pem.detect(data):
                roots.extend(x509.Certificate.load(der) for _t, _h, der in pem.unarmor(data, multiple=True))
            else:
                roots.append(x509.Certificate.load(data, strict=True))
        except (ValueError, TypeError):
            logger.warning("Trust roots: %s is not a certificate, ignored", path)
    return roots


def _validation_context(roots):
    from pyhanko_certvalidator import ValidationContext

    # No fetching (no network from the server), revocation best effort: the throwaway and offline cases still
    # validate the path; an administration's CA publishing CRLs is checked only if they are embedded.
    return ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")


# --- Results ----------------------------------------------------------------------------------------------------


def _common_name(cert: x509.Certificate | None) -> str:
    if cert is None:
        return ""
    subject = cert.subject.native
    name = subject.get("common_name") or " ".join(
        str(subject[k]) for k in ("given_name", "surname") if subject.get(k)
    )
    return str(name or cert.subject.human_friendly)


def _issuer_name(cert: x509.Certificate | None) -> str:
    if cert is None:
        return ""
    issuer = cert.issuer.native
    return str(issuer.get("organization_name") or issuer.get("common_name") or cert.issuer.human_friendly)


def _signer_entry(status, roots_configured: bool, when=None) -> dict:
    cert = status.signing_cert
    when = when or getattr(status, "signer_reported_dt", None)
    if not roots_configured:
        chain = CHAIN_UNCHECKED
    else:
        chain = CHAIN_VALID if status.trusted else CHAIN_INVALID
    return {
        "signer": _common_name(cert),
        "issuer": _issuer_name(cert),
        "serial": format(cert.serial_number, "x") if cert is not None else "",
        "signing_time": when.astimezone(datetime.UTC).isoformat() if when else None,
        "intact": bool(status.intact),
        "valid": bool(status.intact and status.valid),
        "chain": chain,
    }


def _result(fmt: str, signers: list[dict], roots_configured: bool, **extra) -> dict:
    return {
        "format": fmt,
        "signers": signers,
        "trust_roots": roots_configured,
        "checked_at": timezone.now().isoformat(),
        **extra,
    }


# --- PAdES ------------------------------------------------------------------------------------------------------


def pdf_is_signed(data: bytes) -> bool:
    """Whether a PDF carries a signature field with a signature (then verify_pdf must accept it)."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        return bool(PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures)
    except (PdfError, ValueError, KeyError, TypeError):
        raise SignatureError(_("Il PDF firmato non può essere letto (struttura delle firme danneggiata).")) from None


def verify_pdf(data: bytes) -> dict:
    """Verify every signature of a PDF. Refused: no signature, or any signature whose content was altered."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError

    roots = load_trust_roots()
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except (PdfError, ValueError, KeyError, TypeError):
        raise SignatureError(_("Il PDF firmato non può essere letto (struttura delle firme danneggiata).")) from None
    if not embedded:
        raise SignatureError(
            _("Il PDF non contiene firme digitali: caricare l'originale firmato (PAdES) o il file .p7m.")
        )
    signers = []
    for sig in embedded:
        try:
            status = validate_pdf_signature(sig, _validation_context(roots))
        except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError) as exc:
            logger.info("PDF signature refused: %s", exc)
            raise SignatureError(
                _("La firma «%(field)s» non può essere verificata: il file è danneggiato o alterato.")
                % {"field": sig.field_name}
            ) from None
        if not (status.intact and status.valid):
            raise SignatureError(
                _("Il contenuto del PDF non corrisponde alla firma di %(who)s: il file è stato alterato dopo la "
                  "firma.") % {"who": _common_name(status.signing_cert) or sig.field_name}
            )
        if status.docmdp_ok is False or _unsafe_changes(status):
            raise SignatureError(
                _("Il PDF è stato modificato dopo la firma di %(who)s con cambiamenti non ammessi.")
                % {"who": _common_name(status.signing_cert) or sig.field_name}
            )
        entry = _signer_entry(status, bool(roots))
        entry["field"] = sig.field_name
        entry["covers_whole_file"] = status.coverage.name == "ENTIRE_FILE"
        signers.append(entry)
    return _result(PADES, signers, bool(roots))


def _unsafe_changes(status) -> bool:
    from pyhanko.sign.diff_analysis import ModificationLevel

    level = getattr(status, "modification_level", None)
    return level is not None and level == ModificationLevel.OTHER


# --- CAdES ------------------------------------------------------------------------------------------------------


def _der(data: bytes) -> bytes:
    """A .p7m is DER, or the same in Base64 (with or without PEM armour), as some signing tools save it."""
    if data[:1] == b"\x30":
        return data
    if pem.detect(data):
        try:
            return pem.unarmor(data)[2]
        except ValueError:
            raise SignatureError(_("Il file .p7m non è leggibile (PEM non valido).")) from None
    try:
        return base64.b64decode(b"".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(_("Il file non è una busta firmata .p7m (CAdES) riconoscibile.")) from None


def open_p7m(data: bytes) -> CmsContent:
    """The SignedData of a .p7m and the document inside it; refused unless it is an attached CAdES envelope."""
    der = _der(data)
    try:
        info = cms.ContentInfo.load(der, strict=True)
        if info["content_type"].native != "signed_data":
            raise SignatureError(_("Il file .p7m non contiene una firma (SignedData)."))
        signed = info["content"]
        content = signed["encap_content_info"]["content"]
        signer_infos = list(signed["signer_infos"])
        inner = None if content.native is None else bytes(content)
    except SignatureError:
        raise
    except (ValueError, TypeError, KeyError):
        raise SignatureError(_("Il file non è una busta firmata .p7m (CAdES) riconoscibile.")) from None
    if not signer_infos:
        raise SignatureError(_("Il file .p7m non contiene firme."))
    if not inner:
        raise SignatureError(
            _("Il file .p7m non contiene il documento firmato (firma separata): caricare la busta con il documento.")
        )
    return CmsContent(signed_data=signed, content=inner)


def verify_p7m(envelope: CmsContent) -> dict:
    """Verify every signer of a CAdES envelope (each one over the encapsulated document)."""
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.generic_cms import async_validate_cms_signature, extract_self_reported_ts

    roots = load_trust_roots()
    signers = []
    for signer_info in envelope.signed_data["signer_infos"]:
        # pyHanko validates one signer per SignedData: each signer is checked in a copy holding it alone.
        single = envelope.signed_data.copy()
        single["signer_infos"] = cms.SignerInfos([cms.SignerInfo.load(signer_info.dump())])
        try:
            status = asyncio.run(
                async_validate_cms_signature(single, validation_context=_validation_context(roots))
            )
        except (SignatureValidationError, ValueError, KeyError, TypeError) as exc:
            logger.info("CMS signature refused: %s", exc)
            raise SignatureError(
                _("La firma del file .p7m non può essere verificata: il file è danneggiato o alterato.")
            ) from None
        if not (status.intact and status.valid):
            raise SignatureError(
                _("Il documento contenuto nel .p7m non corrisponde alla firma di %(who)s: il file è stato alterato "
                  "dopo la firma.") % {"who": _common_name(status.signing_cert) or "?"}
            )
        signers.append(_signer_entry(status, bool(roots), when=extract_self_reported_ts(signer_info)))
    return _result(CADES, signers, bool(roots))


# --- For the page -----------------------------------------------------------------------------------------------


def describe(result: dict) -> list[dict]:
    """The stored result as lines for the page: who signed, when, integrity and what is known of the chain."""
    lines = []
    for s in (result or {}).get("signers", []):
        when = s.get("signing_time")
        lines.append({
            "signer": s.get("signer") or _("(nome non indicato nel certificato)"),
            "issuer": s.get("issuer", ""),
            "signing_time": _parse_time(when),
            "intact": s.get("intact", False),
            "chain": s.get("chain", CHAIN_UNCHECKED),
            "chain_label": CHAIN_LABELS.get(s.get("chain"), CHAIN_LABELS[CHAIN_UNCHECKED]),
        })
    return lines


def _parse_time(value):
    if not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
