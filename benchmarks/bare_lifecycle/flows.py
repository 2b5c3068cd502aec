"""The baseline of benchmarks/bench_lifecycle.py: the same nodes as workflows.flows.AgreementFlow, wired the same
way, doing nothing but Viewflow's bookkeeping.

Same node types (StartHandle, If, View with Assign and Permission, the per-DG SplitEach fan-out, Timer, Function,
Join with a continue condition, Switch, Split, End), the same row lock, Viewflow's default Process model. The
routing conditions read the path from process.data instead of an agreement (the product's path through the
benchmark: a binding intesa with DGs, no send-back, a nulla osta); the functions do nothing; assignees are users in
hand; the joins continue when no task of their own branch is left open (one query, as the product's condition).
"""

import datetime

from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.flow.views import UpdateProcessView
from viewflow.workflow.models import Process

from workflows.nodes import SplitEach

FAR = datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC)
USERS = {}  # role -> User, set by the benchmark before it starts


def view():
    return UpdateProcessView.as_view(fields=[])


class BareFlow(flow.Flow):
    process_class = Process
    lock_impl = lock.SelectForUpdateLock(nowait=False, attempts=1)

    start = flow.StartHandle(this.start_process).Next(this.needs_qualification)
    needs_qualification = flow.If(this.is_light_kind).Then(this.qualify).Else(this.inform_assembly_start)
    qualify = flow.View(view()).Assign(this.director_of).Permission("agreements.act_director").Next(
        this.after_qualification)
    after_qualification = flow.If(this.is_binding).Then(this.inform_assembly_start).Else(this.negotiate)
    inform_assembly_start = flow.View(view()).Permission("agreements.act_secretariat").Next(
        this.needs_negotiation_notice)
    needs_negotiation_notice = flow.If(this.is_accordo).Then(this.notify_negotiations).Else(this.negotiate)
    notify_negotiations = flow.View(view()).Permission("agreements.act_secretariat").Next(this.negotiate)
    negotiate = flow.View(view()).Assign(this.drafter_of).Next(this.needs_consultation)
    needs_consultation = flow.If(this.has_dgs).Then(this.consult).Else(this.approve)
    consult = SplitEach().Next(this.consult_dg, data_source=this.dg_tasks).Always(this.consultation_deadline)
    consult_dg = flow.View(view()).Assign(this.dg_referent).Permission("agreements.give_opinion").Next(
        this.consultation_join)
    consultation_deadline = flow.Timer(this.due).Next(this.silent_assent)
    silent_assent = flow.Function(this.nothing).Next(this.consultation_join)
    consultation_join = flow.Join(continue_on_condition=this.consultation_settled).Next(this.close_consultation)
    close_consultation = flow.Function(this.nothing).Next(this.after_consultation)
    after_consultation = flow.If(this.text_sent_back).Then(this.negotiate).Else(this.approve)
    approve = flow.View(view()).Assign(this.director_of).Permission("agreements.act_director").Next(
        this.after_approval)
    after_approval = (
        flow.Switch()
        .Case(this.negotiate, this.text_sent_back)
        .Case(this.rejected, this.is_rejected)
        .Case(this.giunta, this.is_binding)
        .Default(this.sign)
    )
    giunta = flow.View(view()).Permission("agreements.act_secretariat").Next(this.notify)
    notify = flow.Split().Always(this.notify_government).Always(this.transmit_assembly)
    notify_government = flow.View(view()).Permission("agreements.act_secretariat").Next(this.notices_join)
    transmit_assembly = flow.View(view()).Permission("agreements.act_secretariat").Next(this.notices_join)
    notices_join = flow.Join().Next(this.open_observations)
    open_observations = flow.Function(this.nothing).Next(this.await_observations)
    await_observations = (
        flow.Split().Always(this.record_observations).Next(this.observations_deadline, case=this.silence_counts)
    )
    record_observations = flow.View(view()).Permission("agreements.act_secretariat").Next(this.observations_join)
    observations_deadline = flow.Timer(this.due).Next(this.observations_silence)
    observations_silence = flow.Function(this.nothing).Next(this.observations_join)
    observations_join = flow.Join(continue_on_condition=this.observations_settled).Next(this.report_outcome)
    report_outcome = flow.View(view()).Permission("agreements.act_secretariat").Next(
        this.needs_assembly_observations)
    needs_assembly_observations = (
        flow.If(this.government_sent_back).Then(this.close_observations).Else(this.assembly_observations)
    )
    assembly_observations = flow.View(view()).Permission("agreements.act_secretariat").Next(this.close_observations)
    close_observations = flow.Function(this.nothing).Next(this.after_observations)
    after_observations = flow.If(this.text_sent_back).Then(this.negotiate).Else(this.final_approval)
    final_approval = flow.View(view()).Permission("agreements.act_secretariat").Next(this.sign)
    sign = flow.View(view()).Assign(this.drafter_of).Next(this.needs_ratification)
    needs_ratification = flow.If(this.is_binding).Then(this.ratify).Else(this.in_force_when_signed)
    ratify = flow.View(view()).Permission("agreements.act_secretariat").Next(this.publish)
    publish = flow.View(view()).Permission("agreements.act_secretariat").Next(this.in_force)
    in_force = flow.End()
    in_force_when_signed = flow.End()
    rejected = flow.End()

    def start_process(self, activation, path):
        activation.process.data = path
        return activation.process

    def drafter_of(self, activation):
        return USERS["drafter"]

    def director_of(self, activation):
        return USERS["director"]

    def dg_referent(self, activation):
        return USERS[f"referent-{activation.task.data['dg']}"]

    def dg_tasks(self, activation):
        return [{"dg": dg, "dg_name": name} for dg, name in activation.process.data["dgs"]]

    def has_dgs(self, activation):
        return bool(activation.process.data["dgs"])

    def text_sent_back(self, activation):
        return False

    def is_rejected(self, activation):
        return False

    def is_binding(self, activation):
        return activation.process.data["binding"]

    def is_light_kind(self, activation):
        return activation.process.data["light"]

    def is_accordo(self, activation):
        return activation.process.data["accordo"]

    def government_sent_back(self, activation):
        return False

    def silence_counts(self, activation):
        return not activation.process.data["accordo"]

    def consultation_settled(self, activation, active_tasks):
        return not active_tasks.filter(flow_task=self.consult_dg).exists()

    def observations_settled(self, activation, active_tasks):
        return not active_tasks.filter(flow_task=self.record_observations).exists()

    def due(self, activation):
        return FAR

    def nothing(self, activation):
        pass
