"""The procedure's rules: one row per step, the law it applies, article and comma, and what the law says.

This is the one table of the procedure. The flow (workflows/flows.py) names a row on each human step, the task page
shows it, the agreement's timeline shows it next to each step, and the README's lifecycle table is written from it.
Texts: L. 131/2003 art. 6 (GU 10-06-2003); L.R. Emilia-Romagna 16/2008 art. 17 (original text, GU 3a s.s.
03-01-2009); Statuto regionale, L.R. 13/2005, art. 13 (GU 3a s.s. 20-08-2005); D.Lgs. 33/2013 art. 23.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Rule:
    step: str  # the flow node's name
    title: str
    law: str
    article: str
    text: str  # one line, in Italian (translated through gettext)

    @property
    def citation(self) -> str:
        return f"{self.law}, {self.article}" if self.article else str(self.law)


L131 = "L. 131/2003"
LR16 = "L.R. 16/2008"
STATUTE = _("Statuto regionale")
INTERNAL = _("Organizzazione interna")

RULES = (
    Rule("qualify", _("Qualificazione dell'atto"), L131, _("art. 6 c. 2"),
         _("Qualunque sia la denominazione, l'atto con cui la Regione assume impegni segue la procedura delle "
           "intese; senza impegni segue la via breve.")),
    Rule("inform_assembly_start", _("Informativa iniziale all'Assemblea legislativa"), STATUTE, _("art. 13 c. 2"),
         _("La Giunta informa l'Assemblea legislativa fin dall'attivazione della procedura.")),
    Rule("notify_negotiations", _("Comunicazione dell'avvio dei negoziati (accordi con Stati)"), L131,
         _("art. 6 c. 3"),
         _("La Regione comunica tempestivamente le trattative al Ministero degli Esteri e alla Presidenza del "
           "Consiglio; il Ministero può indicare principi e criteri.")),
    Rule("negotiate", _("Negoziazione testo"), LR16, _("art. 17 c. 1"),
         _("La Giunta conclude le intese coerentemente con gli indirizzi dell'Assemblea e con l'art. 6 c. 2 "
           "della L. 131/2003.")),
    Rule("consult_dg", _("Parere DG"), INTERNAL, "",
         _("Le Direzioni generali competenti per materia esprimono il parere sul testo.")),
    Rule("approve", _("Approvazione dirigente"), INTERNAL, "",
         _("Il dirigente responsabile approva il testo; chi lo ha redatto non può approvarlo.")),
    Rule("giunta", _("Delibera di Giunta sul progetto"), LR16, _("art. 17 c. 2"),
         _("La Giunta delibera il progetto di intesa.")),
    Rule("notify_government", _("Notifica al Governo (DAR e MAECI)"), L131, _("art. 6 c. 2"),
         _("Prima della firma la Regione ne dà comunicazione alla Presidenza del Consiglio (DAR) e al Ministero "
           "degli Esteri, che possono fare osservazioni entro i successivi trenta giorni.")),
    Rule("transmit_assembly", _("Trasmissione del progetto all'Assemblea legislativa"), LR16, _("art. 17 c. 2"),
         _("Deliberato il progetto, la Giunta ne trasmette il testo all'Assemblea legislativa insieme alla "
           "comunicazione al Governo.")),
    Rule("record_observations", _("Osservazioni del Governo"), L131, _("art. 6 c. 2-3"),
         _("Decorsi trenta giorni senza osservazioni la Regione può firmare; per un accordo con uno Stato servono "
           "i pieni poteri.")),
    Rule("report_outcome", _("Esito del coordinamento comunicato all'Assemblea"), LR16, _("art. 17 c. 2"),
         _("L'esito del coordinamento con lo Stato e le misure necessarie sono comunicati tempestivamente "
           "all'Assemblea legislativa.")),
    Rule("assembly_observations", _("Osservazioni dell'Assemblea legislativa"), LR16, _("art. 17 c. 2"),
         _("L'Assemblea legislativa può formulare osservazioni sul progetto di intesa.")),
    Rule("final_approval", _("Approvazione definitiva della Giunta"), LR16, _("art. 17 c. 3"),
         _("Dopo il coordinamento con lo Stato la Giunta approva in via definitiva l'intesa, prima della firma.")),
    Rule("sign", _("Firma"), LR16, _("art. 17 c. 3; Statuto art. 13 c. 2"),
         _("Firmano il Presidente della Regione o l'assessore da lui delegato.")),
    Rule("ratify", _("Ratifica dell'Assemblea legislativa"), LR16, _("art. 17 c. 3-4; Statuto art. 13 c. 2"),
         _("La Giunta trasmette il testo firmato; l'Assemblea ratifica con delibera, o con legge se l'intesa "
           "modifica leggi; l'intesa ha efficacia dalla data della ratifica.")),
    Rule("publish", _("Pubblicazione nel BURERT"), LR16, _("art. 17 c. 5"),
         _("Il testo dell'intesa è pubblicato nel Bollettino Ufficiale della Regione insieme all'atto di "
           "ratifica.")),
)

RULE_OF_STEP = {rule.step: rule for rule in RULES}


def rule_for(step: str) -> Rule | None:
    return RULE_OF_STEP.get(step)


# The rule behind the tacit extension of an agreement in force: the Assembly is kept informed of what follows the
# ratification (Statuto art. 13 c. 3: "informazione preventiva e successiva"). No text on tacit renewal was found.
TACIT_EXTENSION_RULE = Rule(
    "tacit_extension", _("Proroga tacita comunicata all'Assemblea"), STATUTE, _("art. 13 c. 3"),
    _("La legge regionale assicura all'Assemblea l'informazione preventiva e successiva sugli accordi."),
)
