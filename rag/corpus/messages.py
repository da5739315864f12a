"""Why a change to the corpus is refused, in French for the web app and in English for the command line.

Each refusal is a code with a French and an English template over the same facts, so both interfaces say
the same thing in their language, and tests can check the code rather than the wording.
"""

from __future__ import annotations

from rag.errors import InputError

MESSAGES: dict[str, tuple[str, str]] = {
    "no_file": ("Aucun fichier reçu : choisissez un fichier à ajouter.",
                "No file given: name the file to add."),
    "missing": ("Le fichier « {name} » est introuvable.", "{name} does not exist."),
    "not_a_file": ("« {name} » n'est pas un fichier.", "{name} is not a file."),
    "empty": ("« {name} » est vide.", "{name} is empty."),
    "too_large": ("« {name} » fait {size} Mo, au-delà de la limite de {limit} Mo : réduisez-le ou découpez-le "
                  "(la limite se règle avec RAG_MAX_UPLOAD_MB).",
                  "{name} is {size} MB, over the {limit} MB limit: shrink or split it, or raise RAG_MAX_UPLOAD_MB."),
    "path_in_name": ("Nom de fichier refusé : « {name} » contient un chemin (/, \\ ou ..) ; donnez un simple nom de fichier.",
                     "File name refused: {name!r} holds a path (/, \\ or ..); give a plain file name."),
    "unknown_type": ("« {name} » n'est ni un PDF, ni un document Word (.docx), ni du texte UTF-8 (.txt, .md, .html) : "
                     "{why_fr}. Formats acceptés : .pdf, .docx, .txt, .md, .html.",
                     "{name} is neither a PDF, nor a Word document (.docx), nor UTF-8 text (.txt, .md, .html): {why_en}. "
                     "Accepted: .pdf, .docx, .txt, .md, .html."),
    "type_mismatch": ("« {name} » porte l'extension {suffix} mais son contenu est {actual_fr} : vérifiez que c'est le "
                      "bon fichier, ou renommez-le avec l'extension de son contenu.",
                      "{name} is named {suffix} but holds {actual_en}: check that it is the right file, or rename it "
                      "after its content."),
    "pdf_unreadable": ("« {name} » commence comme un PDF mais ne peut pas être lu ({error}) : il est peut-être "
                       "endommagé ou protégé par un mot de passe ; ré-exportez-le en PDF.",
                       "{name} starts like a PDF but cannot be read ({error}): it may be damaged or password-protected; "
                       "export it to PDF again."),
    "pdf_no_text": ("« {name} » ne contient aucun texte extractible (un PDF scanné ?) : passez-le d'abord par une "
                    "reconnaissance de caractères (OCR).",
                    "{name} holds no extractable text (a scanned PDF?): run it through OCR first."),
    "docx_invalid": ("« {name} » n'est pas un document Word valide ({why_fr}) : ré-enregistrez-le au format .docx.",
                     "{name} is not a valid Word document ({why_en}): save it again as .docx."),
    "no_text": ("« {name} » ne contient aucun texte.", "{name} holds no text."),
    "duplicate_name": ("Un document « {doc_id} » existe déjà ({existing}) : supprimez-le d'abord, ou renommez votre "
                       "fichier.",
                       "A document {doc_id!r} already exists ({existing}): remove it first (rag remove {doc_id}), or "
                       "rename your file."),
    "duplicate_content": ("Ce fichier est déjà dans le corpus, sous le nom « {existing} ».",
                          "This file is already in the corpus, as {existing}."),
    "bad_date": ("Date non valide « {value} » : écrivez AAAA, AAAA-MM ou AAAA-MM-JJ (par exemple 2025-06-24).",
                 "Invalid date {value!r}: write YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2025-06-24)."),
    "field_too_long": ("{field_fr} trop long ({n} caractères, au plus {limit}).",
                       "{field_en} too long ({n} characters, at most {limit})."),
    "unknown_document": ("Document inconnu « {doc_id} ». Documents du corpus : {known}.",
                         "Unknown document id {doc_id!r}. Documents of the corpus: {known}."),
    "last_document": ("« {doc_id} » est le dernier document du corpus : ajoutez-en un autre avant de le supprimer.",
                      "{doc_id} is the last document of the corpus: add another one before removing it."),
    "metadata_unreadable": ("Le fichier des métadonnées du corpus est illisible ({error}) : corrigez-le d'abord.",
                            "{path} cannot be read ({error}): fix it first."),
    "disabled": ("L'ajout et la suppression de documents sont désactivés sur ce serveur (RAG_ALLOW_UPLOAD) : "
                 "demandez-le à la personne qui l'administre.",
                 "Adding and removing documents is turned off on this server (RAG_ALLOW_UPLOAD)."),
    "login_required": ("Connectez-vous pour ajouter ou supprimer des documents.",
                       "Log in to add or remove documents."),
    "index_failed": ("L'indexation a échoué ({error}) ; le corpus a été remis dans son état précédent et l'assistant "
                     "répond toujours avec l'index précédent. Réessayez ; si l'échec se répète, consultez le journal "
                     "du serveur.",
                     "Indexing failed ({error}); the corpus was put back as it was and the previous index is kept. "
                     "Try again; if it fails again, see the log."),
    "queue_full": ("Trop de documents en attente d'indexation ({n}) : réessayez dans quelques minutes.",
                   "Too many documents waiting to be indexed ({n}): try again in a few minutes."),
}


class CorpusChangeRefused(InputError):
    """A change to the corpus that was refused; `str()` is English, `french` is for the web app."""

    def __init__(self, code: str, **facts):
        self.code = code
        self.facts = facts
        french, english = MESSAGES[code]
        self.french = french.format(**facts)
        super().__init__(english.format(**facts))
