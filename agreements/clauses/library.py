"""The shipped clause library: the standard articles the office reuses, in Italian, English, French and Spanish,
and the text template of each kind (which clauses, in which order). An administrator's revision of a clause or
of a kind's template (ClauseVersion, KindTemplate) wins over what is shipped here, as an uploaded .docx
template wins over the file in templates_docx/.

A clause's heading and text are Jinja (sandboxed, StrictUndefined) with the agreement's fields, in the
clause's language:
  region, counterpart, title       names ("Regione Emilia-Romagna", the counterpart's name, the title)
  this_text, This_text             "la presente Intesa" / "this Memorandum of Understanding" / ...
  areas                            the fields of cooperation (list; may be empty: the wording must not then
                                   leave a sentence open, the library's check refuses "...i seguenti ambiti:")
  duration_months, renewal,        the duration (may be none), the renewal clause ("none", "express", "tacit")
  notice_days                      and the notice period of a tacit renewal
  languages                        the text's languages, named in the clause's language
"""

LIBRARY_LANGUAGES = ("it", "en", "fr", "es")

# code -> {language: (heading, text)}
CLAUSES: dict[str, dict[str, tuple[str, str]]] = {
    "premesse": {
        "it": ("Premesse",
               "La {{ region }} e {{ counterpart }}, di seguito «le Parti», considerati i legami di amicizia e di "
               "collaborazione tra i rispettivi territori e nel rispetto delle competenze loro attribuite dai "
               "rispettivi ordinamenti, e per la {{ region }} dall'articolo 117, nono comma, della Costituzione e "
               "dall'articolo 6 della legge 5 giugno 2003, n. 131, convengono quanto segue. Le premesse sono parte "
               "integrante di {{ this_text }}."),
        "en": ("Preamble",
               "The {{ region }} and {{ counterpart }}, hereinafter «the Parties», considering the ties of "
               "friendship and cooperation between their territories and acting within the powers conferred on "
               "them by their respective legal systems, have agreed as follows. This preamble forms an integral "
               "part of {{ this_text }}."),
        "fr": ("Préambule",
               "La {{ region }} et {{ counterpart }}, ci-après «les Parties», considérant les liens d'amitié et de "
               "coopération entre leurs territoires et agissant dans le respect des compétences que leur "
               "attribuent leurs ordres juridiques respectifs, sont convenues de ce qui suit. Le présent préambule "
               "fait partie intégrante de {{ this_text }}."),
        "es": ("Preámbulo",
               "La {{ region }} y {{ counterpart }}, en adelante «las Partes», considerando los lazos de amistad y "
               "cooperación entre sus territorios y actuando en el marco de las competencias que les atribuyen sus "
               "respectivos ordenamientos, acuerdan lo siguiente. El presente preámbulo forma parte integrante de "
               "{{ this_text }}."),
    },
    "oggetto": {
        "it": ("Oggetto",
               "{{ This_text }} stabilisce il quadro della collaborazione tra le Parti per «{{ title }}», da "
               "realizzare nei limiti delle rispettive competenze e secondo i rispettivi ordinamenti."),
        "en": ("Purpose",
               "{{ This_text }} sets out the framework of the cooperation between the Parties for «{{ title }}», "
               "to be carried out within their respective powers and in accordance with their legal systems."),
        "fr": ("Objet",
               "{{ This_text }} établit le cadre de la coopération entre les Parties pour «{{ title }}», à mettre "
               "en œuvre dans les limites de leurs compétences respectives et conformément à leurs ordres "
               "juridiques."),
        "es": ("Objeto",
               "{{ This_text }} establece el marco de la cooperación entre las Partes para «{{ title }}», que se "
               "desarrollará dentro de sus respectivas competencias y de conformidad con sus ordenamientos."),
    },
    "ambiti": {
        "it": ("Ambiti di cooperazione",
               "{% if areas %}Le Parti collaborano nei seguenti ambiti: {{ areas|join(', ') }}.{% else %}Le Parti "
               "individuano di comune accordo gli ambiti della collaborazione nel programma di lavoro di cui "
               "all'articolo sull'attuazione.{% endif %} Altri ambiti possono essere aggiunti per iscritto di "
               "comune accordo."),
        "en": ("Fields of cooperation",
               "{% if areas %}The Parties shall cooperate in the following fields: {{ areas|join(', ') }}."
               "{% else %}The Parties shall jointly identify the fields of cooperation in the work programme "
               "referred to in the article on implementation.{% endif %} Further fields may be added by mutual "
               "written consent."),
        "fr": ("Domaines de coopération",
               "{% if areas %}Les Parties coopèrent dans les domaines suivants : {{ areas|join(', ') }}."
               "{% else %}Les Parties définissent d'un commun accord les domaines de la coopération dans le "
               "programme de travail prévu à l'article relatif à la mise en œuvre.{% endif %} D'autres domaines "
               "peuvent être ajoutés d'un commun accord par écrit."),
        "es": ("Ámbitos de cooperación",
               "{% if areas %}Las Partes cooperarán en los siguientes ámbitos: {{ areas|join(', ') }}.{% else %}"
               "Las Partes determinarán de común acuerdo los ámbitos de la cooperación en el programa de trabajo "
               "previsto en el artículo sobre la aplicación.{% endif %} Podrán añadirse otros ámbitos por mutuo "
               "acuerdo escrito."),
    },
    "attuazione": {
        "it": ("Attuazione e comitato congiunto",
               "Per l'attuazione di {{ this_text }} le Parti istituiscono un comitato congiunto, composto da "
               "rappresentanti designati da ciascuna Parte, che definisce un programma di lavoro, ne verifica "
               "l'avanzamento e si riunisce almeno una volta l'anno, anche a distanza."),
        "en": ("Implementation and Joint Committee",
               "To implement {{ this_text }} the Parties shall set up a Joint Committee of representatives "
               "appointed by each Party, which shall draw up a work programme, monitor its progress and meet at "
               "least once a year, also remotely."),
        "fr": ("Mise en œuvre et comité mixte",
               "Pour la mise en œuvre de {{ this_text }}, les Parties instituent un comité mixte composé de "
               "représentants désignés par chaque Partie, qui établit un programme de travail, en suit "
               "l'avancement et se réunit au moins une fois par an, y compris à distance."),
        "es": ("Aplicación y comité mixto",
               "Para la aplicación de {{ this_text }} las Partes constituyen un comité mixto integrado por "
               "representantes designados por cada Parte, que elaborará un programa de trabajo, supervisará su "
               "avance y se reunirá al menos una vez al año, también a distancia."),
    },
    "finanziarie": {
        "it": ("Disposizioni finanziarie",
               "Ciascuna Parte sostiene le spese della propria partecipazione alle attività nei limiti delle "
               "risorse disponibili nei propri bilanci. {{ This_text }} non comporta oneri finanziari a carico "
               "dello Stato italiano né impegni di politica estera, e non crea obblighi per lo Stato (articolo 6, "
               "comma 2, della legge 5 giugno 2003, n. 131)."),
        "en": ("Financial provisions",
               "Each Party shall bear the costs of its own participation in the activities within the resources "
               "available in its budget. {{ This_text }} entails no financial charges for the Italian State nor "
               "any foreign-policy commitments, and creates no obligations for the State (article 6, paragraph "
               "2, of Italian Law no. 131 of 5 June 2003)."),
        "fr": ("Dispositions financières",
               "Chaque Partie prend en charge les frais de sa propre participation aux activités dans la limite "
               "des ressources disponibles dans son budget. {{ This_text }} n'entraîne aucune charge financière "
               "pour l'État italien ni aucun engagement de politique étrangère, et ne crée pas d'obligations pour "
               "l'État (article 6, alinéa 2, de la loi italienne n° 131 du 5 juin 2003)."),
        "es": ("Disposiciones financieras",
               "Cada Parte sufragará los gastos de su propia participación en las actividades dentro de los "
               "recursos disponibles en su presupuesto. {{ This_text }} no supone cargas financieras para el "
               "Estado italiano ni compromisos de política exterior, y no crea obligaciones para el Estado "
               "(artículo 6, apartado 2, de la Ley italiana n.º 131 de 5 de junio de 2003)."),
    },
    "durata": {
        "it": ("Durata e rinnovo",
               "{% if duration_months %}{{ This_text }} ha durata di {{ duration_months }} mesi dalla sua entrata "
               "in vigore.{% else %}{{ This_text }} ha durata indeterminata.{% endif %} {% if renewal == 'tacit' %}"
               "Alla scadenza si rinnova tacitamente per un periodo di pari durata, salvo disdetta comunicata per "
               "iscritto da una delle Parti almeno {{ notice_days }} giorni prima.{% elif renewal == 'express' %}"
               "Il rinnovo richiede l'espresso accordo scritto delle Parti.{% else %}Non è rinnovabile."
               "{% endif %}"),
        "en": ("Duration and renewal",
               "{% if duration_months %}{{ This_text }} shall remain in force for {{ duration_months }} months from "
               "its entry into force.{% else %}{{ This_text }} is concluded for an indefinite period.{% endif %} "
               "{% if renewal == 'tacit' %}On expiry it shall be tacitly renewed for the same period, unless "
               "either Party gives written notice of termination at least {{ notice_days }} days in advance."
               "{% elif renewal == 'express' %}It may be renewed by express written agreement of the Parties."
               "{% else %}It shall not be renewed.{% endif %}"),
        "fr": ("Durée et renouvellement",
               "{% if duration_months %}La durée de {{ this_text }} est de {{ duration_months }} mois à compter "
               "de son entrée en vigueur.{% else %}{{ This_text }} a une durée indéterminée.{% endif %} "
               "{% if renewal == 'tacit' %}À son échéance, le renouvellement est tacite pour une durée identique, "
               "sauf dénonciation écrite par l'une des Parties au moins {{ notice_days }} jours à l'avance."
               "{% elif renewal == 'express' %}Le renouvellement requiert l'accord écrit exprès des Parties."
               "{% else %}Aucun renouvellement n'est prévu.{% endif %}"),
        "es": ("Duración y renovación",
               "{% if duration_months %}{{ This_text }} tendrá una duración de {{ duration_months }} meses a partir "
               "de su entrada en vigor.{% else %}{{ This_text }} tendrá una duración indefinida.{% endif %} "
               "{% if renewal == 'tacit' %}A su vencimiento se renovará tácitamente por un período igual, salvo "
               "denuncia escrita de una de las Partes con al menos {{ notice_days }} días de antelación."
               "{% elif renewal == 'express' %}Podrá renovarse por acuerdo escrito expreso de las Partes."
               "{% else %}No será renovable.{% endif %}"),
    },
    "recesso": {
        "it": ("Recesso",
               "Ciascuna Parte può recedere da {{ this_text }} con comunicazione scritta all'altra Parte, con un "
               "preavviso di almeno sei mesi. Il recesso non pregiudica le attività già avviate, che si concludono "
               "secondo quanto concordato."),
        "en": ("Withdrawal",
               "Either Party may withdraw from {{ this_text }} by written notice to the other Party, given at "
               "least six months in advance. Withdrawal shall not affect activities already under way, which "
               "shall be completed as agreed."),
        "fr": ("Retrait",
               "Chaque Partie peut se retirer de {{ this_text }} par notification écrite à l'autre Partie, avec "
               "un préavis d'au moins six mois. Le retrait n'affecte pas les activités déjà engagées, qui sont "
               "menées à leur terme comme convenu."),
        "es": ("Denuncia",
               "Cada Parte podrá denunciar {{ this_text }} mediante comunicación escrita a la otra Parte con un "
               "preaviso de al menos seis meses. La denuncia no afectará a las actividades ya iniciadas, que se "
               "concluirán según lo acordado."),
    },
    "lingue": {
        "it": ("Lingue e testi facenti fede",
               "Le Parti redigono {{ this_text }} in {{ languages }}; tutti i testi fanno ugualmente fede."),
        "en": ("Languages and authentic texts",
               "{{ This_text }} is drawn up in {{ languages }}, all texts being equally authentic."),
        "fr": ("Langues et textes faisant foi",
               "Les Parties rédigent {{ this_text }} en {{ languages }}, tous les textes faisant également foi."),
        "es": ("Idiomas y textos auténticos",
               "{{ This_text }} se redacta en {{ languages }}, siendo todos los textos igualmente auténticos."),
    },
    "finali": {
        "it": ("Disposizioni finali",
               "Le Parti possono modificare {{ this_text }} per accordo scritto e risolvono in via "
               "amichevole ogni controversia sulla sua interpretazione o attuazione. {{ This_text }} entra in "
               "vigore secondo le procedure previste dai rispettivi ordinamenti."),
        "en": ("Final provisions",
               "{{ This_text }} may be amended by written agreement of the Parties. The Parties shall settle "
               "amicably any dispute concerning its interpretation or implementation. {{ This_text }} shall enter "
               "into force in accordance with the procedures of the respective legal systems."),
        "fr": ("Dispositions finales",
               "Les Parties peuvent modifier {{ this_text }} par accord écrit et règlent à "
               "l'amiable tout différend relatif à son interprétation ou à sa mise en œuvre. {{ This_text }} "
               "entre en vigueur conformément aux procédures prévues par leurs ordres juridiques respectifs."),
        "es": ("Disposiciones finales",
               "{{ This_text }} podrá modificarse por acuerdo escrito de las Partes. Las Partes resolverán de "
               "forma amistosa cualquier controversia sobre su interpretación o aplicación. {{ This_text }} "
               "entrará en vigor de conformidad con los procedimientos de sus respectivos ordenamientos."),
    },
}

