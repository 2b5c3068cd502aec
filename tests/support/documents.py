"""Data and helpers for the document tests: the seed's Nouvelle-Aquitaine Intesa, an agreement full of hostile
text, reading .docx files back with python-docx and with LibreOffice."""

import datetime
import io
import subprocess
import tempfile
from pathlib import Path

import docx
import pytest
import yaml

from agreements import models as m
from agreements.plan.services import DEFAULT_PLAN_PATH
from tests.support.factories import AgreementFactory, CounterpartFactory, SectorFactory

ZWSP = "\u200b"


def seed_nouvelle_aquitaine() -> tuple[dict, str]:
    """The seed's entry (agreements/data/plan_2022_2023.yaml) and the title of the plan action it serves."""
    data = yaml.safe_load(DEFAULT_PLAN_PATH.read_text("utf-8"))
    entry = next(a for a in data["agreements"] if a["counterpart"]["name"] == "Nouvelle-Aquitaine")
    action = next(a for a in data["actions"] if a["number"] == entry["plan_action"])
    return entry, action["title"]


# The seed: the renewed Intesa with Nouvelle-Aquitaine, April 2022 - April 2025 (plan action 1). The article
# texts, the signatories, the DGR and the notice protocols are test data written for these tests.
NOUVELLE_AQUITAINE_AREAS = seed_nouvelle_aquitaine()[0]["subject_areas"]
NOUVELLE_AQUITAINE_ARTICLES = [
    (0, "Premesse", "La Regione Emilia-Romagna e la Région Nouvelle-Aquitaine, considerata l'Intesa del 2017 e i "
                    "risultati della cooperazione, convengono quanto segue.",
     "Préambule", "La Région Émilie-Romagne et la Région Nouvelle-Aquitaine, considérant l'Entente de 2017 et les "
                  "résultats de la coopération, conviennent de ce qui suit."),
    (1, "Oggetto", "La presente Intesa rinnova la cooperazione tra le Parti.",
     "Objet", "La présente Entente renouvelle la coopération entre les Parties."),
    (2, "Ambiti di cooperazione", "Educazione e gioventù; istruzione superiore e ricerca; economia innovativa; "
                                  "agricoltura e agroalimentare; cultura e cittadinanza; sanità; energia.",
     "Domaines de coopération", "Éducation et jeunesse ; enseignement supérieur et recherche ; économie "
                                "innovante ; agriculture et agroalimentaire ; culture et citoyenneté ; santé ; "
                                "énergie."),
    (3, "Attuazione e Comitato congiunto", "Un Comitato congiunto si riunisce almeno una volta l'anno.",
     "Mise en œuvre et Comité conjoint", "Un Comité conjoint se réunit au moins une fois par an."),
    (4, "Costi", "Ciascuna Parte sostiene i propri costi.",
     "Coûts", "Chaque Partie prend en charge ses propres coûts."),
    (5, "Durata e rinnovo", "La presente Intesa ha durata di tre anni e può essere rinnovata per iscritto.",
     "Durée et renouvellement", "La présente Entente est conclue pour trois ans et peut être renouvelée par écrit."),
    (6, "Disposizioni finali", "La presente Intesa è redatta in italiano e in francese, entrambi i testi facenti "
                               "ugualmente fede.",
     "Dispositions finales", "La présente Entente est rédigée en italien et en français, les deux textes faisant "
                             "également foi."),
]

HOSTILE = '<script>alert("x")</script> & Co. \'quoted\' «ü» 🙂 中文 日本語 العربية Кириллица {{ 7*7 }} {% if x %} }}'


def docx_bytes(*paragraphs: str) -> bytes:
    """A real .docx (python-docx) with one paragraph per argument."""
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_articles(agreement, rows):
    """Rows of (number, Italian heading, Italian text, heading, text in the agreement's other language)."""
    languages = agreement.text_languages
    for number, heading_it, text_it, heading_other, text_other in rows:
        translations = {languages[1]: {"heading": heading_other, "text": text_other}} if len(languages) > 1 else {}
        m.Article.objects.create(agreement=agreement, number=number, heading_it=heading_it, text_it=text_it,
                                 translations=translations)


def make_signatories(agreement, region, counterpart):
    for i, (name, role) in enumerate(region):
        m.Signatory.objects.create(agreement=agreement, side="region", name=name, role=role, order=i)
    for i, (name, role) in enumerate(counterpart):
        m.Signatory.objects.create(agreement=agreement, side="counterpart", name=name, role=role, order=i)


