"""The world the authorization matrix runs in: one user per role, three agreements involving DG AGRI whose
procedures leave a task at every node of the flow, a document version, an outbox message, calendar and API keys.

Agreement A ran the whole procedure with both silences (consultation and the 30-day wait) and is in force;
B was rejected by the director; C waits for DG AGRI's opinion (an open task); D is in negotiation."""

import datetime

from django.contrib.auth.models import Group
from viewflow.workflow.status import STATUS

from agreements.accounts.services import api_token_issue
from agreements.common.roles import Role
from agreements.documents import services as documents
from agreements.models import AgreementKind, OutboxMessage, Profile, ReminderPolicy, Sector
from agreements.procedure.services import Decision
from agreements.records import services
from agreements.reminders import services as reminders
from tests.support.factories import CounterpartFactory, UserFactory
from tests.support.lifecycle import complete, open_steps, task_of
from workflows import services as wf
from workflows.flows import AgreementFlow
from workflows.models import AgreementProcess

ROLES = ["anonymous", "nogroup", "redattore", "referente_own", "referente_other", "dirigente", "segreteria_giunta",
         "osservatore", "amministratore"]
START = datetime.datetime(2026, 1, 12, 9, 0, tzinfo=datetime.UTC)


def days(n):
    return datetime.timedelta(days=n)


