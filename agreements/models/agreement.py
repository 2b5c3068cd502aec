"""An international agreement of the Region and the records that hang off it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .plan import Action, Sector


class AgreementKind(models.TextChoices):
    INTESA = "intesa", _("Intesa")
    ACCORDO = "accordo", _("Accordo con Stato estero")
    MEMORANDUM = "memorandum", _("Memorandum of Understanding")
    PROTOCOLLO = "protocollo", _("Protocollo d'intesa")
    LETTERA_INTENTI = "lettera_intenti", _("Lettera d'intenti")


REFERENCE_PREFIX = {
    AgreementKind.INTESA: "INT",
    AgreementKind.ACCORDO: "ACC",
    AgreementKind.MEMORANDUM: "MOU",
    AgreementKind.PROTOCOLLO: "PRO",
    AgreementKind.LETTERA_INTENTI: "LDI",
}


class Status(models.TextChoices):
    PROPOSAL = "proposal", _("Proposta")
    NEGOTIATION = "negotiation", _("Negoziazione testo")
    CONSULTATION = "consultation", _("Consultazione DG")
    APPROVAL = "approval", _("Approvazione dirigente")
    GIUNTA = "giunta", _("Delibera Giunta")
    NOTIFICATION = "notification", _("Notifica")
    OBSERVATIONS = "observations", _("Attesa osservazioni")
    FINAL_APPROVAL = "final_approval", _("Approvazione definitiva della Giunta")
    SIGNATURE = "signature", _("Firma")
    RATIFICATION = "ratification", _("Ratifica")
    PUBLICATION = "publication", _("Pubblicazione")
    IN_FORCE = "in_force", _("In vigore")
    RENEWED = "renewed", _("Rinnovata")
    EXPIRED = "expired", _("Scaduta")
    TERMINATED = "terminated", _("Recesso")
    REJECTED = "rejected", _("Respinta")
    WITHDRAWN = "withdrawn", _("Ritirata")
    ARCHIVED = "archived", _("Archiviata")


OPEN_STATUSES = [
    Status.PROPOSAL,
    Status.NEGOTIATION,
    Status.CONSULTATION,
    Status.APPROVAL,
    Status.GIUNTA,
    Status.NOTIFICATION,
    Status.OBSERVATIONS,
    Status.FINAL_APPROVAL,
    Status.SIGNATURE,
    Status.RATIFICATION,
    Status.PUBLICATION,
]


class RenewalClause(models.TextChoices):
    NONE = "none", _("Nessun rinnovo")
    EXPRESS = "express", _("Rinnovo espresso")
    TACIT = "tacit", _("Rinnovo tacito")


class CounterpartType(models.TextChoices):
    REGION = "region", _("Regione")
    FEDERATED_STATE = "federated_state", _("Stato federato")
    PROVINCE = "province", _("Provincia / prefettura")
    STATE = "state", _("Stato sovrano")
    CITY = "city", _("Città / ente locale")
    OTHER = "other", _("Altro ente")


class ObservationsOutcome(models.TextChoices):
    PENDING = "", _("In attesa")
    NULLA_OSTA = "nulla_osta", _("Nulla osta")
    OBSERVATIONS = "observations", _("Osservazioni ricevute")
    SILENCE = "silence", _("Decorsi 30 giorni senza osservazioni")


class AssemblyObservations(models.TextChoices):
    PENDING = "", _("In attesa")
    NONE = "none", _("Nessuna osservazione")
    REMARKS = "remarks", _("Osservazioni senza modifiche al testo")
    CHANGES = "changes", _("Osservazioni che chiedono modifiche al testo")


class SignatoryOffice(models.TextChoices):
    """Who may sign for the Region (L.R. 16/2008 art. 17 c. 3, Statuto art. 13 c. 2)."""

    NONE = "", _("Non indicato")
    PRESIDENT = "president", _("Presidente della Regione")
    ASSESSORE = "assessore", _("Assessore delegato dal Presidente")
    OTHER = "other", _("Altra persona")


class RatificationForm(models.TextChoices):
    NONE = "", _("Non indicata")
    RESOLUTION = "resolution", _("Deliberazione dell'Assemblea legislativa")
    LAW = "law", _("Legge regionale (l'intesa modifica leggi)")


class Counterpart(models.Model):
    name = models.CharField(_("denominazione"), max_length=200, unique=True)
    name_local = models.CharField(_("denominazione in lingua originale"), max_length=200, blank=True)
    country = models.CharField(_("Paese"), max_length=100)
    country_code = models.CharField(_("codice Paese (ISO 3166)"), max_length=2, blank=True)
    type = models.CharField(_("tipo"), max_length=20, choices=CounterpartType.choices)
    language = models.CharField(_("lingua (codice ISO 639-1)"), max_length=8, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("controparte")
        verbose_name_plural = _("controparti")

    def __str__(self):
        return f"{self.name} ({self.country})"


class ReferenceCounter(models.Model):
    """Last number used for each (prefix, year): reference codes are never reused, even after deletion."""

    prefix = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="one_counter_per_prefix_year")]

    def __str__(self):
        return f"{self.prefix}-{self.year}: {self.last}"


class Agreement(models.Model):
    reference = models.CharField(_("codice"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("titolo"), max_length=300)
    kind = models.CharField(_("tipo"), max_length=20, choices=AgreementKind.choices)
    binding = models.BooleanField(
        _("vincolante"), default=True, help_text=_("Per memorandum, protocolli e lettere d'intenti: testo vincolante")
    )
    status = models.CharField(_("stato"), max_length=20, choices=Status.choices, default=Status.PROPOSAL)
    counterpart = models.ForeignKey(
        Counterpart, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("controparte")
    )
    other_counterparts = models.ManyToManyField(
        Counterpart, blank=True, related_name="co_agreements", verbose_name=_("altre controparti")
    )
    subject_areas = models.JSONField(_("ambiti di cooperazione"), default=list, blank=True)
    languages = models.JSONField(_("lingue"), default=list, blank=True)
    authentic_languages = models.JSONField(_("versioni ugualmente autentiche"), default=list, blank=True)
    dgs = models.ManyToManyField(
        Sector, blank=True, related_name="agreements", verbose_name=_("DG coinvolte"),
        limit_choices_to={"is_dg": True},
    )
    plan_actions = models.ManyToManyField(
        Action, blank=True, related_name="agreements", verbose_name=_("azioni del piano")
    )
    estimated_cost = models.DecimalField(
        _("costo stimato (EUR)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    cost_notes = models.TextField(_("note sui costi"), blank=True)
    notes = models.TextField(_("note"), blank=True)

    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="drafted_agreements",
        verbose_name=_("redattore"), null=True, blank=True,
    )
    director = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="directed_agreements",
        verbose_name=_("dirigente responsabile"), null=True, blank=True,
    )
    consultation_days = models.PositiveSmallIntegerField(_("giorni per il parere DG"), default=15)
    consultation_round = models.PositiveSmallIntegerField(_("turno di consultazione"), default=0)
    consultation_started_on = models.DateField(_("consultazione avviata il"), null=True, blank=True)
    text_agreed_on = models.DateField(_("testo concordato il"), null=True, blank=True)
    approved_on = models.DateField(_("approvato il"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True,
        verbose_name=_("approvato da"),
    )

    # The procedure as the law writes it (agreements/procedure/rules.py). Char fields carry a database default
    # too, so rows written by code that predates them stay valid.
    qualified_on = models.DateField(_("qualificato il"), null=True, blank=True)
    qualification_reason = models.TextField(_("motivazione della qualificazione"), blank=True, db_default="")
    assembly_informed_on = models.DateField(_("informativa iniziale all'Assemblea"), null=True, blank=True)
    assembly_informed_protocol = models.CharField(_("protocollo informativa iniziale"), max_length=60, blank=True,
                                                  db_default="")
    negotiation_notice_date = models.DateField(_("comunicazione avvio negoziati"), null=True, blank=True)
    negotiation_notice_protocol = models.CharField(_("protocollo comunicazione avvio negoziati"), max_length=60,
                                                   blank=True, db_default="")
    negotiation_criteria = models.TextField(_("principi e criteri del Ministero degli Esteri"), blank=True,
                                            db_default="")

    dgr_number = models.CharField(_("numero DGR"), max_length=30, blank=True)
    dgr_date = models.DateField(_("data DGR"), null=True, blank=True)

    notice_government_date = models.DateField(_("data notifica al Governo"), null=True, blank=True)
    notice_government_protocol = models.CharField(_("protocollo notifica al Governo"), max_length=60, blank=True)
    notice_dar_received_on = models.DateField(_("ricevuta la notifica dal DAR il"), null=True, blank=True)
    notice_maeci_received_on = models.DateField(_("ricevuta la notifica dal MAECI il"), null=True, blank=True)
    observations_from = models.DateField(_("i 30 giorni decorrono dal"), null=True, blank=True)
    notice_assembly_date = models.DateField(_("data informativa all'Assemblea"), null=True, blank=True)
    notice_assembly_protocol = models.CharField(_("protocollo informativa all'Assemblea"), max_length=60, blank=True)
    observations_outcome = models.CharField(
        _("esito osservazioni"), max_length=20, choices=ObservationsOutcome.choices, default="", blank=True
    )
    observations_date = models.DateField(_("data osservazioni / nulla osta"), null=True, blank=True)
    observations_text = models.TextField(_("osservazioni del Governo"), blank=True)
    full_powers_date = models.DateField(_("data pieni poteri"), null=True, blank=True)
    full_powers_protocol = models.CharField(_("protocollo pieni poteri"), max_length=60, blank=True)
    outcome_report_date = models.DateField(_("esito comunicato all'Assemblea il"), null=True, blank=True)
    outcome_report_protocol = models.CharField(_("protocollo comunicazione dell'esito"), max_length=60, blank=True,
                                               db_default="")
    assembly_observations = models.CharField(_("osservazioni dell'Assemblea"), max_length=10, blank=True,
                                             choices=AssemblyObservations.choices, default="", db_default="")
    assembly_observations_date = models.DateField(_("data osservazioni dell'Assemblea"), null=True, blank=True)
    assembly_observations_act = models.CharField(_("atto delle osservazioni dell'Assemblea"), max_length=120,
                                                 blank=True, db_default="")
    assembly_observations_text = models.TextField(_("testo delle osservazioni dell'Assemblea"), blank=True,
                                                  db_default="")
    final_dgr_number = models.CharField(_("numero DGR di approvazione definitiva"), max_length=30, blank=True,
                                        db_default="")
    final_dgr_date = models.DateField(_("data DGR di approvazione definitiva"), null=True, blank=True)
    region_signatory_office = models.CharField(_("carica del firmatario regionale"), max_length=10, blank=True,
                                               choices=SignatoryOffice.choices, default="", db_default="")
    region_signatory_name = models.CharField(_("firmatario regionale"), max_length=200, blank=True, db_default="")
    delegation_act = models.CharField(_("atto di delega"), max_length=60, blank=True, db_default="")
    delegation_date = models.DateField(_("data della delega"), null=True, blank=True)

    signature_place = models.CharField(_("luogo di firma"), max_length=120, blank=True)
    signed_on = models.DateField(_("data di firma"), null=True, blank=True)

    assembly_transmission_date = models.DateField(_("trasmissione all'Assemblea"), null=True, blank=True)
    assembly_committee_opinion_date = models.DateField(_("parere della commissione"), null=True, blank=True)
    ratification_form = models.CharField(_("forma della ratifica"), max_length=10, blank=True,
                                         choices=RatificationForm.choices, default="", db_default="")
    ratification_act = models.CharField(_("atto di ratifica"), max_length=120, blank=True)
    ratification_date = models.DateField(_("data di ratifica"), null=True, blank=True)

    burert_reference = models.CharField(_("riferimento BURERT"), max_length=120, blank=True)
    published_on = models.DateField(_("data di pubblicazione"), null=True, blank=True)

    entry_into_force = models.DateField(_("entrata in vigore"), null=True, blank=True)
    duration_months = models.PositiveSmallIntegerField(_("durata (mesi)"), null=True, blank=True)
    end_date = models.DateField(_("scadenza"), null=True, blank=True)
    renewal_clause = models.CharField(
        _("clausola di rinnovo"), max_length=10, choices=RenewalClause.choices, default=RenewalClause.EXPRESS
    )
    renewal_notice_days = models.PositiveSmallIntegerField(_("preavviso di disdetta (giorni)"), null=True, blank=True)
    renews = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="renewals",
        verbose_name=_("rinnova l'accordo"),
    )
    tacit_extension_informed_on = models.DateField(_("proroga tacita comunicata all'Assemblea il"), null=True,
                                                   blank=True)
    no_renewal_decided_on = models.DateField(_("decisione di non rinnovare il"), null=True, blank=True)
    implementation_notes = models.TextField(_("note di attuazione"), blank=True)
    closed_reason = models.TextField(_("motivazione di chiusura"), blank=True)

    version = models.PositiveIntegerField(_("versione"), default=1)
    created_at = models.DateTimeField(_("creato il"), auto_now_add=True)
    updated_at = models.DateTimeField(_("aggiornato il"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("accordo")
        verbose_name_plural = _("accordi")
        indexes = [
            models.Index(fields=["status", "end_date"]),
            models.Index(fields=["end_date"]),
            # the register's default order (newest first): its first page without sorting the whole table
            models.Index(models.F("created_at").desc(), models.F("id").desc(), name="agreement_register_order"),
        ]
        permissions = [
            ("act_drafter", "Can hold drafting tasks"),
            ("act_director", "Can hold approval tasks"),
            ("act_secretariat", "Can hold Giunta secretariat tasks"),
            ("give_opinion", "Can give a DG opinion"),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def is_binding(self) -> bool:
        """Intese and accordi always bind; the lighter kinds only when marked binding."""
        return self.kind in (AgreementKind.INTESA, AgreementKind.ACCORDO) or self.binding

    @property
    def is_light_kind(self) -> bool:
        """Memoranda, protocolli and lettere d'intenti: whether they bind is decided by the qualification step."""
        return self.kind not in (AgreementKind.INTESA, AgreementKind.ACCORDO)

    @property
    def needs_full_powers(self) -> bool:
        return self.kind == AgreementKind.ACCORDO

    @property
    def text_languages(self) -> list[str]:
        """The languages of the text, Italian first: one column each in the editor, the pages and the document.
        With no other language chosen, the counterpart's (needs `counterpart` loaded)."""
        others = [code for code in self.languages or [] if code != "it"]
        if not others and self.counterpart_id and self.counterpart.language not in ("", "it"):
            others = [self.counterpart.language]
        return ["it", *dict.fromkeys(others)]


