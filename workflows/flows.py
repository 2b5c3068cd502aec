"""The lifecycle of an international agreement, read top to bottom (README, "The agreement lifecycle").

Each node is a step of the procedure. Human steps (`Step`) show a form and call one service through
workflows.completion.task_complete; gateways only route on the agreement's state; timers are database timers
fired by the beat task `fire_workflow_timers`. No business logic lives here beyond routing conditions.
"""

import datetime
import inspect

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from agreements.common import dates
from agreements.common.roles import Role, sees_everything
from agreements.models import Opinion, Status
from agreements.models.agreement import ObservationsOutcome
from agreements.procedure import services

from . import assignments, forms
from .models import AgreementProcess
from .nodes import Join, SplitEach, Step


def in_node_savepoint(service):
    """`service` without its own savepoint, for the flow's functions: Viewflow already runs a Function node's
    callback in a savepoint of its own (FunctionActivation.activate: its exception guard and
    transaction.atomic(savepoint=True)), which a refused service rolls back whole; the service's @transaction.atomic
    would only nest a second one in it (a SAVEPOINT and a RELEASE more per call, nothing more rolled back)."""
    return inspect.unwrap(service)


class AgreementFlow(flow.Flow):
    process_class = AgreementProcess
    # A row lock on the process (SELECT ... FOR UPDATE) serialises every change to one agreement's run, so
    # parallel branches reaching a Join never stall. It waits instead of failing fast: of many concurrent
    # attempts on the same task, one wins and the others find it done and are told so.
    lock_impl = lock.SelectForUpdateLock(nowait=False, attempts=1)
    process_title = _("Accordo internazionale")
    process_description = _("Dalla proposta all'entrata in vigore e al rinnovo")
    process_summary_template = "{{ process.agreement.reference }} {{ process.agreement.title }}"

    # Each human step names the row of the rule table it applies (agreements/common/rules.py, `rule=`): the
    # task page and the agreement's timeline show it.

    # 1. Proposta: started by agreements services (workflows.services.proposal_start).
    start = flow.StartHandle(this.start_process).Next(this.needs_qualification)
    needs_qualification = flow.If(this.is_light_kind).Then(this.qualify).Else(this.inform_assembly_start)

    # 1a. Qualificazione (L. 131/2003 art. 6 c. 2): whatever its title, a text that commits the Region goes through
    #     the full procedure; one that does not takes the light path (no Giunta, notices, ratification, BURERT).
    qualify = (
        Step(forms.QualificationForm, service=services.qualification_record, roles=(Role.DIRECTOR,), rule="qualify")
        .Annotation(title=_("Qualificazione dell'atto"))
        .Assign(this.director_of)
        .Permission("agreements.act_director")
        .Next(this.after_qualification)
    )
    after_qualification = flow.If(this.is_binding).Then(this.inform_assembly_start).Else(this.negotiate)

    # 1b. Informativa iniziale all'Assemblea (Statuto art. 13 c. 2), from the activation of the procedure.
    inform_assembly_start = (
        Step(forms.NoticeForm, service=services.assembly_inform_start, roles=(Role.SECRETARIAT,),
             rule="inform_assembly_start")
        .Annotation(title=_("Informativa iniziale all'Assemblea legislativa"))
        .Permission("agreements.act_secretariat")
        .Next(this.needs_negotiation_notice)
    )
    needs_negotiation_notice = flow.If(this.is_accordo).Then(this.notify_negotiations).Else(this.negotiate)

    # 1c. Accordo with a State (L. 131/2003 art. 6 c. 3): the Foreign Ministry and the DAR told of the negotiations.
    notify_negotiations = (
        Step(forms.NegotiationNoticeForm, service=services.negotiation_notice_record, roles=(Role.SECRETARIAT,),
             rule="notify_negotiations")
        .Annotation(title=_("Comunicazione dell'avvio dei negoziati"))
        .Permission("agreements.act_secretariat")
        .Next(this.negotiate)
    )

    # 2. Negoziazione testo: versions are uploaded on the agreement page; the drafter marks the text agreed.
    negotiate = (
        Step(forms.NegotiationForm, service=services.text_mark_agreed, roles=(Role.DRAFTER,), rule="negotiate")
        .Annotation(title=_("Negoziazione testo"), description=_("Concordare il testo con la controparte"))
        .Assign(this.drafter_of)
        .Next(this.needs_consultation)
    )
    needs_consultation = flow.If(this.has_dgs).Then(this.consult).Else(this.approve)

    # 3. Consultazione DG: one task per DG, in parallel with the deadline timer.
    consult = SplitEach().Next(this.consult_dg, data_source=this.dg_tasks).Always(this.consultation_deadline)
    consult_dg = (
        Step(forms.OpinionForm, service=services.opinion_give, roles=(Role.DG_REFERENT,), per_dg=True,
             rule="consult_dg")
        .Annotation(title=_("Parere DG"), description=_("Parere della Direzione Generale sul testo"))
        .Assign(this.dg_referent)
        .Permission("agreements.give_opinion")
        .Next(this.consultation_join)
    )
    consultation_deadline = flow.Timer(this.consultation_due).Next(this.silent_assent)
    silent_assent = flow.Function(this.record_silent_assent).Next(this.consultation_join)
    consultation_join = Join(continue_on_condition=this.consultation_settled).Next(this.close_consultation)
    close_consultation = flow.Function(this.consultation_close).Next(this.after_consultation)
    after_consultation = flow.If(this.text_sent_back).Then(this.negotiate).Else(this.approve)

    # 4. Approvazione dirigente: approve, send back with remarks, or reject (four-eyes).
    approve = (
        Step(forms.DecisionForm, service=services.agreement_decide, roles=(Role.DIRECTOR,), rule="approve")
        .Annotation(title=_("Approvazione dirigente"))
        .Assign(this.director_of)
        .Permission("agreements.act_director")
        .Next(this.after_approval)
    )
    after_approval = (
        flow.Switch()
        .Case(this.negotiate, this.text_sent_back)
        .Case(this.rejected, this.is_rejected)
        .Case(this.giunta, this.is_binding)
        .Default(this.sign)
    )

    # 5. Delibera Giunta on the draft (L.R. 16/2008 art. 17 c. 2).
    giunta = (
        Step(forms.GiuntaForm, service=services.giunta_record, roles=(Role.SECRETARIAT,), rule="giunta")
        .Annotation(title=_("Delibera di Giunta sul progetto"))
        .Permission("agreements.act_secretariat")
        .Next(this.notify)
    )

    # 6. In parallel: the notice to the national government (L. 131/2003 art. 6 c. 2) and the draft sent to the
    #    Assemblea legislativa together with it (L.R. 16/2008 art. 17 c. 2).
    notify = flow.Split().Always(this.notify_government).Always(this.transmit_assembly)
    notify_government = (
        Step(forms.GovernmentNoticeForm, service=services.notice_government_record, roles=(Role.SECRETARIAT,),
             rule="notify_government")
        .Annotation(title=_("Notifica al Governo (DAR e MAECI)"))
        .Permission("agreements.act_secretariat")
        .Next(this.notices_join)
    )
    transmit_assembly = (
        Step(forms.NoticeForm, service=services.notice_assembly_record, roles=(Role.SECRETARIAT,),
             rule="transmit_assembly")
        .Annotation(title=_("Trasmissione del progetto all'Assemblea legislativa"))
        .Permission("agreements.act_secretariat")
        .Next(this.notices_join)
    )
    notices_join = Join().Next(this.open_observations)
    open_observations = flow.Function(this.observations_open).Next(this.await_observations)

    # 7. Attesa osservazioni: 30 days from the later receipt of the notice, unless observations or a nulla osta
    #    come first. An accordo with a State has no silence: it waits for full powers (recorded with the nulla osta).
    await_observations = (
        flow.Split().Always(this.record_observations).Next(this.observations_deadline, case=this.silence_counts)
    )
    record_observations = (
        Step(forms.ObservationsForm, service=services.observations_record, roles=(Role.SECRETARIAT,),
             rule="record_observations")
        .Annotation(title=_("Osservazioni del Governo"))
        .Permission("agreements.act_secretariat")
        .Next(this.observations_join)
    )
    observations_deadline = flow.Timer(this.observations_due).Next(this.observations_silence)
    observations_silence = flow.Function(this.record_observations_silence).Next(this.observations_join)
    observations_join = Join(continue_on_condition=this.observations_settled).Next(this.report_outcome)

    # 8. The outcome of the coordination with the State goes to the Assembly (L.R. 16/2008 art. 17 c. 2); then the
    #    Assembly's own observations on the draft are recorded (changes send the text back, like the government's).
    report_outcome = (
        Step(forms.NoticeForm, service=services.outcome_report_record, roles=(Role.SECRETARIAT,),
             rule="report_outcome")
        .Annotation(title=_("Esito del coordinamento comunicato all'Assemblea"))
        .Permission("agreements.act_secretariat")
        .Next(this.needs_assembly_observations)
    )
    needs_assembly_observations = (
        flow.If(this.government_sent_back).Then(this.close_observations).Else(this.assembly_observations)
    )
    assembly_observations = (
        Step(forms.AssemblyObservationsForm, service=services.assembly_observations_record,
             roles=(Role.SECRETARIAT,), rule="assembly_observations")
        .Annotation(title=_("Osservazioni dell'Assemblea legislativa"))
        .Permission("agreements.act_secretariat")
        .Next(this.close_observations)
    )
    close_observations = flow.Function(this.observations_close).Next(this.after_observations)
    after_observations = flow.If(this.text_sent_back).Then(this.negotiate).Else(this.final_approval)

    # 9. Approvazione definitiva della Giunta (L.R. 16/2008 art. 17 c. 3): a second DGR before signature.
    final_approval = (
        Step(forms.GiuntaForm, service=services.final_approval_record, roles=(Role.SECRETARIAT,),
             rule="final_approval")
        .Annotation(title=_("Approvazione definitiva della Giunta"))
        .Permission("agreements.act_secretariat")
        .Next(this.sign)
    )

    # 10. Firma: the President of the Region or the assessore delegated (art. 17 c. 3, Statuto art. 13 c. 2).
    sign = (
        Step(forms.SignatureForm, service=services.signature_record, roles=(Role.DRAFTER, Role.SECRETARIAT),
             rule="sign")
        .Annotation(title=_("Firma"))
        .Assign(this.drafter_of)
        .Next(this.needs_ratification)
    )
    needs_ratification = flow.If(this.is_binding).Then(this.ratify).Else(this.in_force_when_signed)

    # 11. Ratifica by the Assemblea legislativa (resolution, or regional law): in force from the ratification date.
    ratify = (
        Step(forms.RatificationForm, service=services.ratification_record, roles=(Role.SECRETARIAT,),
             rule="ratify")
        .Annotation(title=_("Ratifica dell'Assemblea legislativa"))
        .Permission("agreements.act_secretariat")
        .Next(this.publish)
    )

    # 12. Pubblicazione on the BURERT of the text together with the ratification act (art. 17 c. 5).
    publish = (
        Step(forms.PublicationForm, service=services.publication_record, roles=(Role.SECRETARIAT,), rule="publish")
        .Annotation(title=_("Pubblicazione nel BURERT"))
        .Permission("agreements.act_secretariat")
        .Next(this.in_force)
    )
    in_force = flow.End()
    in_force_when_signed = flow.End()
    rejected = flow.End()

    # --- Who sees the console ----------------------------------------------------------------------------

    def has_view_permission(self, user, obj=None):
        """Viewflow's console (lists, process and task detail, chart) is for the roles that see every agreement."""
        return user.is_authenticated and user.is_active and sees_everything(user)

    def has_manage_permission(self, user, obj=None):
        """Viewflow's manager actions (undo, cancel, revive a task; cancel a process) are switched off for everyone:
        they would change the procedure outside the services, with no rule checked and no audit event. A director
        withdraws or archives an agreement, with a reason, from its page (workflows.services.agreement_withdraw)."""
        return False

    # --- Process start and assignment --------------------------------------------------------------------

    def start_process(self, activation, agreement):
        activation.process.agreement = agreement
        return activation.process

    def drafter_of(self, activation):
        return activation.process.agreement.drafted_by

    def director_of(self, activation):
        return activation.process.agreement.director

    def dg_referent(self, activation):
        """The DG's first referent holds the task; any referent of the same DG (or a deputy) may act on it.
        (The first active user of the DG by username; read with the referents the task's notification reaches.)"""
        members = assignments.dg_members(activation.task)
        return members[0] if members else None

    def dg_tasks(self, activation):
        agreement = activation.process.agreement
        opinions = list(Opinion.objects.filter(agreement=agreement, round=agreement.consultation_round)
                        .select_related("dg").order_by("dg__name"))
        # Kept on the run for what the same split creates next: each DG task's deadline (workflows.assignments)
        # and the consultation timer (consultation_due), without reading the opinions again.
        activation.process.round_opinions = (agreement.consultation_round, opinions)
        return [{"dg": opinion.dg_id, "dg_name": opinion.dg.name} for opinion in opinions]

    # --- Routing conditions ------------------------------------------------------------------------------

    def has_dgs(self, activation):
        return activation.process.agreement.status == Status.CONSULTATION

    def text_sent_back(self, activation):
        return activation.process.agreement.status == Status.NEGOTIATION

    def is_rejected(self, activation):
        return activation.process.agreement.status == Status.REJECTED

    def is_binding(self, activation):
        return activation.process.agreement.is_binding

    def is_light_kind(self, activation):
        return activation.process.agreement.is_light_kind

    def is_accordo(self, activation):
        return activation.process.agreement.needs_full_powers

    def government_sent_back(self, activation):
        return activation.process.agreement.observations_outcome == ObservationsOutcome.OBSERVATIONS

    def silence_counts(self, activation):
        return not activation.process.agreement.needs_full_powers

    # The join conditions read the database, not the agreement in hand: each is one query however stale an
    # instance might be, and leaves process.agreement (with its people, read once) as it is.

    def consultation_settled(self, activation, active_tasks):
        return services.consultation_settled(activation.process.agreement)

    def observations_settled(self, activation, active_tasks):
        return services.observations_settled(activation.process.agreement)

    # --- Timers: legal days end at midnight, Europe/Rome -------------------------------------------------

    def consultation_due(self, activation) -> datetime.datetime:
        agreement = activation.process.agreement
        held = getattr(activation.process, "round_opinions", None)
        if held and held[0] == agreement.consultation_round and held[1]:
            due = max(opinion.due_date for opinion in held[1])
        else:
            due = services.consultation_due_date(agreement)
        return dates.start_of_day(due + datetime.timedelta(days=1))

    def observations_due(self, activation) -> datetime.datetime:
        start = dates.observations_from(activation.process.agreement)
        return dates.start_of_day(dates.observations_last_day(start) + datetime.timedelta(days=1))

    # --- System steps: each one service call -------------------------------------------------------------

    # Each runs in the savepoint Viewflow opens for a Function node (in_node_savepoint).

    def record_silent_assent(self, activation):
        in_node_savepoint(services.opinions_silent_assent)(agreement=activation.process.agreement)

    def consultation_close(self, activation):
        activation.process.agreement = in_node_savepoint(services.consultation_close)(
            agreement=activation.process.agreement)

    def observations_open(self, activation):
        activation.process.agreement = in_node_savepoint(services.observations_open)(
            agreement=activation.process.agreement)

    def record_observations_silence(self, activation):
        activation.process.agreement = in_node_savepoint(services.observations_silence)(
            agreement=activation.process.agreement)

    def observations_close(self, activation):
        activation.process.agreement = in_node_savepoint(services.observations_close)(
            agreement=activation.process.agreement)
