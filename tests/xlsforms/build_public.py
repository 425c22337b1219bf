"""Rebuild the public real-world forms of tests/xlsforms/public/ (see SOURCES.md).

Each form has the structure of a published instrument: its question types, skip logic,
constraints, languages and header spellings, with the wording of the standard question sets.
No file is copied; run `python -m tests.xlsforms.build_public` to write them again.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent / "public"
Rows = list[tuple]


def workbook(
    survey: tuple[tuple[str, ...], Rows],
    choices: tuple[tuple[str, ...], Rows] | None,
    settings: dict[str, str],
) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "survey"
    for name, (header, rows) in (("survey", survey), ("choices", choices)):
        if header is None:
            continue
        sheet = ws if name == "survey" else wb.create_sheet(name)
        sheet.append(list(header))
        for row in rows:
            sheet.append([*row, *([None] * (len(header) - len(row)))])
    st = wb.create_sheet("settings")
    st.append(list(settings))
    st.append(list(settings.values()))
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


YN_EN_FR_AR = [
    ("yn", "yes", "Yes", "Oui", "نعم"),
    ("yn", "no", "No", "Non", "لا"),
]

# --- REACH multi-sector needs assessment (MSNA), household interview: consent and profile ----
MSNA = (
    (
        ("type", "name", "label::English (en)", "label::French (fr)", "label::Arabic (ar)",
         "hint::English (en)", "required", "relevant", "constraint",
         "constraint_message::English (en)", "appearance"),
        [
            ("start", "start"), ("end", "end"), ("today", "today"), ("deviceid", "deviceid"),
            ("begin_group", "intro", "Introduction", "Introduction", "مقدمة"),
            ("note", "intro_note",
             "Hello, we are carrying out an assessment of the needs of households in this "
             "area. **Participation is voluntary** and your answers stay anonymous.",
             "Bonjour, nous menons une évaluation des besoins des ménages de cette zone. "
             "**La participation est volontaire** et vos réponses restent anonymes.",
             "مرحبا، نقوم بتقييم احتياجات الأسر في هذه المنطقة. **المشاركة طوعية** وتبقى "
             "إجاباتك مجهولة."),
            ("select_one yn", "consent", "Do you agree to take part in this interview?",
             "Acceptez-vous de participer à cet entretien ?",
             "هل توافق على المشاركة في هذه المقابلة؟", None, "yes"),
            ("note", "no_consent",
             "Since you did not give consent, we will not proceed. Thank you for your time.",
             "Comme vous n'avez pas donné votre accord, nous n'allons pas continuer. Merci.",
             "بما أنك لم توافق، لن نتابع. شكرا لوقتك.", None, None, "${consent} = 'no'"),
            ("end_group",),
            ("begin_group", "hh_profile", "Household profile", "Profil du ménage", "ملف الأسرة",
             None, None, "${consent} = 'yes'"),
            ("select_one gender", "resp_gender", "What is your gender?", "Quel est votre genre ?",
             "ما هو جنسك؟", None, "yes"),
            ("integer", "resp_age", "How old are you?", "Quel âge avez-vous ?", "كم عمرك؟",
             "In years", "yes", None, ". >= 18 and . <= 120",
             "The respondent must be 18 years or older."),
            ("select_one displacement or_other", "pop_group",
             "What is the displacement status of your household?",
             "Quel est le statut de déplacement de votre ménage ?", "ما هو وضع النزوح لأسرتك؟",
             None, "yes"),
            ("integer", "hh_size", "How many people live in this household, including you?",
             "Combien de personnes vivent dans ce ménage, vous compris ?",
             "كم عدد الأشخاص الذين يعيشون في هذه الأسرة، بما فيهم أنت؟",
             None, "yes", None, ". > 0 and . <= 30", "Between 1 and 30 people."),
            ("integer", "hh_children", "Of these ${hh_size} people, how many are under 18?",
             "Parmi ces ${hh_size} personnes, combien ont moins de 18 ans ?",
             "من بين هؤلاء الـ ${hh_size}، كم عدد من هم دون 18 سنة؟",
             None, "yes", "${hh_size} > 1", ". >= 0 and . < ${hh_size}",
             "There must be at least one adult in the household."),
            ("select_multiple needs", "priority_needs",
             "What are the three priority needs of your household?",
             "Quels sont les trois besoins prioritaires de votre ménage ?",
             "ما هي الاحتياجات الثلاثة ذات الأولوية لأسرتك؟",
             "Select up to three.", "yes", None,
             "count-selected(.) <= 3 and not(selected(., 'none') and count-selected(.) > 1)",
             "Choose up to three needs, or 'None' alone."),
            ("text", "priority_needs_other", "Which other need?", "Quel autre besoin ?",
             "ما هي الحاجة الأخرى؟", None, "yes", "selected(${priority_needs}, 'other')"),
            ("end_group",),
        ],
    ),
    (
        ("list name", "name", "label::English (en)", "label::French (fr)", "label::Arabic (ar)"),
        [
            *YN_EN_FR_AR,
            ("gender", "female", "Female", "Femme", "أنثى"),
            ("gender", "male", "Male", "Homme", "ذكر"),
            ("gender", "pnta", "Prefer not to answer", "Préfère ne pas répondre",
             "أفضل عدم الإجابة"),
            ("displacement", "host", "Non-displaced", "Non déplacé", "غير نازح"),
            ("displacement", "idp", "Internally displaced", "Déplacé interne", "نازح داخليا"),
            ("displacement", "returnee", "Returnee", "Retourné", "عائد"),
            ("displacement", "refugee", "Refugee", "Réfugié", "لاجئ"),
            ("needs", "food", "Food", "Nourriture", "غذاء"),
            ("needs", "shelter", "Shelter", "Abri", "مأوى"),
            ("needs", "water", "Drinking water", "Eau potable", "مياه الشرب"),
            ("needs", "health", "Health care", "Soins de santé", "الرعاية الصحية"),
            ("needs", "education", "Education", "Éducation", "التعليم"),
            ("needs", "livelihoods", "Work and income", "Travail et revenus", "العمل والدخل"),
            ("needs", "none", "None", "Aucun", "لا شيء"),
            ("needs", "other", "Other", "Autre", "أخرى"),
        ],
    ),
    {"form_title": "MSNA household interview (consent and profile)", "form_id": "msna_hh",
     "default_language": "English (en)"},
)  # fmt: skip

# --- Washington Group Short Set on Functioning (WG-SS), asked of the respondent ------------
WG = [
    ("wgq_vision", "Do you have difficulty seeing, even if wearing glasses?",
     "Avez-vous des difficultés à voir, même si vous portez des lunettes ?"),
    ("wgq_hearing", "Do you have difficulty hearing, even if using a hearing aid?",
     "Avez-vous des difficultés à entendre, même si vous utilisez un appareil auditif ?"),
    ("wgq_mobility", "Do you have difficulty walking or climbing steps?",
     "Avez-vous des difficultés à marcher ou à monter des marches ?"),
    ("wgq_cognition", "Do you have difficulty remembering or concentrating?",
     "Avez-vous des difficultés à vous souvenir ou à vous concentrer ?"),
    ("wgq_self_care", "Do you have difficulty with self-care, such as washing all over or "
     "dressing?", "Avez-vous des difficultés à prendre soin de vous, comme vous laver ou "
     "vous habiller ?"),
    ("wgq_communication", "Using your usual language, do you have difficulty communicating, "
     "for example understanding or being understood?", "En utilisant votre langue habituelle, "
     "avez-vous des difficultés à communiquer, par exemple à comprendre ou à être compris ?"),
]  # fmt: skip
WG_CHOICES = [
    ("wgq", "no_difficulty", "No, no difficulty", "Non, aucune difficulté"),
    ("wgq", "some_difficulty", "Yes, some difficulty", "Oui, quelques difficultés"),
    ("wgq", "lot_of_difficulty", "Yes, a lot of difficulty", "Oui, beaucoup de difficultés"),
    ("wgq", "cannot_do", "Cannot do at all", "Ne peut pas du tout"),
    ("wgq", "dnk", "Don't know", "Ne sait pas"),
    ("wgq", "pnta", "Prefer not to answer", "Préfère ne pas répondre"),
]
WG_SS = (
    (
        ("type", "name", "label::English (en)", "label::French (fr)", "required", "relevant",
         "constraint"),
        [
            ("integer", "ind_age", "How old are you?", "Quel âge avez-vous ?", "yes", None,
             ". >= 0 and . <= 120"),
            ("begin_group", "wgss", "Functioning", "Fonctionnement", None, "${ind_age} >= 5"),
            ("note", "wgss_intro", "The next questions ask about difficulties you may have "
             "doing certain activities because of a HEALTH PROBLEM.",
             "Les questions suivantes portent sur des difficultés dues à un PROBLÈME DE SANTÉ."),
            *[("select_one wgq", n, en, fr, "yes") for n, en, fr in WG],
            ("end_group",),
        ],
    ),
    (("list_name", "name", "label::English (en)", "label::French (fr)"), WG_CHOICES),
    {"form_title": "Washington Group Short Set", "form_id": "wg_ss"},
)  # fmt: skip

# --- The same questions in a household roster (MSNA loop over members): refused ---------------
ROSTER = (
    (
        ("type", "name", "label::English (en)", "required", "relevant", "repeat_count",
         "calculation"),
        [
            ("integer", "hh_size", "How many people live in this household?", "yes"),
            ("begin_repeat", "hh_roster", "Household member", None, None, "${hh_size}"),
            ("integer", "ind_age", "How old is this person?", "yes"),
            ("select_one wgq", "wgq_vision", WG[0][1], "yes", "${ind_age} >= 5"),
            ("select_one wgq", "wgq_mobility", WG[2][1], "yes", "${ind_age} >= 5"),
            ("end_repeat",),
            ("calculate", "n_members", None, None, None, None, "count(${hh_roster})"),
            ("note", "roster_done", "You listed ${n_members} household members."),
        ],
    ),
    (("list_name", "name", "label::English (en)"), [c[:3] for c in WG_CHOICES]),
    {"form_title": "MSNA household roster with WG-SS", "form_id": "msna_roster"},
)  # fmt: skip

# --- FAO Food Insecurity Experience Scale (FIES), household version --------------------------
FIES_Q = [
    ("fies_worried", "You or others in your household were worried you would not have enough "
     "food to eat?"),
    ("fies_healthy", "You or others in your household were unable to eat healthy and "
     "nutritious food?"),
    ("fies_fewfood", "You or others in your household ate only a few kinds of foods?"),
    ("fies_skipped", "You or others in your household had to skip a meal?"),
    ("fies_ateless", "You or others in your household ate less than you thought you should?"),
    ("fies_runout", "Your household ran out of food?"),
    ("fies_hungry", "You or others in your household were hungry but did not eat?"),
    ("fies_wholeday", "You or others in your household went without eating for a whole day?"),
]  # fmt: skip
FIES = (
    (
        ("type", "name", "label::English (en)", "label::Spanish (es)", "hint::English (en)",
         "required"),
        [
            ("note", "fies_intro", "Now I would like to ask you some questions about food. "
             "During the last 12 MONTHS, was there a time when, because of lack of money or "
             "other resources:", "Ahora quisiera hacerle algunas preguntas sobre la "
             "alimentación. Durante los últimos 12 MESES, hubo algún momento en que, por falta "
             "de dinero u otros recursos:"),
            *[("select_one yndr", n, t, None, "Read the question as it is written.", "yes")
              for n, t in FIES_Q],
        ],
    ),
    (
        ("list_name", "name", "label::English (en)", "label::Spanish (es)"),
        [("yndr", "1", "Yes", "Sí"), ("yndr", "0", "No", "No"),
         ("yndr", "98", "Don't know", "No sabe"), ("yndr", "99", "Refused", "Se niega")],
    ),
    {"form_title": "Food Insecurity Experience Scale", "form_id": "fies_hh",
     "default_language": "English (en)"},
)  # fmt: skip

# --- FANTA Household Hunger Scale (HHS) ------------------------------------------------------
HHS_Q = [
    ("hhs_nofood", "In the past 4 weeks, was there ever no food to eat of any kind in your "
     "house because of lack of resources to get food?"),
    ("hhs_sleephungry", "In the past 4 weeks, did you or any household member go to sleep at "
     "night hungry because there was not enough food?"),
    ("hhs_daynight", "In the past 4 weeks, did you or any household member go a whole day "
     "and night without eating anything at all because there was not enough food?"),
]  # fmt: skip
HHS = (
    (
        ("type", "name", "label", "label::Arabic (ar)", "required", "relevant"),
        [
            row
            for name, text in HHS_Q
            for row in (
                ("select_one yn", name, text, None, "yes"),
                ("select_one freq", f"{name}_freq", "How often did this happen in the past "
                 "4 weeks?", "كم مرة حدث ذلك في الأسابيع الأربعة الماضية؟", "yes",
                 f"${{{name}}} = 'yes'"),
            )
        ],
    ),
    (
        ("list_name", "name", "label", "label::Arabic (ar)"),
        [("yn", "yes", "Yes", "نعم"), ("yn", "no", "No", "لا"),
         ("freq", "rarely", "Rarely (1–2 times)", "نادرا (1-2 مرات)"),
         ("freq", "sometimes", "Sometimes (3–10 times)", "أحيانا (3-10 مرات)"),
         ("freq", "often", "Often (more than 10 times)", "غالبا (أكثر من 10 مرات)")],
    ),
    {"form_title": "Household Hunger Scale", "form_id": "hhs"},
)  # fmt: skip

# --- WFP Food Consumption Score and reduced Coping Strategies Index: a score is calculated ----
FCS_GROUPS = [
    ("fcs_staple", "Cereals, grains, roots and tubers", 2), ("fcs_pulses", "Pulses, nuts", 3),
    ("fcs_veg", "Vegetables and leaves", 1), ("fcs_fruit", "Fruits", 1),
    ("fcs_protein", "Meat, fish and eggs", 4), ("fcs_dairy", "Milk and dairy products", 4),
    ("fcs_sugar", "Sugar and sweets", 0.5), ("fcs_oil", "Oil, fat and butter", 0.5),
]  # fmt: skip
RCSI = [
    ("rcsi_lessquality", "Rely on less preferred and less expensive food?"),
    ("rcsi_borrow", "Borrow food or rely on help from a relative or friend?"),
    ("rcsi_mealsize", "Limit portion size of meals at meal times?"),
    ("rcsi_mealadult", "Restrict consumption by adults so that small children can eat?"),
    ("rcsi_mealnb", "Reduce the number of meals eaten in a day?"),
]  # fmt: skip
FCS = (
    (
        ("type", "name", "label::English (en)", "required", "constraint", "calculation"),
        [
            ("begin_group", "fcs", "Food consumption in the past 7 days"),
            *[("integer", n, f"On how many of the past 7 days did your household eat: {t}?",
               "yes", ". >= 0 and . <= 7") for n, t, _ in FCS_GROUPS],
            ("calculate", "fcs_score", None, None, None,
             " + ".join(f"${{{n}}} * {w}" for n, _, w in FCS_GROUPS)),
            ("note", "fcs_note", "Food consumption score: ${fcs_score}"),
            ("end_group",),
            ("begin_group", "rcsi", "In the past 7 days, on how many days did your household:"),
            *[("integer", n, t, "yes", ". >= 0 and . <= 7") for n, t in RCSI],
            ("end_group",),
        ],
    ),
    None,
    {"form_title": "Food Consumption Score and rCSI", "form_id": "fcs_rcsi"},
)  # fmt: skip

# --- UNHCR protection monitoring, household level ---------------------------------------------
PROTECTION = (
    (
        ("type", "name", "label::English (en)", "label::Arabic (ar)", "label::Dari (prs)",
         "label::Ukrainian (uk)", "hint::English (en)", "required", "required_message",
         "relevant", "constraint", "constraint_message", "default"),
        [
            ("select_one yn", "consent", "Do you agree to answer some questions about your "
             "situation?", "هل توافق على الإجابة على بعض الأسئلة حول وضعك؟",
             "آیا موافق هستید به چند سوال درباره وضعیت تان پاسخ دهید؟",
             "Чи погоджуєтеся ви відповісти на кілька запитань про вашу ситуацію?", None, "yes"),
            ("begin_group", "docs", "Documentation", None, None, None, None, None, None,
             "${consent} = 'yes'"),
            ("select_multiple documents", "hh_documents", "Which documents do members of your "
             "household have?", "ما هي الوثائق التي يملكها أفراد أسرتك؟",
             "اعضای خانواده شما کدام اسناد را دارند؟", "Які документи мають члени вашого "
             "домогосподарства?", "Select all that apply.", "yes",
             "Please choose at least one answer.", None,
             "not(selected(., 'NoDocuments') and count-selected(.) > 1)",
             "'No documents' cannot be combined with other answers."),
            ("select_one reason or_other", "why_no_documents", "Why do they have no documents?",
             "لماذا لا يملكون وثائق؟", "چرا اسناد ندارند؟", "Чому вони не мають документів?",
             None, "yes", None, "selected(${hh_documents}, 'NoDocuments')"),
            ("end_group",),
            ("begin_group", "safety", "Safety", None, None, None, None, None, None,
             "${consent} = 'yes'"),
            ("select_multiple concerns", "safety_concerns", "What are the main safety concerns "
             "of your household?", "ما هي المخاوف الأمنية الرئيسية لأسرتك؟",
             "نگرانی های اصلی امنیتی خانواده شما چیست؟", "Які основні безпекові проблеми "
             "вашого домогосподарства?", None, "yes", None, None,
             "not(selected(., 'None') and count-selected(.) > 1)"),
            ("select_one yn", "incident_reported", "Was the incident reported to anyone?",
             "هل تم الإبلاغ عن الحادث لأحد؟", "آیا این حادثه به کسی گزارش شد؟",
             "Чи повідомили ви про цей випадок комусь?", None,
             "not(selected(${safety_concerns}, 'None'))", None,
             "count-selected(${safety_concerns}) > 0 and not(selected(${safety_concerns}, "
             "'None'))"),
            ("select_multiple specific_needs", "specific_needs", "Does anyone in your "
             "household have one of these specific needs?", None, None, None, None, "no", None,
             None, None, None, "None"),
            ("end_group",),
        ],
    ),
    (
        ("list_name", "name", "label::English (en)", "label::Arabic (ar)", "label::Dari (prs)",
         "label::Ukrainian (uk)"),
        [
            ("yn", "yes", "Yes", "نعم", "بلی", "Так"), ("yn", "no", "No", "لا", "نخیر", "Ні"),
            ("documents", "NationalID", "National ID card", "بطاقة هوية وطنية",
             "تذکره", "Національний паспорт"),
            ("documents", "Passport", "Passport", "جواز سفر", "پاسپورت", "Закордонний паспорт"),
            ("documents", "BirthCertificate", "Birth certificate", "شهادة ميلاد",
             "تصدیق تولد", "Свідоцтво про народження"),
            ("documents", "NoDocuments", "No documents", "لا وثائق", "هیچ سندی",
             "Немає документів"),
            ("reason", "Lost", "Lost or destroyed", "فقدت أو أتلفت", "گم شده یا از بین رفته",
             "Втрачені або знищені"),
            ("reason", "NeverHad", "Never had them", "لم يملكوها أبدا", "هرگز نداشتند",
             "Ніколи не мали"),
            ("concerns", "Violence", "Violence in the area", "العنف في المنطقة",
             "خشونت در منطقه", "Насильство в районі"),
            ("concerns", "Eviction", "Eviction", "الإخلاء", "اخراج از خانه", "Виселення"),
            ("concerns", "Harassment", "Harassment", "التحرش", "آزار و اذیت", "Переслідування"),
            ("concerns", "None", "None", "لا شيء", "هیچ کدام", "Немає"),
            ("specific_needs", "Disability", "Disability", "إعاقة", "معلولیت", "Інвалідність"),
            ("specific_needs", "SeriousIllness", "Serious medical condition", "حالة طبية خطيرة",
             "بیماری جدی", "Серйозна хвороба"),
            ("specific_needs", "UnaccompaniedChild", "Unaccompanied or separated child",
             "طفل غير مصحوب أو منفصل", "کودک بدون همراه", "Дитина без супроводу"),
            ("specific_needs", "None", "None of these", "لا شيء مما سبق", "هیچ کدام",
             "Жодне з цього"),
        ],
    ),
    {"form_title": "Protection monitoring (household)", "form_id": "protection_hh",
     "default_language": "English (en)"},
)  # fmt: skip

# --- KoBoToolbox COVID-19 rapid assessment template ------------------------------------------
COVID = (
    (
        ("type", "name", "label::English", "label::français", "hint::English", "required",
         "relevance", "constraint", "parameters", "appearance"),
        [
            ("select_multiple symptoms", "symptoms", "In the last 14 days, have you had any of "
             "these symptoms?", "Au cours des 14 derniers jours, avez-vous eu l'un de ces "
             "symptômes ?", "Select all that apply", "yes", None,
             "not(selected(., 'none') and count-selected(.) > 1)"),
            ("decimal", "temperature", "What was your highest body temperature (°C)?",
             "Quelle a été votre température la plus élevée (°C) ?", None, "no",
             "selected(${symptoms}, 'fever')", ". >= 35 and . <= 43"),
            ("select_one yn", "tested", "Have you been tested for COVID-19?",
             "Avez-vous été testé(e) pour la COVID-19 ?", None, "yes",
             "count-selected(${symptoms}) >= 2 and not(selected(${symptoms}, 'none'))"),
            ("range", "worry", "How worried are you about COVID-19? (1 = not at all, 5 = very)",
             "À quel point êtes-vous inquiet(e) ? (1 = pas du tout, 5 = très)", None, "yes",
             None, None, "start=1 end=5 step=1", "rating"),
            ("text", "comments", "Anything else you want to tell us?",
             "Autre chose à nous dire ?", None, "no", None, None, None, "multiline"),
        ],
    ),
    (
        ("list_name", "name", "label::English", "label::français"),
        [("symptoms", "fever", "Fever", "Fièvre"), ("symptoms", "cough", "Dry cough", "Toux sèche"),
         ("symptoms", "breath", "Shortness of breath", "Essoufflement"),
         ("symptoms", "taste", "Loss of taste or smell", "Perte du goût ou de l'odorat"),
         ("symptoms", "none", "None of these", "Aucun de ces symptômes"),
         ("yn", "yes", "Yes", "Oui"), ("yn", "no", "No", "Non")],
    ),
    {"form_title": "COVID-19 rapid assessment", "form_id": "covid19_rapid"},
)  # fmt: skip

# --- XLSForm documentation: cascading selects (states, counties, cities) ----------------------
CASCADE = (
    (
        ("type", "name", "label", "choice_filter"),
        [
            ("select_one states", "state", "State"),
            ("select_one counties", "county", "County", "state=${state}"),
            ("select_one cities", "city", "City", "state=${state} and county=${county}"),
        ],
    ),
    (
        ("list_name", "name", "label", "state", "county"),
        [("states", "texas", "Texas"), ("states", "washington", "Washington"),
         ("counties", "king", "King", "washington"), ("counties", "pierce", "Pierce", "washington"),
         ("counties", "king", "King", "texas"), ("counties", "cameron", "Cameron", "texas"),
         ("cities", "dumont", "Dumont", "texas", "king"),
         ("cities", "finney", "Finney", "texas", "king"),
         ("cities", "brownsville", "Brownsville", "texas", "cameron"),
         ("cities", "harlingen", "Harlingen", "texas", "cameron"),
         ("cities", "seattle", "Seattle", "washington", "king"),
         ("cities", "redmond", "Redmond", "washington", "king"),
         ("cities", "tacoma", "Tacoma", "washington", "pierce"),
         ("cities", "puyallup", "Puyallup", "washington", "pierce")],
    ),
    {"form_title": "Cascading selects", "form_id": "cascading_select",
     "allow_choice_duplicates": "yes"},
)  # fmt: skip

# --- IOM DTM site assessment: locations, dates and photos (refused) --------------------------
DTM = (
    (
        ("type", "name", "label", "required", "calculation"),
        [
            ("date", "assessment_date", "Date of assessment", "yes"),
            ("geopoint", "site_gps", "GPS location of the site", "yes"),
            ("select_one site_type", "site_type", "Type of site", "yes"),
            ("integer", "idp_hh", "Number of IDP households on the site", "yes"),
            ("integer", "idp_ind_f", "Number of IDP women and girls", "yes"),
            ("integer", "idp_ind_m", "Number of IDP men and boys", "yes"),
            ("calculate", "idp_ind_total", None, None, "${idp_ind_f} + ${idp_ind_m}"),
            ("note", "idp_total_note", "Total IDPs on the site: ${idp_ind_total}"),
            ("image", "site_photo", "Photo of the site entrance", "no"),
        ],
    ),
    (
        ("list_name", "name", "label"),
        [("site_type", "camp", "Planned camp"), ("site_type", "collective", "Collective centre"),
         ("site_type", "spontaneous", "Spontaneous settlement")],
    ),
    {"form_title": "DTM site assessment", "form_id": "dtm_site"},
)  # fmt: skip

# --- MIRA multi-sector initial rapid assessment, community level, German and English --------
MIRA = (
    (
        ("type", "name", "label::Deutsch", "label::English", "hint::Deutsch", "required",
         "relevant", "constraint", "default"),
        [
            ("note", "welcome", "# Erste Bedarfsermittlung\nBitte beantworte die Fragen für "
             "deine **Gemeinschaft**.", "# Initial assessment\nPlease answer for your "
             "**community**."),
            ("select_one yn", "affected", "Ist deine Gemeinschaft von der Krise betroffen?",
             "Is your community affected by the crisis?", None, "yes"),
            ("integer", "hh_affected", "Wie viele Haushalte sind betroffen?",
             "How many households are affected?", "Schätzung genügt", "${affected} = 'yes'",
             "${affected} = 'yes'", ". >= 0", "0"),
            ("begin_group", "water", "Wasser", "Water", None, None, "${affected} = 'yes'"),
            ("select_one yn", "problem", "Gibt es ein Problem mit dem Trinkwasser?",
             "Is there a problem with drinking water?", None, "yes"),
            ("decimal", "litres", "Wie viele Liter Wasser hat eine Person pro Tag?",
             "How many litres of water does one person have per day?", None, "no",
             "${affected} = 'yes'", ". > 0", "15"),
            ("end_group",),
            ("begin_group", "food", "Essen", "Food", None, None, "${affected} = 'yes'"),
            ("select_one yn", "problem", "Gibt es ein Problem mit Essen?",
             "Is there a problem with food?", None, "yes"),
            ("select_one priority", "food_first", "Was wird am dringendsten gebraucht?",
             "What is needed most urgently?", None, "no", None, None, "food_aid"),
            ("end_group",),
            ("note", "thanks", "Danke! Du hast ${hh_affected} betroffene Haushalte genannt.",
             "Thank you! You reported ${hh_affected} affected households.", None, None,
             "${affected} = 'yes'"),
        ],
    ),
    (
        ("list name", "name", "label::Deutsch", "label::English"),
        [("yn", "yes", "Ja", "Yes"), ("yn", "no", "Nein", "No"),
         ("priority", "food_aid", "Lebensmittelhilfe", "Food aid"),
         ("priority", "cash", "Bargeld", "Cash"), ("priority", "seeds", "Saatgut", "Seeds")],
    ),
    {"form_title": "MIRA Erstbewertung", "form_id": "mira_community"},
)  # fmt: skip

# --- WHO/UNICEF JMP core questions on drinking water and sanitation (numeric codes) ---------
JMP = (
    (
        ("type", "name", "label", "required", "relevant", "constraint"),
        [
            ("select_one water_source", "ws1", "What is the main source of drinking water used "
             "by members of your household?", "yes"),
            ("integer", "ws4", "How long does it take to go there, get water, and come back "
             "(minutes)?", "yes", "${ws1} != 11 and ${ws1} != 12 and ${ws1} != 91",
             ". >= 0 and . <= 1440"),
            ("select_one toilet", "t1", "What kind of toilet facility do members of your "
             "household usually use?", "yes"),
            ("select_one yn", "t2", "Do you share this facility with others who are not "
             "members of your household?", "yes", "${t1} != 95"),
            ("integer", "t3", "Including your own household, how many households use this "
             "toilet facility?", "yes", "${t2} = 1", ". >= 2 and . < 100"),
        ],
    ),
    (
        ("list_name", "name", "label"),
        [("water_source", "11", "Piped into dwelling"),
         ("water_source", "12", "Piped to yard/plot"),
         ("water_source", "14", "Public tap or standpipe"),
         ("water_source", "21", "Tube well or borehole"),
         ("water_source", "31", "Protected dug well"),
         ("water_source", "32", "Unprotected dug well"),
         ("water_source", "51", "Rainwater"), ("water_source", "61", "Tanker truck"),
         ("water_source", "81", "Surface water (river, lake, canal)"),
         ("water_source", "91", "Bottled water"), ("water_source", "96", "Other"),
         ("toilet", "11", "Flush to piped sewer system"), ("toilet", "12", "Flush to septic tank"),
         ("toilet", "22", "Pit latrine with slab"), ("toilet", "23", "Pit latrine without slab"),
         ("toilet", "41", "Bucket"), ("toilet", "95", "No facility, bush or field"),
         ("yn", "1", "Yes"), ("yn", "2", "No")],
    ),
    {"form_title": "JMP core questions on water and sanitation", "form_id": "jmp_wash"},
)  # fmt: skip

FORMS = {
    "msna_household.xlsx": MSNA,
    "wg_short_set.xlsx": WG_SS,
    "msna_roster_wgss.xlsx": ROSTER,
    "fao_fies.xlsx": FIES,
    "fanta_hhs.xlsx": HHS,
    "wfp_fcs_rcsi.xlsx": FCS,
    "unhcr_protection_monitoring.xlsx": PROTECTION,
    "kobo_covid19_rapid.xlsx": COVID,
    "xlsform_cascading_selects.xlsx": CASCADE,
    "iom_dtm_site_assessment.xlsx": DTM,
    "mira_community_de_en.xlsx": MIRA,
    "jmp_wash_core.xlsx": JMP,
}


def build(folder: Path = HERE) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (survey, choices, settings) in FORMS.items():
        (folder / name).write_bytes(workbook(survey, choices or (None, []), settings))


if __name__ == "__main__":
    build()