class Signatory(models.Model):
    class Side(models.TextChoices):
        REGION = "region", _("Regione")
        COUNTERPART = "counterpart", _("Controparte")

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="signatories")
    side = models.CharField(_("parte"), max_length=12, choices=Side.choices)
    name = models.CharField(_("nome"), max_length=200)
    role = models.CharField(_("carica"), max_length=200)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["agreement", "side", "order"]
        verbose_name = _("firmatario")
        verbose_name_plural = _("firmatari")

    def __str__(self):
        return f"{self.name}, {self.role}"


class Article(models.Model):
    """One article of the text: Italian in its own columns, every other language version in `translations`
    ({"fr": {"heading": "...", "text": "..."}}), so a text in any number of languages is read in one query."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="articles")
    number = models.PositiveSmallIntegerField(_("numero"))
    heading_it = models.CharField(_("rubrica (italiano)"), max_length=200)
    text_it = models.TextField(_("testo (italiano)"))
    translations = models.JSONField(_("versioni in altre lingue"), default=dict, blank=True)

    class Meta:
        ordering = ["agreement", "number"]
        constraints = [models.UniqueConstraint(fields=["agreement", "number"], name="one_article_number")]
        verbose_name = _("articolo")
        verbose_name_plural = _("articoli")

    def __str__(self):
        return f"Art. {self.number} {self.heading_it}"

    def heading(self, language: str) -> str:
        if language == "it":
            return self.heading_it
        return str((self.translations or {}).get(language, {}).get("heading", ""))

    def text(self, language: str) -> str:
        if language == "it":
            return self.text_it
        return str((self.translations or {}).get(language, {}).get("text", ""))

    def versions(self, languages) -> list[dict]:
        """The article in each of `languages` (Italian first), for the pages: code, heading, text."""
        codes = ["it", *[c for c in languages if c != "it"]]
        return [{"code": c, "heading": self.heading(c), "text": self.text(c)} for c in codes]


class OpinionKind(models.TextChoices):
    PENDING = "pending", _("In attesa")
    FAVOURABLE = "favourable", _("Favorevole")
    FAVOURABLE_REMARKS = "favourable_remarks", _("Favorevole con osservazioni")
    UNFAVOURABLE = "unfavourable", _("Contrario")
    SILENT_ASSENT = "silent_assent", _("Silenzio-assenso")


class Opinion(models.Model):
    """A DG's opinion in one consultation round."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="opinions")
    dg = models.ForeignKey(Sector, on_delete=models.PROTECT, related_name="opinions", verbose_name=_("DG"))
    round = models.PositiveSmallIntegerField(_("turno"), default=1)
    kind = models.CharField(_("parere"), max_length=20, choices=OpinionKind.choices, default=OpinionKind.PENDING)
    notes = models.TextField(_("note"), blank=True)
    due_date = models.DateField(_("scadenza"))
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    given_at = models.DateTimeField(_("espresso il"), null=True, blank=True)

    class Meta:
        ordering = ["agreement", "round", "dg__name"]
        constraints = [models.UniqueConstraint(fields=["agreement", "dg", "round"], name="one_opinion_per_round")]
        verbose_name = _("parere DG")
        verbose_name_plural = _("pareri DG")

    def __str__(self):
        return f"{self.dg}: {self.get_kind_display()}"
