"""Signed originals made by the tests themselves: a throwaway CA and signer (cryptography), a small real PDF, a PAdES
signature on it (pyHanko) and a CAdES .p7m envelope (pyHanko's CMS signer on asn1crypto)."""

import asyncio
import datetime
import io
from dataclasses import dataclass

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass
class Signer:
    name: str
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    ca_cert: x509.Certificate

    def ca_pem(self) -> bytes:
        return self.ca_cert.public_bytes(serialization.Encoding.PEM)


def _name(cn: str, org: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "IT"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def throwaway_signer(name: str = "Michele de Pascale", ca_name: str = "CA di prova Intese") -> Signer:
    """A fresh CA (valid from yesterday for a year) and a signing certificate it issued to `name`."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_subject = _name(ca_name, "Test Trust Service")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_subject).issuer_name(ca_subject)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(name, "Regione Emilia-Romagna")).issuer_name(ca_subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=180))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return Signer(name=name, cert=cert, key=key, ca_cert=ca_cert)


def _pyhanko_signer(signer: Signer):
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    def asn1(cert):
        return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))

    key_der = signer.key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())
    return signers.SimpleSigner(
        signing_cert=asn1(signer.cert), signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs([asn1(signer.ca_cert)]),
    )


def _pdf_string(text: str) -> bytes:
    raw = text.encode("latin-1", "replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def pdf_bytes(*lines: str, javascript: bool = False, embedded_file: bool = False, escaped_js: bool = False) -> bytes:
    """A small real PDF (one page, Helvetica) with one text line per argument; optionally with an OpenAction
    JavaScript, an embedded file, or JavaScript spelt with a #xx name escape."""
    stream = b"BT /F1 12 Tf 72 760 Td 14 TL " + b" ".join(_pdf_string(line) + b" '" for line in lines) + b" ET"
    catalog = b"<< /Type /Catalog /Pages 2 0 R"
    extra_objects: list[bytes] = []
    if javascript or escaped_js:
        name = b"/J#61vaScript" if escaped_js else b"/JavaScript"
        catalog += b" /OpenAction 6 0 R"
        extra_objects.append(b"<< /Type /Action /S " + name + b" /JS (app.alert\\('x'\\);) >>")
    if embedded_file:
        catalog += b" /Names << /EmbeddedFiles << /Names [(a.txt) 6 0 R] >> >>"
        extra_objects.append(b"<< /Type /Filespec /F (a.txt) /EF << /F 7 0 R >> >>")
        extra_objects.append(b"<< /Type /EmbeddedFile /Length 5 >>\nstream\nhello\nendstream")
    catalog += b" >>"
    objects = [
        catalog,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        *extra_objects,
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def sign_pdf(data: bytes, signer: Signer, field: str = "FirmaRegione") -> bytes:
    """A PAdES signature (pyHanko) over the whole PDF, in a new signature field."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    meta = signers.PdfSignatureMetadata(field_name=field, subfilter=fields.SigSeedSubFilter.PADES)
    return signers.sign_pdf(writer, meta, signer=_pyhanko_signer(signer)).getvalue()


def sign_p7m(content: bytes, signer: Signer) -> bytes:
    """A CAdES envelope (.p7m, DER) with `content` inside, signed by `signer`."""
    cms_signer = _pyhanko_signer(signer)
    info = asyncio.run(cms_signer.async_sign_general_data(content, "sha256", detached=False, use_cades=True))
    return info.dump()


def tamper(data: bytes, old: bytes, new: bytes) -> bytes:
    """The same file with the first `old` replaced by `new` (same length, so offsets stay right)."""
    assert len(old) == len(new) and old in data
    return data.replace(old, new, 1)


def change_after_signing(signed: bytes) -> bytes:
    """The signed PDF with an incremental update that replaces the page's text: the signed bytes stay intact, the
    document shown is not the one signed."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Contents"] = writer.add_object(
        generic.StreamObject(stream_data=b"BT /F1 12 Tf 72 700 Td (Testo sostituito dopo la firma) Tj ET"))
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
