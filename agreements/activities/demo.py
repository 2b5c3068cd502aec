"""A plausible register of the office's 2022-2023 activities for `make run`'s demo, built from what the 2022-2023
plan names (the Nouvelle-Aquitaine, Catalonia, Pennsylvania and Québec actions, the missions, delegations and
events of Allegato 1). Idempotent: stakeholders are matched by name and activities by title, so running it again
creates nothing."""

import datetime

from agreements.models import Action, Activity, Agreement, Counterpart, Sector, Stakeholder

from .services import activity_create, stakeholder_create

D = datetime.date

STAKEHOLDERS = [
    # name, type, internal
    ("Università di Bologna", "university", False),
    ("Università di Modena e Reggio Emilia", "university", False),
    ("ART-ER Attrattività Ricerca Territorio", "regional_office", True),
    ("Agenzia sanitaria e sociale regionale", "regional_office", True),
    ("Confindustria Emilia-Romagna", "trade_body", False),
    ("Unioncamere Emilia-Romagna", "trade_body", False),
    ("Comune di Bologna", "local_authority", False),
    ("Comune di Parma", "local_authority", False),
    ("Fondazione ITS Maker", "school", False),
    ("Consorzio del Parmigiano Reggiano", "company", False),
    ("Legacoop Emilia-Romagna", "association", False),
    ("Consulta degli emiliano-romagnoli nel mondo", "association", False),
]