FULL = ("premesse", "oggetto", "ambiti", "attuazione", "finanziarie", "durata", "recesso", "lingue", "finali")

# kind -> the clauses of its first draft, in order.
KIND_TEMPLATES: dict[str, tuple[str, ...]] = {
    "intesa": FULL,
    "accordo": FULL,
    "memorandum": FULL,
    "protocollo": FULL,
    "lettera_intenti": ("premesse", "oggetto", "ambiti", "finanziarie", "durata", "lingue", "finali"),
}

# How a text names itself, per language and kind ("la presente Intesa", "this Agreement").
THIS_TEXT: dict[str, dict[str, str]] = {
    "it": {"intesa": "la presente Intesa", "accordo": "il presente Accordo",
           "memorandum": "il presente Memorandum of Understanding", "protocollo": "il presente Protocollo d'intesa",
           "lettera_intenti": "la presente Lettera d'intenti"},
    "en": {"intesa": "this Agreement", "accordo": "this Agreement", "memorandum": "this Memorandum of Understanding",
           "protocollo": "this Protocol of Understanding", "lettera_intenti": "this Letter of Intent"},
    "fr": {"intesa": "la présente Entente", "accordo": "le présent Accord",
           "memorandum": "le présent Mémorandum d'entente", "protocollo": "le présent Protocole d'entente",
           "lettera_intenti": "la présente Lettre d'intention"},
    "es": {"intesa": "el presente Acuerdo", "accordo": "el presente Convenio",
           "memorandum": "el presente Memorando de Entendimiento", "protocollo": "el presente Protocolo de "
           "Entendimiento", "lettera_intenti": "la presente Carta de Intenciones"},
}

REGION_NAME = {"it": "Regione Emilia-Romagna", "en": "Emilia-Romagna Region", "fr": "Région Émilie-Romagne",
               "es": "Región de Emilia-Romaña"}