def nouvelle_aquitaine_agreement(drafter, director=None):
    seed, title = seed_nouvelle_aquitaine()
    cp = seed["counterpart"]
    counterpart = CounterpartFactory(name=cp["name"], name_local=cp["name_local"], country=cp["country"],
                                     country_code=cp["country_code"], type=cp["type"], language=cp["language"])
    dgs = [SectorFactory(code=code) for code in seed["sectors"]]
    agreement = AgreementFactory(
        reference="INT-2022-001", title=title, kind=seed["kind"], counterpart=counterpart,
        subject_areas=seed["subject_areas"], languages=["it", cp["language"]],
        authentic_languages=["it", cp["language"]], duration_months=seed["duration_months"], dgs=dgs,
        drafted_by=drafter, director=director, status=m.Status.IN_FORCE,
        dgr_number="401/2022", dgr_date=datetime.date(2022, 3, 21),
        notice_government_date=datetime.date(2022, 3, 23), notice_government_protocol="PG/2022/0281234",
        notice_assembly_date=datetime.date(2022, 3, 24), notice_assembly_protocol="AL/2022/0005678",
        signature_place="Bordeaux", signed_on=datetime.date(2022, 4, 20),
        entry_into_force=datetime.date(2022, 4, 27), end_date=datetime.date(2025, 4, 27),
    )
    make_articles(agreement, NOUVELLE_AQUITAINE_ARTICLES)
    make_signatories(agreement, [("Stefano Bonaccini", "Presidente della Regione Emilia-Romagna")],
                     [("Alain Rousset", "Président du Conseil régional de Nouvelle-Aquitaine")])
    return agreement


def hostile_agreement(drafter):
    counterpart = CounterpartFactory(name=f"Società {HOSTILE}", name_local="東京都 “Tōkyō-to” <b>&amp;</b>",
                                     country="Giappone 日本", country_code="JP", type="province", language="ja")
    agreement = AgreementFactory(
        reference="INT-2026-666", title=f"Intesa {HOSTILE}", counterpart=counterpart,
        subject_areas=[HOSTILE, "ricerca & <sviluppo>"], languages=["it", "ja"], authentic_languages=["it", "ja"],
        duration_months=24, drafted_by=drafter, status=m.Status.IN_FORCE, dgr_number="7/2026",
        dgr_date=datetime.date(2026, 1, 12), notice_government_date=datetime.date(2026, 1, 14),
        signature_place='Ōsaka "<&>"', signed_on=datetime.date(2026, 2, 2),
        entry_into_force=datetime.date(2026, 2, 10), end_date=datetime.date(2028, 2, 10),
        estimated_cost="12500.50",
    )
    make_articles(agreement, [
        (1, f"Oggetto {HOSTILE}", f"Testo & <tag> \"virgolette\"\nseconda riga {HOSTILE}",
         "目的 «quoted»", "本協定は協力を定める。 中文文本 & <x/> 🙂"),
        (2, "Durata", "Due anni.", "期間", "二年間。 ]]> <![CDATA[ x"),
    ])
    make_signatories(agreement, [(f"Mario <Rossi> & {HOSTILE}", "Presidente")],
                     [("小池 百合子", "東京都知事 & <知事>")])
    return agreement


@pytest.fixture
def nouvelle_aquitaine(drafter, director):
    return nouvelle_aquitaine_agreement(drafter, director)


@pytest.fixture
def hostile(drafter):
    return hostile_agreement(drafter)


@pytest.fixture
def media_root(settings, tmp_path):
    """A private MEDIA_ROOT, so "nothing stored" can be checked by listing it."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def open_docx(data: bytes) -> docx.Document:
    return docx.Document(io.BytesIO(data))


def plain(text: str) -> str:
    """Text as the reader sees it (the zero-width spaces that defuse braces removed)."""
    return text.replace(ZWSP, "")


def all_text(document: docx.Document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    for section in document.sections:
        parts += [p.text for p in section.header.paragraphs] + [p.text for p in section.footer.paragraphs]
    return plain("\n".join(parts))


def libreoffice_texts(files: dict[str, bytes]) -> dict[str, str]:
    """Read .docx files back with LibreOffice (one headless run, its own profile): name -> plain text."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = []
        for name, data in files.items():
            path = folder / f"{name}.docx"
            path.write_bytes(data)
            paths.append(str(path))
        result = subprocess.run(
            ["soffice", f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless", "--norestore",
             "--convert-to", "txt:Text (encoded):UTF8", "--outdir", str(folder / "out"), *paths],
            capture_output=True, timeout=300,
        )
        assert result.returncode == 0, result.stderr
        return {name: plain((folder / "out" / f"{name}.txt").read_text("utf-8-sig")) for name in files}
