"""The desk's words for staff, in English and Spanish: page text, and a label and help for each field."""

from __future__ import annotations

UI: dict[str, tuple[str, str]] = {
    "title": ("guidegen desk", "guidegen: escritorio"),
    "skip": ("Skip to the main content", "Ir al contenido principal"),
    "nav": ("Desk", "Escritorio"),
    "people": ("People", "Personas"),
    "reviews": ("Reviews due", "Revisiones pendientes"),
    "new_person": ("New person", "Nueva persona"),
    "import": ("Import records", "Importar registros"),
    "language": ("Desk language", "Idioma del escritorio"),
    "switch": ("Change", "Cambiar"),
    "search": ("Search by name or id", "Buscar por nombre o id"),
    "search_button": ("Search", "Buscar"),
    "show_all": ("Show everyone", "Mostrar a todos"),
    "name": ("Name", "Nombre"),
    "id": ("Id", "Id"),
    "guide_language": ("Language", "Idioma"),
    "stage": ("Stage", "Etapa"),
    "next_review": ("Next review", "Próxima revisión"),
    "overdue": ("overdue", "atrasada"),
    "no_date": ("no date set", "sin fecha"),
    "nobody": ("Nobody matches.", "Nadie coincide."),
    "invalid_files": ("Profiles that need fixing", "Perfiles que hay que corregir"),
    "open": ("Open", "Abrir"),
    "due_within": ("Overdue, or due in the next 30 days.", "Atrasadas o en los próximos 30 días."),
    "none_due": ("No review is due.", "No hay revisiones pendientes."),
    "days_overdue": ("{n} days overdue", "{n} días de atraso"),
    "today": ("today", "hoy"),
    "in_days": ("in {n} days", "en {n} días"),
    "edit": ("Profile", "Perfil"),
    "preview": ("Preview", "Vista previa"),
    "print": ("Print", "Imprimir"),
    "handover": ("Hand over", "Entregar"),
    "save": ("Save", "Guardar"),
    "saved": ("Saved.", "Guardado."),
    "unchanged": ("Nothing changed: the file was not written.", "No cambió nada: no se escribió el archivo."),
    "fix_errors": (
        "Not saved: fix the fields marked below.",
        "No se guardó: corrija los campos marcados abajo.",
    ),
    "file_errors": ("Problems in this profile file", "Problemas en este archivo de perfil"),
    "changed_on_disk": (
        "Not saved: someone changed this profile since you opened it. Open it again to see the new "
        "version, then make your changes again.",
        "No se guardó: alguien cambió este perfil después de que usted lo abrió. Ábralo de nuevo para ver "
        "la versión nueva y vuelva a hacer sus cambios.",
    ),
    "exists": ("A profile with this id already exists.", "Ya existe un perfil con este id."),
    "new_id_help": (
        "1 to 64 lowercase letters, digits and -, for example r-0950. Never the person's name: the id names files.",
        "De 1 a 64 letras minúsculas, dígitos y -, por ejemplo r-0950. Nunca el nombre de la persona: el id nombra archivos.",
    ),
    "add_row": ("Add a row", "Añadir una fila"),
    "row": ("Row {n}", "Fila {n}"),
    "rows_help": ("Leave a row empty to remove it.", "Deje una fila vacía para quitarla."),
    "one_per_line": ("One per line.", "Uno por línea."),
    "safety_plan": ("Safety plan", "Plan de seguridad"),
    "risk": ("Clinical risk", "Riesgo clínico"),
    "risk_help": (
        "Puts the safety pages first in the guide and in Start here.",
        "Pone primero las páginas de seguridad en la guía y en Empieza aquí.",
    ),
    "safety_help": (
        "The six steps of the Stanley-Brown safety plan, in the person's own words.",
        "Los seis pasos del plan de seguridad de Stanley-Brown, con las palabras de la persona.",
    ),
    "step": ("Step {n}", "Paso {n}"),
    "who_or_what": ("Who or what", "Quién o qué"),
    "phone": ("Phone", "Teléfono"),
    "who_or_what_help": ("A person, a place or a service.", "Una persona, un lugar o un servicio."),
    "phone_help": ("A number to call, when there is one.", "Un número para llamar, si lo hay."),
    "none": ("(none)", "(ninguno)"),
    "kept_note": (
        "Fields this form does not show (review history, comments) are kept as they are in the file.",
        "Los campos que este formulario no muestra (historial de revisiones, comentarios) se conservan como están.",
    ),
    "web_guide": ("Web guide", "Guía web"),
    "web_guide_frame": ("The person's web guide", "La guía web de la persona"),
    "open_guide": ("Open the web guide on its own", "Abrir la guía web sola"),
    "on_paper": ("On paper or web only", "En papel o solo en la web"),
    "module": ("Module", "Módulo"),
    "where": ("Where, and why", "Dónde y por qué"),
    "not_valid": (
        "This profile has problems: fix them in its form first.",
        "Este perfil tiene problemas: corríjalos primero en su formulario.",
    ),
    "print_intro": (
        "Builds this person's guide (web and PDF) as guidegen build does, then opens the PDF.",
        "Crea la guía de esta persona (web y PDF) como guidegen build, y luego abre el PDF.",
    ),
    "print_button": ("Build and print", "Crear e imprimir"),
    "printed": ("The printed guide is ready.", "La guía impresa está lista."),
    "open_pdf": ("Open the PDF", "Abrir el PDF"),
    "print_failed": ("The guide could not be built:", "No se pudo crear la guía:"),
    "link": ("Private link", "Enlace privado"),
    "qr": ("QR code of the private link", "Código QR del enlace privado"),
    "keep_private": (
        "Keep this link private: anyone who has it can read this person's guide. Give it only to them, "
        "in person or on their own phone.",
        "Mantenga este enlace en privado: quien lo tenga puede leer la guía de esta persona. Déselo solo a "
        "ella, en persona o en su propio teléfono.",
    ),
    "publish_note": (
        "The link opens the guide once it is built and published (Print builds it).",
        "El enlace abre la guía cuando está creada y publicada (Imprimir la crea).",
    ),
    "new_link": ("New link", "Enlace nuevo"),
    "new_link_help": (
        "Makes a new link and key; the old link stops working after the next build.",
        "Crea un enlace y una clave nuevos; el enlace anterior deja de funcionar tras la próxima creación.",
    ),
    "rotated": (
        "A new link was made: build again to publish it.",
        "Se creó un enlace nuevo: cree la guía de nuevo para publicarlo.",
    ),
    "import_intro": (
        "A FHIR R4 file from the record system (a Bundle .json, or NDJSON). Profiles are written or "
        "updated as guidegen import fhir does.",
        "Un archivo FHIR R4 del sistema de registros (un Bundle .json o NDJSON). Los perfiles se escriben o "
        "actualizan como con guidegen import fhir.",
    ),
    "file": ("FHIR file", "Archivo FHIR"),
    "import_button": ("Import", "Importar"),
    "import_report": ("What the import did", "Qué hizo la importación"),
    "refused": ("Refused", "Rechazado"),
    "not_found": ("Not found", "No encontrado"),
}
"""key -> (English, Spanish)."""

