"""Our import columns, the template file, and guessing which of a file's columns is which."""

import csv
import io
import re
import unicodedata

IGNORE, CUSTOM = "ignore", "custom"

# (field, label, synonyms). Synonyms are compared after normalise_header: lower case, no accents,
# letters and digits only. English, German, French, Spanish, Dutch and Italian headers.
FIELDS = [
    (
        "email",
        "Email",
        [
            "email",
            "emailaddress",
            "mail",
            "emailadresse",
            "courriel",
            "adressemail",
            "correo",
            "correoelectronico",
            "businessemail",
            "workemail",
            "contactemail",
            "epost",
        ],
    ),
    (
        "first_name",
        "First name",
        ["firstname", "givenname", "forename", "vorname", "prenom", "nombre", "voornaam", "fname", "first"],
    ),
    (
        "last_name",
        "Last name",
        [
            "lastname",
            "surname",
            "familyname",
            "nachname",
            "nom",
            "nomdefamille",
            "apellido",
            "apellidos",
            "achternaam",
            "cognome",
            "lname",
            "last",
            "name2",
        ],
    ),
    (
        "full_name",
        "Full name (split into first and last name)",
        ["name", "fullname", "contactname", "contact", "vollstandigername", "nomcomplet", "nombrecompleto"],
    ),
    (
        "company",
        "Company",
        [
            "company",
            "companyname",
            "organisation",
            "organization",
            "organisationname",
            "organizationname",
            "account",
            "accountname",
            "firma",
            "unternehmen",
            "firmenname",
            "societe",
            "entreprise",
            "empresa",
            "bedrijf",
            "azienda",
            "employer",
        ],
    ),
    (
        "job_title",
        "Job title",
        [
            "jobtitle",
            "title",
            "position",
            "role",
            "jobrole",
            "jobfunction",
            "function",
            "berufsbezeichnung",
            "titel",
            "funktion",
            "poste",
            "fonction",
            "cargo",
            "puesto",
            "functie",
        ],
    ),
    (
        "phone",
        "Phone",
        [
            "phone",
            "phonenumber",
            "telephone",
            "tel",
            "mobile",
            "mobilephone",
            "cell",
            "cellphone",
            "telefon",
            "telefonnummer",
            "handy",
            "mobil",
            "telephone",
            "telefono",
            "telefoon",
            "businessphone",
            "workphone",
            "directphone",
        ],
    ),
    ("country", "Country", ["country", "countrycode", "land", "pays", "pais", "paese", "nation", "countryregion"]),
    (
        "industry",
        "Industry",
        ["industry", "sector", "vertical", "branche", "industrie", "secteur", "sector", "industria"],
    ),
    (
        "employees",
        "Employees",
        [
            "employees",
            "numberofemployees",
            "employeecount",
            "companysize",
            "headcount",
            "staff",
            "mitarbeiter",
            "anzahlmitarbeiter",
            "mitarbeiterzahl",
            "effectif",
            "empleados",
            "size",
        ],
    ),
    (
        "employee_band",
        "Employee band",
        ["employeeband", "employeerange", "sizeband", "companysizeband", "mitarbeiterklasse", "tranche"],
    ),
    (
        "seniority",
        "Seniority",
        ["seniority", "level", "joblevel", "managementlevel", "hierarchie", "ebene", "seniorite"],
    ),
    (
        "consent",
        "Consent",
        [
            "consent",
            "optin",
            "marketingconsent",
            "emailconsent",
            "gdprconsent",
            "einwilligung",
            "consentement",
            "consentimiento",
            "permission",
        ],
    ),
    (
        "tags",
        "Tags (comma-separated)",
        ["tags", "tag", "labels", "schlagworte", "schlagwort", "etiketten", "etiquettes", "etiquetas", "etichette"],
    ),
    ("utm_source", "UTM source", ["utmsource", "source", "leadsource", "quelle"]),
    ("utm_medium", "UTM medium", ["utmmedium", "medium"]),
    ("utm_campaign", "UTM campaign", ["utmcampaign", "campaign", "campaignname", "kampagne", "campagne", "campana"]),
    ("utm_term", "UTM term", ["utmterm"]),
    ("utm_content", "UTM content", ["utmcontent"]),
]
FIELD_LABELS = {name: label for name, label, _ in FIELDS}
SYNONYMS = {synonym: name for name, _, synonyms in FIELDS for synonym in synonyms}

TEMPLATE_COLUMNS = [
    "email",
    "first_name",
    "last_name",
    "company",
    "job_title",
    "phone",
    "country",
    "industry",
    "employees",
    "employee_band",
    "seniority",
    "consent",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "tags",
]
TEMPLATE_EXAMPLE = [
    "jane.doe@meridian-bank.de",
    "Jane",
    "Doe",
    "Meridian Bank",
    "Head of Marketing",
    "+49 30 1234567",
    "DE",
    "banking",
    "1200",
    "1000-4999",
    "director",
    "granted",
    "tradefair",
    "offline",
    "berlin-2026",
    "trade-fair, berlin-2026",
]


def template_csv() -> str:
    """The template file: our column names and one example row (UTF-8, comma-separated)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(TEMPLATE_COLUMNS)
    writer.writerow(TEMPLATE_EXAMPLE)
    return buffer.getvalue()


def normalise_header(header: str) -> str:
    """'E-Mail Adresse ' -> 'emailadresse', 'Prénom' -> 'prenom': case, spaces, accents, punctuation ignored."""
    text = unicodedata.normalize("NFKD", str(header)).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"\(\d+\)$", "", text.strip())  # our suffix for a repeated column name
    return re.sub(r"[^a-z0-9]", "", text)


def guess_field(header: str) -> str:
    key = normalise_header(header)
    if not key:
        return CUSTOM
    if key in SYNONYMS:
        return SYNONYMS[key]
    if key in FIELD_LABELS:
        return key
    if key.replace("_", "") in SYNONYMS:
        return SYNONYMS[key.replace("_", "")]
    return CUSTOM


def guess_mapping(headers: list[str]) -> list[str]:
    """One target per column; each of our fields goes to the first column that looks like it, later
    look-alikes stay custom answers."""
    used, mapping = set(), []
    for header in headers:
        target = guess_field(header)
        if target not in (CUSTOM, IGNORE) and target in used:
            target = CUSTOM
        used.add(target)
        mapping.append(target)
    if "full_name" in used and {"first_name", "last_name"} <= used:
        mapping = [CUSTOM if target == "full_name" else target for target in mapping]
    return mapping


def mapping_choices():
    return [
        (IGNORE, "Don't import this column"),
        (CUSTOM, "Keep as a custom answer (stored on the lead)"),
        *[(name, label) for name, label, _ in FIELDS],
    ]


def mapping_problems(headers: list[str], mapping: list[str]) -> list[str]:
    """What stops this mapping from being used, one message per problem, naming the columns."""
    problems = []
    if len(mapping) != len(headers):
        return ["Map every column."]
    columns_by_field = {}
    for header, target in zip(headers, mapping, strict=True):
        if target in (IGNORE, CUSTOM):
            continue
        if target not in FIELD_LABELS:
            problems.append(f"Column '{header}': unknown field {target!r}.")
            continue
        columns_by_field.setdefault(target, []).append(header)
    for target, columns in columns_by_field.items():
        if len(columns) > 1:
            problems.append(
                f"{FIELD_LABELS[target]} is chosen for more than one column: "
                + ", ".join(f"'{column}'" for column in columns)
                + "."
            )
    if "email" not in columns_by_field:
        problems.append("Choose the column that holds the email address: every lead needs one.")
    return problems