# title, kind, start, end, place, country, counterpart names, DG codes, plan actions, agreement titles,
# participants, on the territory, stakeholders, follow-up projects, funding applications
ACTIVITIES = [
    ("Incontro con il Presidente della Nouvelle-Aquitaine per il rinnovo dell'Intesa", "diplomatic_meeting",
     D(2022, 4, 12), None, "Bordeaux", "FR", ["Nouvelle-Aquitaine"], ["dg-agri", "dg-crli"], [1],
     ["Intesa con la Nouvelle-Aquitaine (rinnovo)"], 14, None, ["ART-ER Attrattività Ricerca Territorio"], "", ""),
    ("Delegazione della Nouvelle-Aquitaine su agroalimentare e ricerca", "delegation_received", D(2022, 10, 4),
     D(2022, 10, 6), "Bologna", "FR", ["Nouvelle-Aquitaine"], ["dg-agri"], [1],
     ["Intesa con la Nouvelle-Aquitaine (rinnovo)"], 25, 18,
     ["Università di Bologna", "Consorzio del Parmigiano Reggiano"], "Progetto congiunto sul cibo sostenibile",
     "Candidatura Interreg Europe"),
    ("Nota tecnica sul rinnovo dell'Intesa con la Nouvelle-Aquitaine", "technical_note", D(2022, 3, 15), None,
     "", "FR", ["Nouvelle-Aquitaine"], ["dg-agri", "dg-crli"], [1], [], None, None, [], "", ""),
    ("Delegazione della Generalitat de Catalunya", "delegation_received", D(2022, 7, 18), D(2022, 7, 19),
     "Bologna", "ES", ["Catalogna"], ["dg-crli", "dg-reii"], [2], ["Intesa con la Catalogna"], 12, 10,
     ["Università di Modena e Reggio Emilia", "Legacoop Emilia-Romagna"], "", ""),
    ("Analisi Paese: Catalogna, ecosistema dell'innovazione", "country_analysis", D(2022, 6, 20), None, "", "ES",
     ["Catalogna"], ["dg-crli"], [2], [], None, None, [], "", ""),
    ("Missione di sistema in Pennsylvania e firma dell'Intesa", "system_mission", D(2022, 6, 6), D(2022, 6, 10),
     "Harrisburg e Filadelfia", "US", ["Pennsylvania"], ["dg-agri", "dg-crli"], [7],
     ["Intesa con la Pennsylvania"], 30, None,
     ["Confindustria Emilia-Romagna", "Università di Bologna", "Unioncamere Emilia-Romagna"],
     "Accordo tra università per la mobilità dei ricercatori", ""),
    ("Incontro con il Console generale degli Stati Uniti a Firenze", "diplomatic_meeting", D(2022, 5, 9), None,
     "Bologna", "US", ["Pennsylvania"], ["dg-crli"], [7, 9], [], 6, None, [], "", ""),
    ("Delegazione del Québec sulle scienze della vita", "delegation_received", D(2022, 11, 14), D(2022, 11, 15),
     "Bologna", "CA", ["Québec"], ["dg-agri", "dg-crli"], [8], ["Intesa con il Québec"], 18, 15,
     ["Università di Bologna", "ART-ER Attrattività Ricerca Territorio"], "", ""),
    ("Missione di sistema in Québec", "system_mission", D(2023, 5, 22), D(2023, 5, 26), "Montréal e Québec", "CA",
     ["Québec"], ["dg-agri", "dg-crli"], [8], ["Intesa con il Québec"], 28, None,
     ["Confindustria Emilia-Romagna", "Università di Modena e Reggio Emilia", "Fondazione ITS Maker"],
     "Scambio di studenti ITS", "Candidatura al bando bilaterale Italia-Québec"),
    ("Evento «Emilia-Romagna e Québec: ricerca e impresa»", "event", D(2023, 10, 12), None, "Bologna", "CA",
     ["Québec"], ["dg-crli"], [8], ["Intesa con il Québec"], 140, 120,
     ["Unioncamere Emilia-Romagna", "Comune di Bologna", "Università di Bologna"], "", ""),
    ("Trentennale del partenariato con l'Assia", "event", D(2022, 9, 23), None, "Wiesbaden", "DE", ["Assia"],
     [], [3], [], 90, None, ["Consulta degli emiliano-romagnoli nel mondo"], "", ""),
    ("Delegazione della Wielkopolska", "delegation_received", D(2023, 3, 7), D(2023, 3, 8), "Bologna", "PL",
     ["Wielkopolska"], ["settore-innovazione"], [4], [], 10, 8, ["ART-ER Attrattività Ricerca Territorio"],
     "", ""),
    ("Incontro con l'Ambasciata di Svezia sulla sanità digitale", "diplomatic_meeting", D(2022, 9, 13), None,
     "Roma", "SE", ["Småland"], ["agenzia-sanitaria", "dg-crli"], [5], [], 8, None,
     ["Agenzia sanitaria e sociale regionale"], "", "Candidatura EU4Health"),
    ("Incontro con l'Ambasciatore del Lussemburgo", "diplomatic_meeting", D(2022, 6, 21), None, "Bologna", "LU",
     [], ["dg-crli", "dg-agri"], [6], [], 5, None, [], "", ""),
    ("Missione economica in California", "system_mission", D(2022, 11, 7), D(2022, 11, 11), "San Francisco", "US",
     [], ["dg-agri", "dg-crli"], [9], [], 35, None, ["Consorzio del Parmigiano Reggiano",
                                                     "Confindustria Emilia-Romagna"], "", ""),
    ("Incontro con il Massachusetts sulle scienze della vita", "diplomatic_meeting", D(2022, 6, 28), None,
     "Boston", "US", [], ["dg-crli"], [10], [], 9, None, ["Università di Bologna"], "", ""),
    ("Evento con le comunità emiliano-romagnole in Argentina", "event", D(2023, 4, 15), None, "Buenos Aires",
     "AR", [], ["dg-crli", "assemblea"], [11], [], 160, None,
     ["Consulta degli emiliano-romagnoli nel mondo"], "", ""),
    ("Incontro con le comunità emiliano-romagnole in Cile", "diplomatic_meeting", D(2023, 4, 19), None,
     "Santiago", "CL", [], ["dg-agri"], [12], [], 40, None, ["Consulta degli emiliano-romagnoli nel mondo"], "", ""),
    ("Nota tecnica sulla cooperazione con il Camerun", "technical_note", D(2022, 12, 5), None, "", "CM", [],
     ["dg-reii"], [13], [], None, None, [], "", ""),
    ("Seminario interno sulle dinamiche geopolitiche", "event", D(2022, 11, 29), None, "Bologna", "", [],
     [], [14], [], 60, 60, ["Agenzia sanitaria e sociale regionale", "ART-ER Attrattività Ricerca Territorio"],
     "", ""),
    ("Delegazione del Guangdong", "delegation_received", D(2023, 9, 18), D(2023, 9, 19), "Bologna", "CN",
     ["Guangdong"], ["dg-crli"], [15], [], 15, 12, ["Comune di Bologna", "Unioncamere Emilia-Romagna"], "", ""),
    ("Dossier Giappone ed Expo 2025 Osaka", "dossier", D(2023, 2, 1), None, "", "JP",
     ["Prefettura di Ibaraki"], ["dg-crli"], [16], [], None, None, [], "", ""),
    ("Delegazione della Prefettura di Ibaraki", "delegation_received", D(2023, 11, 6), None, "Bologna", "JP",
     ["Prefettura di Ibaraki"], ["dg-crli"], [16], [], 11, 9, ["Comune di Parma"], "", ""),
    ("Bando Interreg Europe: analisi delle opportunità", "funding_call", D(2023, 6, 5), None, "", "", [],
     ["dg-crli"], [1, 4], [], None, None, [], "", "Candidatura Interreg Europe 2023"),
]


def seed_activities(*, actor, plan_code: str = "2022-2023") -> dict:
    """Create the demo stakeholders and activities that do not exist; return the counts created."""
    created = {"stakeholders": 0, "activities": 0}
    for name, type_, internal in STAKEHOLDERS:
        if not Stakeholder.objects.filter(name=name).exists():
            stakeholder_create(actor=actor, name=name, type=type_, internal=internal, allow_similar=True)
            created["stakeholders"] += 1
    for (title, kind, start, end, place, country, counterparts, dgs, actions, agreements, participants, territory,
         stakeholders, follow_up, funding) in ACTIVITIES:
        if Activity.objects.filter(title=title).exists():
            continue
        activity_create(
            actor=actor, kind=kind, title=title, starts_on=start, ends_on=end, place=place, country_code=country,
            participants=participants, participants_on_territory=territory, follow_up_projects=follow_up,
            funding_applications=funding,
            counterparts=list(Counterpart.objects.filter(name__in=counterparts)),
            dgs=list(Sector.objects.filter(code__in=dgs)),
            plan_actions=list(Action.objects.filter(plan__code=plan_code, number__in=actions)),
            agreements=list(Agreement.objects.filter(title__in=agreements)),
            stakeholders=list(Stakeholder.objects.filter(name__in=stakeholders)),
        )
        created["activities"] += 1
    return created