FIELDS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "id": (("Id", "Names the person's files; never their name."), ("Id", "Nombra los archivos; nunca el nombre.")),
    "name": (
        ("Name", "The name the guide calls the person."),
        ("Nombre", "El nombre con que la guía llama a la persona."),
    ),
    "pronouns": (("Pronouns", "For example she/her. Optional."), ("Pronombres", "Por ejemplo ella. Opcional.")),
    "language": (
        ("Language of the guide", "One of the site's languages."),
        ("Idioma de la guía", "Uno de los idiomas del sitio."),
    ),
    "format": (
        ("Print and screen needs", "Large print, dyslexia-friendly, high contrast."),
        ("Necesidades de impresión y pantalla", "Letra grande, dislexia, alto contraste."),
    ),
    "substances": (("Substances", "What the person uses or used."), ("Sustancias", "Lo que la persona usa o usó.")),
    "prescribed": (
        (
            "Taken only as prescribed",
            "Which of the substances the person takes only as directed; tick them under Substances too.",
        ),
        ("Solo como se recetó", "Cuáles de las sustancias toma solo como se indicó; márquelas también en Sustancias."),
    ),
    "stage": (
        ("Stage of change", "Where the person is with change."),
        ("Etapa de cambio", "Dónde está la persona con el cambio."),
    ),
    "conditions": (
        ("Co-occurring conditions", "Mental and physical health."),
        ("Condiciones concurrentes", "Salud mental y física."),
    ),
    "trauma_informed": (
        ("Trauma-informed wording", "Use trauma-informed wording and include trauma pages."),
        ("Lenguaje informado por el trauma", "Usar lenguaje informado por el trauma e incluir páginas sobre trauma."),
    ),
    "therapies": (
        ("Therapies and medicines", "Treatment the person has now."),
        ("Terapias y medicinas", "El tratamiento que tiene ahora."),
    ),
    "groups": (
        ("Mutual help and peer support", "Groups the person goes to or wants to try."),
        ("Ayuda mutua y apoyo entre pares", "Grupos a los que va o quiere probar."),
    ),
    "support_style": (
        ("Support style", "Secular, faith-based or open to any."),
        ("Estilo de apoyo", "Sin religión, basado en la fe o abierto."),
    ),
    "needs": (("Needs", "What the person needs help with now."), ("Necesidades", "Con qué necesita ayuda ahora.")),
    "strengths": (
        ("Strengths", "Recovery capital the person brings."),
        ("Fortalezas", "Lo que la persona aporta a su recuperación."),
    ),
    "population": (
        ("Groups with their own pages", "Young person, older adult, veteran ..."),
        ("Grupos con páginas propias", "Persona joven, adulto mayor, veterano ..."),
    ),
    "transitions": (
        ("Transitions", "Leaving jail, hospital, detox or residential care now or soon."),
        ("Transiciones", "Salida de la cárcel, el hospital o un programa residencial."),
    ),
    "goals": (
        ("Goals", "In the person's words, with a date to reach it and the date reached."),
        ("Metas", "Con las palabras de la persona, la fecha deseada y la fecha lograda."),
    ),
    "goals.text": (("Goal", "In the person's words."), ("Meta", "Con las palabras de la persona.")),
    "goals.by": (("By", "When they hope to reach it."), ("Para", "Cuándo espera lograrla.")),
    "goals.done": (("Reached on", "When they reached it."), ("Lograda el", "Cuándo la logró.")),
    "reasons": (
        ("Reasons for change", "What matters most to the person."),
        ("Razones para cambiar", "Lo que más le importa."),
    ),
    "triggers": (
        ("Triggers", "Situations that make using more likely."),
        ("Detonantes", "Situaciones que hacen más probable el consumo."),
    ),
    "warning_signs": (
        ("Warning signs", "Signs that a lapse may be coming."),
        ("Señales de alerta", "Señales de que puede venir una recaída."),
    ),
    "coping": (("Coping", "What helps the person cope."), ("Afrontamiento", "Lo que le ayuda a afrontar.")),
    "people": (
        ("Supporters", "People in the person's life who support them."),
        ("Personas de apoyo", "Personas que la apoyan."),
    ),
    "people.name": (("Name", "What the person calls them."), ("Nombre", "Cómo los llama la persona.")),
    "people.relation": (("Relation", "Sister, friend, sponsor ..."), ("Relación", "Hermana, amigo, padrino ...")),
    "people.phone": (("Phone", "A number to call."), ("Teléfono", "Un número para llamar.")),
    "care_team": (
        ("Care team", "Professionals on the person's care team."),
        ("Equipo de atención", "Profesionales del equipo de atención."),
    ),
    "care_team.name": (("Name", "Their name."), ("Nombre", "Su nombre.")),
    "care_team.role": (
        ("Role", "Counselor, prescriber, case manager ..."),
        ("Función", "Consejero, médico, gestor de casos ..."),
    ),
    "care_team.phone": (("Phone", "A number to call."), ("Teléfono", "Un número para llamar.")),
    "safety_plan.warning_signs": (
        ("Warning signs", "Signs that a crisis may be coming."),
        ("Señales de alerta", "Señales de que puede venir una crisis."),
    ),
    "safety_plan.coping": (
        ("Coping on my own", "Things I can do on my own to take my mind off problems."),
        ("Afrontar por mi cuenta", "Cosas que puedo hacer solo para distraerme de los problemas."),
    ),
    "safety_plan.distractions": (
        ("People and places that distract", "People and places that take my mind off things."),
        ("Personas y lugares que distraen", "Personas y lugares que me distraen."),
    ),
    "safety_plan.help": (
        ("People I can ask for help", "With a phone number when there is one."),
        ("Personas a quienes pedir ayuda", "Con un teléfono cuando lo hay."),
    ),
    "safety_plan.professionals": (
        ("Professionals and crisis lines", "Clinicians, crisis lines, the nearest emergency department."),
        ("Profesionales y líneas de crisis", "Clínicos, líneas de crisis, la sala de emergencias más cercana."),
    ),
    "safety_plan.safe_environment": (
        ("Making my surroundings safer", "Step 6 of the plan."),
        ("Hacer más seguro mi entorno", "Paso 6 del plan."),
    ),
    "safety_plan.reason_for_living": (
        ("Reason for living", "The one thing most important to me and worth living for."),
        ("Razón para vivir", "Lo más importante para mí y por lo que vale la pena vivir."),
    ),
    "review.next": (
        ("Next review", "The next review date, shown on the cover."),
        ("Próxima revisión", "La fecha de la próxima revisión, en la portada."),
    ),
    "measures": (
        ("Measures", "Scores over time: the measure, the day and the total score."),
        ("Mediciones", "Puntajes en el tiempo: la medición, el día y el puntaje total."),
    ),
    "measures.measure": (("Measure", "Which check."), ("Medición", "Cuál.")),
    "measures.date": (("Date", "When the check was done."), ("Fecha", "Cuándo se hizo.")),
    "measures.score": (
        ("Score", "The total score, within the measure's range."),
        ("Puntaje", "El puntaje total, dentro del rango."),
    ),
    "message": (
        ("Message from the care team", "A personal note, shown in the guide."),
        ("Mensaje del equipo", "Una nota personal, en la guía."),
    ),
    "print": (
        ("On paper", "Essentials: what fits the page budget. Full: every module."),
        ("En papel", "Esencial: lo que cabe en el presupuesto de páginas. Completa: todos los módulos."),
    ),
    "print.essentials": (("Essentials", ""), ("Esencial", "")),
    "print.full": (("Full", ""), ("Completa", "")),
}
"""field (dotted for nested ones) -> ((English label, help), (Spanish label, help))."""

LANGUAGES = ("en", "es")


def ui(language: str) -> dict[str, str]:
    """The page words in `language` (English when the desk has no words for it)."""
    index = LANGUAGES.index(language) if language in LANGUAGES else 0
    return {key: texts[index] for key, texts in UI.items()}


def field_text(field: str, language: str, fallback: str = "") -> tuple[str, str]:
    """A field's label and help in `language`; the schema's description when the desk has none."""
    index = LANGUAGES.index(language) if language in LANGUAGES else 0
    texts = FIELDS.get(field)
    if texts is None:
        return field.rsplit(".", 1)[-1].replace("_", " ").capitalize(), fallback
    return texts[index]
