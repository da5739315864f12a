"""Build rag/answer/data/verifier_pairs.jsonl: labelled (claim, passage, supported) pairs for the citation verifier.

    .venv/bin/python scripts/build_verifier_pairs.py            # needs a built index (rag index)

The claims below were written by hand from the shipped question set (rag/evaluation/data/questions.jsonl:
its reference answers and evidence strings), the way an LLM answer would state them; the held-out sets
(tests/heldout*.jsonl) were not used. Kinds:
  P  true paraphrase of the evidence (reordered, synonyms, nominalisations, restated question) -> supported
  F  wrong figure (a number or a number word changed)                                          -> not supported
  N  wrong name (a person, place, company or body replaced by another)                         -> not supported
  S  swapped entities or roles (every word is in the passage, the relation is not)              -> not supported
  E  a true statement with an invented detail added                                             -> not supported
  W  the true claim paired with another passage retrieved for the question that lacks the fact   -> not supported
The passage of P/F/N/S/E pairs is the indexed chunk holding the question's first evidence string; the
passage of W pairs is the best-ranked other chunk (hybrid retrieval, top 10) that contains none of the
question's evidence or facts. Passage texts are stored in the file, so the set does not move when the
chunking changes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "rag" / "answer" / "data" / "verifier_pairs.jsonl"

CLAIMS: list[tuple[str, str, str]] = [
    # --- mediacites-2025-defense-eldorado ---------------------------------------------------------
    ("q001", "P", "Les Assises régionales de la défense ont eu lieu à Chantilly, dans l'Oise, le 24 juin 2025."),
    ("q001", "P", "C'est dans l'Oise, à Chantilly, que l'État a assisté aux Assises de la défense co-organisées avec la Région."),
    ("q001", "N", "Les Assises régionales de la défense se sont tenues à Compiègne, dans l'Oise."),
    ("q001", "F", "Les Assises régionales de la défense se sont tenues à Chantilly le 14 juin 2025."),
    ("q001", "W", "Les Assises régionales de la défense se sont tenues à Chantilly, dans l'Oise."),
    ("q002", "P", "La start-up Asterodyn, du Pas-de-Calais, a obtenu une première subvention de 30 000 euros."),
    ("q002", "P", "Le projet d'Asterodyn, chiffré à 400 000 euros, a bénéficié d'une première aide de 30 000 euros."),
    ("q002", "F", "Asterodyn a reçu une subvention de 40 000 euros pour son projet de drones."),
    ("q002", "S", "Une subvention de 400 000 euros a été accordée à Asterodyn pour un projet de 30 000 euros."),
    ("q002", "W", "La start-up Asterodyn a reçu une subvention de 30 000 euros."),
    ("q003", "P", "Les drones d'Asterodyn peuvent voler jusqu'à 400 kilomètres à l'heure."),
    ("q003", "P", "Asterodyn fabrique des drones parmi les plus rapides du monde, capables d'atteindre 400 km/h."),
    ("q003", "F", "Les drones produits par Asterodyn atteignent jusqu'à 300 kilomètres heure."),
    ("q003", "E", "Les drones d'Asterodyn atteignent 400 kilomètres heure et sont déjà vendus à l'armée américaine."),
    ("q004", "P", "Le Pass Drones est un dispositif d'accompagnement destiné à structurer la filière des drones."),
    ("q004", "P", "Adopté en juin par le conseil régional, le Pass Drones vise la structuration d'une filière jugée stratégique pour la souveraineté industrielle."),
    ("q004", "N", "Le Pass Drones est un programme de la Commission européenne pour structurer la filière drones."),
    ("q004", "W", "Le Pass Drones est un programme d'accompagnement visant à structurer la filière drones."),
    ("q005", "P", "Yann Orpin, le vice-président du Medef, qualifie Xavier Bertrand de « général civil »."),
    ("q005", "N", "C'est Pierre Foulquier, vice-président du Medef, qui qualifie Xavier Bertrand de « général civil »."),
    ("q005", "S", "Xavier Bertrand qualifie Yann Orpin, vice-président du Medef, de « général civil »."),
    ("q006", "P", "Xavier Bertrand s'est exprimé devant une vingtaine de chefs d'entreprise locaux au campus du Medef de Marcq-en-Barœul."),
    ("q006", "N", "Xavier Bertrand a parlé devant une vingtaine d'entrepreneurs réunis sur le campus du Medef à Villeneuve-d'Ascq."),
    ("q006", "F", "Xavier Bertrand a tenu son discours devant une centaine d'entrepreneurs locaux sur le campus du Medef."),
    ("q007", "P", "Pierre Foulquier, sous-directeur chaînes d'approvisionnement et Territoires, a présenté les objectifs de la DGA."),
    ("q007", "N", "Les objectifs de la direction générale de l'armement ont été listés par Yann Orpin."),
    ("q008", "P", "Asterodyn compte implanter une nouvelle société à Villeneuve-d'Ascq pour élargir sa gamme vers le militaire."),
    ("q008", "N", "Asterodyn va créer une nouvelle société à Lille pour viser les applications militaires."),
    ("q008", "E", "Asterodyn va créer une nouvelle société à Villeneuve-d'Ascq, où elle embauchera 200 ingénieurs."),
    # --- region-hdf-2025-assises-defense -----------------------------------------------------------
    ("q009", "P", "La task-force régionale a pour objectif de mobiliser jusqu'à 250 millions d'euros d'ici 2028."),
    ("q009", "P", "D'ici 2028, jusqu'à 250 millions d'euros doivent être mobilisés par une task-force régionale pour soutenir des projets industriels à fort impact."),
    ("q009", "F", "La task-force régionale doit mobiliser jusqu'à 250 millions d'euros d'ici 2030."),
    ("q009", "F", "La task-force régionale doit mobiliser jusqu'à 250 milliards d'euros d'ici 2028."),
    ("q009", "W", "La task-force régionale doit mobiliser jusqu'à 250 millions d'euros d'ici 2028."),
    ("q010", "P", "Parmi les atouts de la région pour la défense figurent les ports stratégiques de Dunkerque, Calais et Boulogne-sur-Mer."),
    ("q010", "N", "Les ports stratégiques cités sont Dunkerque, Calais et Le Havre."),
    ("q010", "S", "Les ports stratégiques de la région sont Méaulte et Seclin."),
    ("q011", "P", "Méaulte et Seclin accueillent des sites aéronautiques de pointe."),
    ("q011", "N", "Les sites aéronautiques de pointe mentionnés sont Méaulte et Albert."),
    ("q011", "S", "Les sites aéronautiques de pointe mentionnés sont Dunkerque et Calais."),
    ("q012", "P", "La lettre d'engagement a été signée par l'État, la Région, la CCI Hauts-de-France et Entreprises & Cités."),
    ("q012", "N", "La lettre d'engagement a été signée par l'État, la Région et le Medef."),
    ("q012", "W", "La lettre d'engagement a été signée par l'État, la Région, la CCI Hauts-de-France et Entreprises & Cités."),
    ("q013", "P", "Le partenariat prévoit de renforcer la BITD, la filière industrielle de défense régionale, jusqu'aux sous-traitants de rang 2 et 3."),
    ("q013", "F", "Le renforcement de la BITD concerne aussi les sous-traitants de rang 4 et 5."),
    ("q014", "P", "La Région intégrera les besoins de recrutement du ministère des Armées dans sa carte des formations afin d'adapter l'offre éducative aux compétences recherchées."),
    ("q014", "P", "L'objectif de l'intégration des besoins du Ministère des Armées est une meilleure adéquation entre formations et besoins en compétences."),
    ("q014", "N", "La Région intégrera les besoins de recrutement d'Airbus dans la carte des formations régionales."),
    ("q015", "P", "Les Assises régionales de la défense ont été organisées dans le cadre du forum international World in Progress."),
    ("q015", "N", "Les Assises régionales de la défense ont été organisées dans le cadre du salon du Bourget."),
    ("q016", "P", "Hauts-de-France Financement et Nord France Invest seront mobilisés avec tout l'écosystème régional pour accélérer la transition stratégique."),
    ("q016", "N", "Bpifrance et Nord France Invest seront mis à contribution pour accélérer cette transition."),
    ("q017", "P", "L'un des axes clés du partenariat est le développement d'une filière drones dans les Hauts-de-France."),
    ("q017", "P", "Le partenariat vise notamment à protéger les actifs stratégiques contre les prises de contrôle étrangères."),
    ("q017", "E", "Un axe clé du partenariat est le développement d'une filière drones financée par l'OTAN."),
    # --- elus-locaux-2025-transition-industrielle -------------------------------------------------------
    ("q018", "P", "Les trois gigafactories représentent au total 2.800 emplois."),
    ("q018", "P", "Selon Xavier Bertrand, 2 800 emplois sont liés aux trois gigafactories."),
    ("q018", "F", "Les trois gigafactories représentent 3.800 emplois."),
    ("q018", "F", "Les quatre gigafactories représentent 2.800 emplois."),
    ("q018", "W", "Les trois gigafactories représentent 2.800 emplois."),
    ("q019", "P", "La Région a investi 81 millions d'euros dans la première gigafactory, sur un investissement total de 1,5 milliard d'euros."),
    ("q019", "P", "Xavier Bertrand affirme avoir mis plus d'argent que les autres, soit 81 millions d'euros, pour la première gigafactory."),
    ("q019", "F", "La Région a investi 91 millions d'euros dans la première gigafactory."),
    ("q019", "S", "La Région a investi 200 millions d'euros dans la première gigafactory, sur 1,5 milliard d'euros d'investissement."),
    ("q019", "W", "La Région a investi 81 millions d'euros dans la première gigafactory."),
    ("q020", "P", "L'usine ACC, inaugurée en mai 2023, se trouve à Douvrin, dans le Pas-de-Calais."),
    ("q020", "N", "L'usine ACC inaugurée en mai 2023 se trouve à Bourbourg."),
    ("q020", "F", "L'usine ACC de Douvrin a été inaugurée en mai 2021."),
    ("q020", "W", "L'usine ACC inaugurée en mai 2023 est située à Douvrin, dans le Pas-de-Calais."),
    ("q021", "P", "La gigafactory de la start-up grenobloise Verkor est installée à Bourbourg, près de Dunkerque."),
    ("q021", "S", "La gigafactory de Verkor est installée à Lambres-lez-Douai."),
    ("q021", "N", "La gigafactory de Verkor est installée à Gravelines, près de Dunkerque."),
    ("q021", "W", "La gigafactory de Verkor est installée à Bourbourg, près de Dunkerque."),
    ("q022", "P", "Le datacenter près de Valenciennes doit créer à terme 2.400 emplois permanents."),
    ("q022", "P", "À terme, 2 400 emplois permanents sont attendus grâce au datacenter installé près de Valenciennes."),
    ("q022", "F", "Le datacenter près de Valenciennes doit créer 4.200 emplois permanents."),
    ("q022", "W", "Le datacenter près de Valenciennes doit créer 2.400 emplois permanents."),
    ("q023", "P", "Brookfield a annoncé 20 milliards d'euros d'ici 2030, dont la moitié pour le futur datacenter."),
    ("q023", "P", "Le fonds canadien Brookfield prévoit d'investir 20 milliards d'euros d'ici à 2030."),
    ("q023", "F", "Brookfield a annoncé un montant de 20 millions d'euros d'ici 2030."),
    ("q023", "N", "Data4 a annoncé un montant de 20 milliards d'euros d'ici 2030."),
    ("q023", "W", "Brookfield a annoncé un montant de 20 milliards d'euros d'ici 2030."),
    ("q024", "P", "Selon la Cour des comptes, la région a accordé 162 millions d'euros d'aides directes à la transformation de l'industrie automobile."),
    ("q024", "F", "Selon la Cour des comptes, la région a accordé 126 millions d'euros d'aides directes à l'industrie automobile."),
    ("q025", "P", "Les délais d'implantation des entreprises sont passés de douze ou quatorze mois à six ou neuf mois."),
    ("q025", "P", "La région a ramené à six ou neuf mois, contre douze ou quatorze auparavant, les délais pour qu'une entreprise s'implante."),
    ("q025", "F", "La région a réduit les délais d'implantation des entreprises à trois mois."),
    ("q025", "W", "La région a réduit de douze ou quatorze mois à six ou neuf mois les délais pour les implantations d'entreprises."),
    ("q026", "P", "Xavier Bertrand était sûr de gagner parce qu'il avait mis plus d'argent que les autres dans la première gigafactory."),
    ("q026", "S", "Xavier Bertrand était sûr de gagner parce que les autres collectivités avaient mis plus d'argent que la Région."),
    ("q027", "P", "L'aciérie électrique Ascoval de Sainte-Saulve a été défendue alors qu'une partie de son activité risquait d'être transférée en Allemagne."),
    ("q027", "N", "L'aciérie électrique Ascoval de Sainte-Saulve a été défendue face à un transfert d'activité en Italie."),
    ("q027", "F", "L'aciérie Ascoval était menacée en 2019 de voir une partie de son activité transférée en Allemagne."),
    ("q028", "P", "Le sigle ZAN signifie zéro artificialisation nette."),
    ("q028", "P", "Parmi les ingrédients de la réindustrialisation, Xavier Bertrand cite la capacité de négocier autour de la loi ZAN."),
    ("q029", "P", "L'entreprise française Data4 porte un projet de centre de données de 5 milliards d'euros."),
    ("q029", "F", "Data4 porte un projet de 15 milliards d'euros."),
    ("q029", "N", "Un projet de 5 milliards d'euros est porté par le canadien Brookfield."),
    ("q030", "P", "Dunkerque cumule plus de 10 milliards d'euros d'investissements privés dans la décarbonation."),
    ("q030", "F", "Dunkerque cumule plus de 100 milliards d'euros d'investissements privés dans la décarbonation."),
    ("q030", "W", "Dunkerque cumule plus de 10 milliards d'euros d'investissements privés dans la décarbonation des industries lourdes."),
    ("q032", "P", "L'Institut Montaigne propose de créer une douzaine de zones prioritaires de relance industrielle."),
    ("q032", "P", "Dans un rapport, l'Institut Montaigne suggère la création d'une douzaine de « zones prioritaires de relance industrielle » centrées sur l'accès au foncier."),
    ("q032", "N", "La Cour des comptes propose de créer une douzaine de zones prioritaires de relance industrielle."),
    ("q032", "F", "L'Institut Montaigne propose de créer une cinquantaine de zones prioritaires de relance industrielle."),
    # --- aletheia-2024-territoires-industrie ----------------------------------------------------------
    ("q033", "P", "Pour la phase II, 18 territoires des Hauts-de-France ont choisi de rejoindre le dispositif ou de s'y réengager."),
    ("q033", "P", "Dix-huit territoires participent à la deuxième phase de Territoires d'industrie."),
    ("q033", "F", "Pour la phase II, 14 territoires des Hauts-de-France ont décidé de se réengager."),
    ("q033", "W", "18 territoires des Hauts-de-France participent à la phase II de Territoires d'industrie."),
    ("q034", "P", "La phase I du programme (2019-23) a réuni 14 acteurs en Hauts-de-France."),
    ("q034", "S", "En Hauts-de-France, 18 acteurs ont participé à la phase I et 14 à la phase II."),
    ("q034", "F", "En Hauts-de-France, 16 acteurs ont participé à la phase I."),
    ("q035", "P", "Une enveloppe d'environ cinq millions d'euros est débloquée dans le cadre du Fonds Vert."),
    ("q035", "P", "Le Fonds Vert apporte une enveloppe d'investissement de près de cinq millions d'euros."),
    ("q035", "F", "Une enveloppe d'environ huit millions d'euros est débloquée dans le cadre du Fonds Vert."),
    ("q035", "N", "Une enveloppe d'environ cinq millions d'euros est débloquée dans le cadre de France 2030."),
    ("q035", "W", "Une enveloppe d'environ cinq millions d'euros est débloquée dans le cadre du Fonds Vert."),
    ("q036", "P", "Nacon, concepteur de manettes de jeux vidéo, souhaite relocaliser une partie de sa production du côté de Douai."),
    ("q036", "P", "Le fabricant de manettes Nacon fait partie des quatre entreprises finalement accompagnées."),
    ("q036", "N", "Nacon souhaite relocaliser une partie de sa production du côté de Valenciennes."),
    ("q036", "F", "Nacon fait partie des six entreprises finalement accompagnées."),
    ("q036", "W", "Nacon, concepteur de manettes de jeux vidéo, souhaite relocaliser une partie de sa production près de Douai."),
    ("q037", "P", "Les projets des industriels rencontrés représentaient 550 emplois potentiels."),
    ("q037", "P", "Une centaine de projets, porteurs de 550 emplois potentiels, ont été identifiés auprès d'une cinquantaine d'industriels."),
    ("q037", "F", "Les projets des industriels rencontrés portaient 750 emplois potentiels."),
    ("q037", "S", "Une cinquantaine de projets portés par une centaine d'industriels représentaient 550 emplois potentiels."),
    ("q038", "P", "La phase II met l'accent sur le recrutement, le foncier, l'innovation et la transition environnementale."),
    ("q038", "E", "La phase II met l'accent sur le recrutement, le foncier et l'exportation vers l'Asie."),
    ("q039", "P", "Jean-Baptiste Gueusquin dirige le programme Territoires d'industrie."),
    ("q039", "N", "Le directeur du programme Territoires d'industrie est Stéphane Leuleu."),
    ("q039", "P", "Pour Jean-Baptiste Gueusquin, les Hauts-de-France comptent parmi les régions les plus dynamiques du programme."),
    ("q040", "P", "La deuxième phase du dispositif couvre la période 2024-2027."),
    ("q040", "F", "La deuxième phase du dispositif est lancée sur 2023-2026."),
    ("q041", "P", "À Mers-les-Bains, le programme a rapproché les établissements scolaires et les industriels pour attirer les jeunes vers l'industrie."),
    ("q041", "N", "À Abbeville, Territoires d'industrie a facilité la mise en relation entre les écoles et les industriels."),
    ("q042", "P", "Philippe Beauchamps est vice-président de la Région chargé des relations aux entreprises, de l'emploi et de la formation professionnelle."),
    ("q042", "S", "Jean-Baptiste Gueusquin est vice-président de la Région en charge des relations aux entreprises."),
    ("q095", "P", "Trois outils sont mis à la disposition des territoires labellisés, dont la généralisation des chefs de projets et des missions d'ingénierie."),
    ("q095", "F", "Cinq outils vont être mis à la disposition des territoires labellisés."),
    ("q096", "P", "Le programme Territoires d'industrie a pour vocation de faciliter l'émergence de projets industriels en réunissant l'État, la Région, les EPCI et les industriels."),
    ("q096", "E", "Le programme Territoires d'industrie, financé par l'Union européenne, vise à faciliter l'émergence de projets industriels."),
    ("q097", "P", "Émilie Bouville est responsable des ressources humaines de la verrerie Verescence."),
    ("q097", "N", "Émilie Bouville est responsable RH au sein de la verrerie Arc."),
    ("q094", "P", "Nacon dépendait fortement de l'Asie et la crise sanitaire a eu un réel impact sur son activité."),
    ("q094", "N", "Nacon dépendait beaucoup des États-Unis, selon David Talmat."),
    # --- more from the defence and battery articles -------------------------------------------------
    ("q088", "P", "Le pari des gigafactories reste risqué car la demande de véhicules électriques est hésitante et la concurrence internationale forte."),
    ("q088", "S", "Le pari reste risqué car la demande de véhicules électriques est forte et la concurrence internationale hésitante."),
    ("q089", "P", "Selon Xavier Bertrand, il n'y a pas de débat car les entreprises étrangères transfèrent réellement leur technologie vers la France."),
    ("q090", "P", "La gigafactory AESC, filiale du chinois Envision, doit produire les batteries des Renault R4 et R5."),
    ("q090", "N", "La gigafactory AESC, filiale du japonais Nissan, doit produire les batteries des Renault R4 et R5."),
    ("q090", "S", "La gigafactory Verkor doit produire les batteries électriques des modèles R4 et R5 de Renault."),
    ("q090", "F", "La gigafactory AESC doit produire les batteries des Renault R6 et R7."),
    ("q091", "P", "Le verrier Arc a été placé en redressement judiciaire malgré plusieurs plans de sauvetage."),
    ("q091", "N", "Le verrier Duralex a été placé en redressement judiciaire malgré les plans de sauvetage de l'État."),
    ("q092", "P", "Pour Xavier Bertrand, la réindustrialisation demande une vraie volonté politique, du foncier et de la formation."),
    ("q093", "P", "La région s'est lancée dans l'installation de gigafactories de batteries pour véhicules électriques, d'où le nom de « vallée de la batterie »."),
    ("q098", "P", "Selon la Région, la nécessité de renforcer la défense française s'impose dans un contexte mondial de plus en plus instable."),
    ("q099", "P", "La convention prévoit une protection contre les prises de contrôle étrangères sur des actifs stratégiques."),
    ("q100", "P", "Le partenariat soutient l'innovation duale, à la fois civile et militaire, notamment grâce à France 2030."),
    ("q100", "N", "Le partenariat soutient l'innovation duale, civile et militaire, notamment via le Fonds Vert."),
    ("q101", "P", "Les espoirs des dirigeants locaux pourraient vite être douchés car les barrières à l'entrée restent nombreuses."),
    ("q103", "P", "La DGA vise une efficience industrielle, des délais de production plus courts et une cadence accrue."),
    ("q104", "P", "Après les batteries électriques et les data centers, Xavier Bertrand veut désormais investir dans la défense."),
    ("q104", "S", "Après la défense et les data centers, la nouvelle obsession de Xavier Bertrand est d'investir dans les batteries électriques."),
    ("q105", "P", "L'usine ACC de Douvrin est portée par Stellantis, Mercedes-Benz et TotalEnergies."),
    ("q105", "N", "L'usine ACC de Douvrin est portée par Renault, Mercedes-Benz et TotalEnergies."),
    ("q106", "P", "Le datacenter installé près de Valenciennes devrait entrer en service à partir de 2030."),
    ("q106", "F", "Le datacenter près de Valenciennes devrait entrer en service à partir de 2027."),
    ("q108", "P", "Un cabinet extérieur a rencontré une cinquantaine d'industriels en trois mois."),
    ("q108", "F", "Un cabinet extérieur a rencontré une cinquantaine d'industriels en six mois."),
    # --- agence-hdf-2020-2040-prospective-industrie ----------------------------------------------
    ("q043", "P", "En 2019, l'industrie régionale comptait 276 456 emplois salariés privés."),
    ("q043", "F", "En 2019, l'industrie régionale comptait 267 456 emplois salariés privés."),
    ("q044", "P", "L'industrie représente 18,9 % de l'emploi salarié total en Hauts-de-France."),
    ("q044", "S", "L'industrie représente 16,2 % de l'emploi salarié total en Hauts-de-France, contre 18,9 % en France."),
    ("q045", "P", "La région compte 24 045 établissements industriels."),
    ("q045", "F", "La région compte 42 045 établissements industriels."),
    ("q047", "P", "La région réalise 16 % des exportations françaises et se classe 4e région exportatrice."),
    ("q047", "F", "La région réalise 26 % des exportations françaises."),
    ("q048", "P", "Le collège de prospective a élaboré 29 fiches variables."),
    ("q048", "F", "Le collège de prospective a élaboré 39 fiches variables."),
    ("q049", "P", "La séance de lancement a rassemblé 73 participants aux horizons variés."),
    ("q049", "F", "La séance de lancement a rassemblé 37 participants."),
    ("q050", "P", "La relocalisation est d'actualité à cause de la crise sanitaire, mais aussi des préoccupations écologiques et de l'attrait des consommateurs pour le local."),
    ("q050", "E", "La relocalisation est d'actualité à cause de la crise sanitaire et de la hausse des droits de douane américains."),
    ("q051", "P", "Les dons aux établissements de santé et la production de gel hydroalcoolique ont changé l'image de l'industrie auprès du grand public."),
    ("q052", "P", "Pendant le confinement, le thème récurrent a été « Imaginer le monde d'après »."),
    ("q053", "P", "La région compte 180 ETI, des entreprises de 250 à 4999 emplois."),
    ("q053", "F", "La région compte 280 ETI."),
    ("q066", "P", "La finalisation du travail était prévue pour le premier trimestre 2021."),
    ("q066", "F", "La finalisation du travail était prévue pour le premier trimestre 2022."),
    ("q067", "P", "L'atelier de Saint-Michel était prêt quand le confinement a obligé l'équipe à adapter son processus."),
    ("q067", "N", "L'atelier de Saint-Omer était prêt quand le confinement a obligé l'équipe à s'adapter."),
    ("q070", "P", "La robotisation, la réalité augmentée, le Big Data, les objets connectés et l'intelligence artificielle forment les socles de l'industrie de demain."),
    ("q072", "P", "Les fiches variables suivent un même modèle : évolutions passées, dynamiques actuelles, inflexions et ruptures éventuelles, état des lieux en région."),
    ("q074", "P", "L'effet local est un indicateur de la méthode « shift share » qui révèle un dynamisme économique local lorsqu'il est positif."),
    ("q076", "P", "Les Territoires d'industrie sont des intercommunalités rurales, périurbaines ou de villes petites et moyennes, à forte identité industrielle."),
    ("q077", "P", "SOFIE signifie Saint-Omer Flandre Interface d'Entreprises."),
    ("q077", "N", "SOFIE signifie Saint-Quentin Flandre Interface d'Entreprises."),
    ("q079", "P", "Faute d'ateliers prospectifs à cause du contexte sanitaire, l'équipe projet a lancé une série d'auditions."),
    ("q080", "P", "En ces temps incertains, la prospective doit préparer l'après, aider à la décision et enrichir la connaissance du système productif."),
    ("q082", "P", "La performance énergétique et environnementale est un levier pour une industrie durable et compétitive."),
    ("q083", "P", "Les entreprises qui tardent à se moderniser courent un risque vital."),
    ("q084", "P", "Le ralentissement de l'activité a entraîné une chute parfois spectaculaire des émissions de polluants et de gaz à effet de serre."),
    ("q084", "S", "Le ralentissement de l'activité a provoqué une hausse parfois spectaculaire des émissions de polluants."),
    ("q085", "P", "La crise sanitaire a renforcé l'idée qu'il fallait relocaliser certaines productions industrielles en France ou au moins en Europe."),
    ("q086", "P", "Les métiers de l'industrie, techniques et porteurs de sens, ont tout pour attirer les jeunes générations."),
    ("q086", "S", "Les jeunes générations ont tout pour conquérir les métiers de l'industrie, souvent dévalorisés."),
]


def main() -> int:
    from rag.evaluation.questions import load_questions
    from rag.index.store import load_index
    from rag.retrieval.retriever import Retriever
    from rag.settings import load_settings
    from rag.text.normalize import contains_normalized

    settings = load_settings()
    index = load_index(settings, quiet=True)
    retriever = Retriever(index, settings)
    questions = {q["id"]: q for q in load_questions(ROOT / "rag" / "evaluation" / "data" / "questions.jsonl")[0]}
    rows = []
    for i, (qid, kind, claim) in enumerate(CLAIMS, start=1):
        q = questions[qid]
        strings = q["evidence"] + q["facts"]
        in_doc = [c for c in index.chunks if q.get("doc") in (None, c.doc_id)]
        evidence_chunk = next(c for c in in_doc if contains_normalized(c.text, q["evidence"][0]))
        if kind == "W":
            ranked = retriever.search(q["question"], k=10)
            chunk = next(p.chunk for p in ranked if not any(contains_normalized(p.text, s) for s in strings))
        else:
            chunk = evidence_chunk
        rows.append({"id": f"v{i:03d}", "question_id": qid, "kind": kind, "supported": kind == "P", "claim": claim,
                     "doc_id": chunk.doc_id, "passage": chunk.text})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    kinds = {k: sum(r["kind"] == k for r in rows) for k in "PFNSEW"}
    print(f"{len(rows)} pairs written to {OUT.relative_to(ROOT)}: {kinds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
