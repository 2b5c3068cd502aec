"""Carry processes started under the earlier flow (before the procedure followed the law step by step) onto the
nodes of today's flow, keeping their tasks, dates and audit trail. Run by `manage.py procedure_carry_over` and by the
migration workflows 0002; idempotent: a process already on today's nodes is left alone.

What changed, and where an open process goes (README, "The agreement lifecycle", "Processes already running"):
- the node `inform_assembly` (the informativa after the DGR, parallel to the notice) is today's
  `transmit_assembly` (the draft sent to the Assembly with the notice, L.R. 16/2008 art. 17 c. 2): renamed, in
  every process, open or finished, so that their history still reads;
- a process still at the very start (the negotiation task of a proposal never negotiated) goes to the
  qualification (memoranda, protocolli, lettere d'intenti) or to the initial informativa (Statuto art. 13 c. 2);
- a binding agreement waiting for signature with no final approval of the Giunta goes back to the report of the
  coordination's outcome to the Assembly, then the Assembly's observations and the final DGR (art. 17 c. 2-3):
  its signature task becomes the report task;
- a ratified agreement waiting for publication is in force from its ratification (Statuto art. 13 c. 2): its
  status becomes "in force", the publication task stays;
- a non-binding text waiting for publication needs none (it is in force since signature): the publication task is
  cancelled and the process finished.
Every change is one audit event on the agreement (`procedure_carry_over`, naming no user).
"""

from django.db import connection, transaction
from django.utils import timezone
from viewflow.workflow.status import STATUS

from agreements.common.audit import audit_record
from agreements.models import Agreement, Status

from .models import AgreementProcess

FLOW_REF = "workflows/flows.AgreementFlow"
RENAMED = {"inform_assembly": "transmit_assembly"}
OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
PERMISSION = {
    "qualify": "agreements.act_director",
    "inform_assembly_start": "agreements.act_secretariat",
    "report_outcome": "agreements.act_secretariat",
}


def _ref(node: str) -> str:
    return f"{FLOW_REF}.{node}"


def _open_human_tasks(process_pk: int) -> list[tuple[int, str]]:
    """(pk, node name) of the open human tasks, read raw: a node the flow no longer has cannot be loaded."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, flow_task FROM viewflow_task WHERE process_id = %s AND status = ANY(%s) "
            "AND flow_task_type = %s ORDER BY id",
            [process_pk, [str(status) for status in OPEN], "HUMAN"],
        )
        return [(pk, ref.rsplit(".", 1)[1]) for pk, ref in cursor.fetchall()]


def _repoint(task_pk: int, node: str, owner_id: int | None):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE viewflow_task SET flow_task = %s, owner_id = %s, status = %s, owner_permission = %s, "
            "assigned = %s, started = NULL WHERE id = %s",
            [_ref(node), owner_id, STATUS.ASSIGNED if owner_id else STATUS.NEW, PERMISSION.get(node),
             timezone.now() if owner_id else None, task_pk],
        )


def _audit(agreement, moves: list, status=None):
    detail = {"moves": moves}
    changes = {}
    if status and status != agreement.status:
        changes = {"status": [agreement.status, status]}
        Agreement.objects.filter(pk=agreement.pk).update(status=status)
    audit_record(actor=None, agreement=agreement, action="procedure_carry_over", changes=changes, detail=detail)


@transaction.atomic
def processes_carry_over() -> list[str]:
    """Move every process onto today's nodes. Returns one line per agreement changed (for the command)."""
    report = []
    with connection.cursor() as cursor:
        for old, new in RENAMED.items():
            cursor.execute("UPDATE viewflow_task SET flow_task = %s WHERE flow_task = %s", [_ref(new), _ref(old)])
            if cursor.rowcount:
                report.append(f"{old} -> {new}: {cursor.rowcount} tasks")
    processes = (
        AgreementProcess.objects.select_for_update()
        .filter(status__in=[STATUS.NEW, STATUS.STARTED])
        .exclude(agreement=None)
        .order_by("pk")
    )
    for process in processes:
        agreement = Agreement.objects.select_for_update().get(pk=process.agreement_id)
        moves = []
        status = None
        for task_pk, node in _open_human_tasks(process.pk):
            if node == "negotiate" and agreement.status in (Status.PROPOSAL, Status.NEGOTIATION) \
                    and not agreement.text_agreed_on:
                if agreement.is_light_kind and not agreement.qualified_on:
                    _repoint(task_pk, "qualify", agreement.director_id)
                    moves.append([node, "qualify"])
                elif agreement.is_binding and not agreement.assembly_informed_on:
                    _repoint(task_pk, "inform_assembly_start", None)
                    moves.append([node, "inform_assembly_start"])
            elif node == "sign" and agreement.is_binding and not agreement.final_dgr_date:
                _repoint(task_pk, "report_outcome", None)
                moves.append([node, "report_outcome"])
                status = Status.OBSERVATIONS
            elif node == "publish" and agreement.status == Status.PUBLICATION:
                if agreement.is_binding:
                    status = Status.IN_FORCE
                    moves.append([node, node])
                else:
                    with connection.cursor() as cursor:
                        cursor.execute("UPDATE viewflow_task SET status = %s, finished = %s WHERE id = %s",
                                       [STATUS.CANCELED, timezone.now(), task_pk])
                    process.status, process.finished = STATUS.DONE, timezone.now()
                    process.save(update_fields=["status", "finished"])
                    status = Status.IN_FORCE
                    moves.append([node, "in_force_when_signed"])
        if moves:
            _audit(agreement, moves, status)
            report.append(f"{agreement.reference}: " + ", ".join(f"{a} -> {b}" for a, b in moves))
    return report