class World:
    def __init__(self, clock):
        self.dg_agri = Sector.objects.create(code="dg-agri", name="DG AGRI", is_dg=True)
        self.dg_crli = Sector.objects.create(code="dg-crli", name="DG CRLI", is_dg=True)
        self.users = {
            "anonymous": None,
            "nogroup": UserFactory(username="nessun-ruolo"),
            "redattore": UserFactory(username="redattore", roles=[Role.DRAFTER]),
            "referente_own": self._referent("referente-agri", self.dg_agri),
            "referente_other": self._referent("referente-crli", self.dg_crli),
            "dirigente": UserFactory(username="dirigente", roles=[Role.DIRECTOR]),
            "segreteria_giunta": UserFactory(username="segreteria", roles=[Role.SECRETARIAT]),
            "osservatore": UserFactory(username="osservatore", roles=[Role.OBSERVER]),
            # as setup_demo creates the administrator: the role, and staff for the admin site
            "amministratore": UserFactory(username="amministratore", roles=[Role.ADMIN], is_staff=True,
                                          is_superuser=True),
        }
        u = self.users
        self.a = self._in_force_with_silences(clock)
        self.b = self._rejected()
        self.c = self._waiting_for_dg_agri()
        self.d = self._propose("Memorandum con la Provincia di Québec", kind=AgreementKind.MEMORANDUM)
        self.e = self._signed_without_commitments()
        self.outbox = OutboxMessage.objects.filter(agreement=self.a).order_by("pk").first()
        self.policy = ReminderPolicy.current()
        self.calendar_key = reminders.calendar_token_issue(actor=u["redattore"]).key
        self.api_keys = {role: api_token_issue(user=user, actor=user).key for role, user in u.items()
                         if user is not None and role != "nogroup"}

    def _referent(self, username, dg):
        user = UserFactory(username=username, roles=[Role.DG_REFERENT])
        Profile.objects.update_or_create(user=user, defaults={"dg": dg})
        return user

    def _propose(self, title, kind=AgreementKind.INTESA, **extra):
        """A proposal carried through the steps before the text (qualification of a light kind as not binding,
        initial informativa to the Assembly, notice of negotiations for an accordo)."""
        agreement = wf.proposal_start(actor=self.users["redattore"], title=title, kind=kind,
                                      counterpart=CounterpartFactory(name=f"Controparte {title}"),
                                      dgs=[self.dg_agri], director=self.users["dirigente"], duration_months=36,
                                      **extra)
        today = agreement.created_at.date()
        secretariat = self.users["segreteria_giunta"]
        if open_steps(agreement) == ["qualify"]:
            complete(agreement, "qualify", self.users["dirigente"], creates_commitments="0", reason="Solo intenti.")
        if open_steps(agreement) == ["inform_assembly_start"]:
            complete(agreement, "inform_assembly_start", secretariat, date=today, protocol="AL/0")
        if open_steps(agreement) == ["notify_negotiations"]:
            complete(agreement, "notify_negotiations", secretariat, date=today, protocol="MAECI/0", criteria="")
        agreement.refresh_from_db()
        return agreement

    def _in_force_with_silences(self, clock):
        u = self.users
        agreement = self._propose("Intesa con la Région Sud")
        services.articles_replace(agreement=agreement, actor=u["redattore"], articles=[
            {"number": 1, "heading_it": "Oggetto", "text_it": "Le Parti cooperano.",
             "translations": {"fr": {"heading": "Objet", "text": "Les Parties coopèrent."}}}])
        self.version = documents.document_generate(agreement=agreement, template_name="intesa_bilingue",
                                                   actor=u["redattore"])
        complete(agreement, "negotiate", u["redattore"], confirm=True)
        clock.move_to(START + days(16))  # DG AGRI kept silent: silent assent at the deadline
        wf.timers_fire_due()
        today = (START + days(16)).date()
        complete(agreement, "approve", u["dirigente"], decision=Decision.APPROVE, remarks="")
        complete(agreement, "giunta", u["segreteria_giunta"], dgr_number="57/2026", dgr_date=today)
        complete(agreement, "notify_government", u["segreteria_giunta"], date=today, protocol="PG/1")
        complete(agreement, "transmit_assembly", u["segreteria_giunta"], date=today, protocol="AL/1")
        clock.move_to(START + days(48))  # thirty days of silence from the government
        wf.timers_fire_due()
        today = (START + days(48)).date()
        complete(agreement, "report_outcome", u["segreteria_giunta"], date=today, protocol="AL/2")
        complete(agreement, "assembly_observations", u["segreteria_giunta"], outcome="none")
        complete(agreement, "final_approval", u["segreteria_giunta"], dgr_number="58/2026", dgr_date=today)
        complete(agreement, "sign", u["redattore"], place="Marsiglia", date=today,
                 region_signatory_office="president", region_signatory_name="Michele de Pascale")
        complete(agreement, "ratify", u["segreteria_giunta"], transmission_date=today, information_attached=True,
                 form="resolution", act="DAL 3/2026", date=today)
        complete(agreement, "publish", u["segreteria_giunta"], burert_reference="BURERT n. 9", published_on=today,
                 with_ratification_act=True)
        agreement.refresh_from_db()
        return agreement

    def _rejected(self):
        agreement = self._propose("Protocollo con la Wielkopolska", kind=AgreementKind.PROTOCOLLO, binding=False)
        agreement.dgs.clear()
        complete(agreement, "negotiate", self.users["redattore"], confirm=True)
        complete(agreement, "approve", self.users["dirigente"], decision=Decision.REJECT, remarks="Fuori piano.")
        agreement.refresh_from_db()
        return agreement

    def _signed_without_commitments(self):
        """A lettera d'intenti on the light path: qualified as creating no commitment, in force when signed."""
        agreement = self._propose("Lettera d'intenti con Jalisco", kind=AgreementKind.LETTERA_INTENTI)
        agreement.dgs.clear()
        complete(agreement, "negotiate", self.users["redattore"], confirm=True)
        complete(agreement, "approve", self.users["dirigente"], decision=Decision.APPROVE, remarks="")
        complete(agreement, "sign", self.users["redattore"], place="Guadalajara", date=agreement.created_at.date())
        agreement.refresh_from_db()
        return agreement

    def _waiting_for_dg_agri(self):
        # An accordo, so that the world holds a task of every node (the notice of negotiations among them).
        agreement = self._propose("Intesa con il Land Baden-Württemberg", kind=AgreementKind.ACCORDO)
        complete(agreement, "negotiate", self.users["redattore"], confirm=True)
        self.open_task = task_of(agreement, "consult_dg")
        agreement.refresh_from_db()
        return agreement

    def task_of_node(self, node_name):
        """A task of the node: the open one of C if any, else A's, else B's, else E's."""
        for agreement in (self.c, self.a, self.b, self.e):
            process = AgreementProcess.objects.get(agreement=agreement)
            tasks = [t for t in process.task_set.order_by("-pk") if t.flow_task.name == node_name]
            open_tasks = [t for t in tasks if t.status in (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)]
            if open_tasks or tasks:
                return (open_tasks or tasks)[0]
        raise AssertionError(f"no task of node {node_name}")

    def group(self):
        return Group.objects.get(name=Role.DRAFTER)


__all__ = ["ROLES", "START", "World", "AgreementFlow"]
