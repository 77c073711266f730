"""Spanish for the forensic report: caveats, flag reasons and estimate labels.

English is the source: the `caveat` and `reason` in ``--json`` stay English and
are what the tests write. This module holds their Spanish, for the bilingual
HTML report (`testigo.forensics.html`), read by journalists and courts.

* Caveats: each test id maps to the Spanish text and the SHA-256 prefix of the
  English caveat it translates. When an English caveat changes, the stale
  Spanish is not shown (`caveat_es` returns None and the report says that the
  translation is pending), and the i18n test fails until it is redone.
* Reasons: `impossible` and `siblings` build their flags with `coded_flag`, a
  code plus parameters from which both languages are rendered. `duplicates`
  builds plain English reasons; they are translated by pattern here
  (`_DUPLICATE_PATTERNS`), so a change to their wording there shows up as an
  untranslated reason (and a failing test), never as a wrong one.
* Labels: the estimate keys and a few values (features, reference levels).

Numbers inside Spanish prose use the decimal comma (``80,0 %``); the report's
tables show numbers once, as in the JSON.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping

from testigo.forensics.result import Flag, TestResult

# -- caveats -----------------------------------------------------------------------------------

#: test id -> (first 12 hex digits of the SHA-256 of the English caveat translated, Spanish caveat)
CAVEATS_ES: dict[str, tuple[str, str]] = {
    "impossible": (
        "6a4da94a0c5a",
        "Cada señalamiento es un hecho aritmético sobre una sola acta. Prueba que las cifras están mal, no quién "
        "las puso mal: una foto mal leída, un error de tipeo al transcribir o un acta falsificada se ven igual "
        "aquí. Las mesas cuyo número de electores inscritos se desconoce no pueden cotejarse con el registro.",
    ),
    "duplicates": (
        "e68c41fae838",
        "Que mesas distintas tengan exactamente los mismos votos es muy improbable por azar cuando el acta tiene "
        "unas cuantas decenas de votos repartidos entre varios candidatos, pero se señalan todas las mesas del "
        "grupo: la prueba no puede distinguir el original de las copias. Las actas pequeñas (con menos votos "
        "válidos que el mínimo) no se comparan. Dos imágenes casi idénticas también pueden ser dos fotos de una "
        "misma acta auténtica archivadas por error bajo dos mesas.",
    ),
    "siblings": (
        "57a951cf4487",
        "Una mesa señalada difiere de las demás mesas de su centro más de lo que explican el azar y la variación "
        "habitual entre mesas; es un motivo para revisar su acta, no una prueba de fraude. Las mesas de un mismo "
        "centro pueden diferir por razones legítimas (electores asignados por edad, una mesa en una cárcel o en "
        "un cuartel). Cuando el centro tiene muy pocas mesas más, la prueba compara con la parroquia, lo que es "
        "más débil. Un centro en el que todas las mesas fueron manipuladas por igual no muestra nada aquí; de eso "
        "se ocupan la huella electoral y las pruebas de dígitos.",
    ),
    "benford2": (
        "cee0e49cd2d8",
        "La prueba de Benford del segundo dígito (la 2BL de Mebane) es un filtro, no una prueba de fraude: "
        "conteos honestos se apartan de la 2BL cuando las mesas tienen tamaños parecidos o cuando el apoyo a un "
        "candidato es parejo entre mesas, y conteos manipulados pueden seguirla. Deckert, Myagkov y Ordeshook "
        "(2011) mostraron que señala elecciones limpias y no detecta elecciones fraudulentas. Con decenas de "
        "miles de mesas, incluso una desviación insignificante resulta «significativa»: lea la w de Cohen (por "
        "debajo de 0,1 es pequeña) y el segundo dígito medio (se espera 4,187) antes que el valor p.",
    ),
    "last_digit": (
        "eecbe573b433",
        "Quien inventa cifras tiende a preferir ciertos dígitos finales, de modo que los últimos dígitos de "
        "conteos inventados no son uniformes (Beber y Scacco, 2012); los conteos honestos de 10 o más tienen "
        "últimos dígitos casi uniformes. Un resultado uniforme no prueba que el conteo sea honesto (las cifras "
        "cambiadas por una computadora, o sumando una cantidad fija, siguen siendo uniformes), y una desviación "
        "en un candidato con cifras mayormente pequeñas puede deberse al método. Lea la w de Cohen y el último "
        "dígito medio (se espera 4,5) antes que el valor p; la media por sí sola no detecta un sesgo que la deja "
        "en 4,5, como una preferencia a la vez por el 0 y por el 9.",
    ),
    "fingerprint": (
        "547fcc7db10a",
        "Las fracciones ajustadas indican qué parte del patrón participación × porcentaje de votos atribuye este "
        "modelo sencillo al relleno de urnas; no son cantidades de mesas fraudulentas. Elecciones honestas pueden "
        "producir la misma mancha: regiones donde la participación y el apoyo a un candidato suben juntos "
        "(bastiones, zonas rurales, movilización), o una distribución de la participación que no es gaussiana. "
        "Léala junto con el mapa y la prueba de mesas del mismo centro, no por sí sola. El candidato examinado "
        "lo elige quien ejecuta el análisis (por defecto, el más votado en estos datos).",
    ),
    "print_mismatch": (
        "a80d5b96f437",
        "Un acta cuyas cifras impresas difieren de su código QR fue alterada o reimpresa después de que la "
        "máquina de votación la imprimió, o su foto engañó al lector: un revisor debe comparar el papel con el "
        "código. Una cifra que el lector no pudo distinguir nunca se declara distinta, así que un acta que no "
        "aparece aquí aún puede estar alterada donde su impresión era ilegible.",
    ),
    "integer_peaks": (
        "b327a7a7fca4",
        "Un exceso de porcentajes redondos indica que algunos resultados probablemente se escribieron para "
        "alcanzar una cifra fijada de antemano en lugar de contarse, pero no cuáles: una mesa con exactamente el "
        "60 % puede ser honesta. El redondeo en la propia acta, o las mesas muy pequeñas, también pueden crear "
        "picos; el modelo nulo binomial tiene en cuenta el tamaño de las mesas, pero no las actas que informan "
        "cifras redondeadas.",
    ),
}


def fingerprint_of(english: str) -> str:
    """The SHA-256 prefix that ties a Spanish caveat to the English text it translates."""
    return hashlib.sha256(english.encode("utf-8")).hexdigest()[:12]


def caveat_es(result: TestResult) -> str | None:
    """The Spanish caveat of `result`, or None when there is none for the English caveat it carries now."""
    entry = CAVEATS_ES.get(result.id)
    if entry is None or entry[0] != fingerprint_of(result.caveat):
        return None
    return entry[1]


# -- flag reasons ------------------------------------------------------------------------------


def _pct(x: float, lang: str) -> str:
    return f"{x:.1%}" if lang == "en" else f"{100 * x:.1f}".replace(".", ",") + " %"


def _signed(x: float, lang: str) -> str:
    text = f"{x:+.1f}"
    return text if lang == "en" else text.replace(".", ",")


def _feature(name: str, lang: str) -> str:
    """``turnout`` or ``share:KEY`` in words."""
    if name == "turnout":
        return "turnout" if lang == "en" else "participación"
    key = name.split(":", 1)[1] if ":" in name else name
    return f"{key} share" if lang == "en" else f"porcentaje de {key}"


_WHERE = {
    "en": ("its center's other mesas", "its center's other mesa", "the other mesas of its parish"),
    "es": ("las otras mesas de su centro", "la otra mesa de su centro", "las otras mesas de su parroquia"),
}


def _sibling(p: Mapping[str, object], lang: str) -> str:
    value, reference, z = (float(p[name]) for name in ("value", "reference", "z"))  # type: ignore[arg-type]
    level = int(p["level"])  # type: ignore[call-overload]
    label, where = _feature(str(p["feature"]), lang), _WHERE[lang][level]
    if lang == "en":
        return f"{label} {_pct(value, lang)} vs {_pct(reference, lang)} at {where} (z = {_signed(z, lang)})"
    return f"{label} {_pct(value, lang)} frente a {_pct(reference, lang)} en {where} (z = {_signed(z, lang)})"


_REASONS: dict[str, dict[str, Callable[[Mapping[str, object]], str]]] = {
    "negative": {
        "en": lambda p: f"{p['cells']} negative count(s)",
        "es": lambda p: f"{p['cells']} cifra(s) negativa(s)",
    },
    "over_registered": {
        "en": lambda p: f"{p['ballots']} ballots for {p['registered']} registered voters ({p['excess']} too many)",
        "es": lambda p: (
            f"{p['ballots']} votos en total para {p['registered']} electores inscritos ({p['excess']} de más)"
        ),
    },
    "total_mismatch": {
        "en": lambda p: (
            f"declared total {p['declared']} (printed or in the source table) but the counts add up to {p['total']}"
        ),
        "es": lambda p: (
            f"total declarado {p['declared']} (impreso en el acta o en la tabla de origen), pero las "
            f"cifras suman {p['total']}"
        ),
    },
    "all_zero": {"en": lambda p: "every count is zero", "es": lambda p: "todas las cifras son cero"},
    "sibling": {"en": lambda p: _sibling(p, "en"), "es": lambda p: _sibling(p, "es")},
    "print_mismatch": {"en": lambda p: _printed(p, "en"), "es": lambda p: _printed(p, "es")},
}


#: How the figures of a sheet's layout are named in each language (others are shown as they are).
_FIGURE_NAMES = {
    "en": {"valid_votes": "valid votes", "null_votes": "null votes", "total_votes": "total votes", "card": "card"},
    "es": {
        "valid_votes": "votos válidos",
        "null_votes": "votos nulos",
        "total_votes": "total de votos",
        "card": "tarjeta",
    },
}


def _printed(p: Mapping[str, object], lang: str) -> str:
    names = _FIGURE_NAMES[lang]
    parts = []
    for field, printed, coded in p["figures"]:  # type: ignore[attr-defined]
        name = f"{names['card']} {field.split('_', 1)[1]}" if field.startswith("card_") else names.get(field, field)
        shown = printed or ("blank" if lang == "en" else "en blanco")
        parts.append(f"{name}: print {shown}, QR {coded}" if lang == "en" else f"{name}: impreso {shown}, QR {coded}")
    lead = "printed figures differ from the QR code" if lang == "en" else "las cifras impresas difieren del código QR"
    return f"{lead}: " + "; ".join(parts)


def reason_text(code: str, params: Mapping[str, object], lang: str) -> str:
    """The reason `code` with `params` in `lang` ("en" or "es")."""
    return _REASONS[code][lang](params)


def coded_flag(mesa: str, code: str, score: float, **params: object) -> Flag:
    """A flag whose English reason is rendered from `code` and `params`, which it keeps for other languages."""
    return Flag(mesa, reason_text(code, params, "en"), score, code, params)


#: English reasons of `duplicates` (which builds them without a code) and their Spanish.
_DUPLICATE_PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (
        re.compile(r"same votes \((\d+)\) as (.+?)(?: and (\d+) more)?"),
        lambda m: f"mismos votos ({m[1]}) que {m[2]}" + (f" y {m[3]} más" if m[3] else ""),
    ),
    (
        re.compile(r"image nearly identical to mesa (.+) \((\d+) of 64 bits differ\)"),
        lambda m: f"imagen casi idéntica a la de la mesa {m[1]} (difieren {m[2]} de 64 bits)",
    ),
    (
        re.compile(r"sheet image shows the same sheet as mesa (.+) \(signatures and figures correlate at ([0-9.]+)\)"),
        lambda m: (
            f"la imagen muestra la misma hoja que la de la mesa {m[1]} (firmas y cifras con correlación "
            f"{m[2].replace('.', ',')})"
        ),
    ),
)


def reason_es(flag: Flag) -> str | None:
    """The Spanish of `flag`'s reason, or None when it cannot be translated."""
    if flag.code in _REASONS:
        return reason_text(flag.code, flag.params, "es")
    for pattern, spanish in _DUPLICATE_PATTERNS:
        match = pattern.fullmatch(flag.reason)
        if match:
            return spanish(match)
    return None


# -- estimate labels ---------------------------------------------------------------------------

#: Estimate key -> (Spanish, English) label.
LABELS: dict[str, tuple[str, str]] = {
    "q_value": ("q entre pruebas", "q across tests"),
    "sheets": ("actas", "sheets"),
    "negative": ("mesas con cifras negativas", "mesas with negative counts"),
    "over_registered": ("mesas con más votos que electores", "mesas with more ballots than registered voters"),
    "total_mismatch": ("mesas cuyo total declarado no cuadra", "mesas whose declared total does not add up"),
    "all_zero": ("mesas con todas las cifras en cero", "mesas with every count zero"),
    "mesas_flagged": ("mesas señaladas", "mesas flagged"),
    "share_flagged": ("proporción de mesas señaladas", "share of mesas flagged"),
    "mesas_without_registered": ("mesas sin electores inscritos conocidos", "mesas with unknown registered voters"),
    "compared": ("qué se compara", "what is compared"),
    "min_votes": ("mínimo de votos válidos para comparar", "minimum of valid votes to compare"),
    "mesas_compared": ("mesas comparadas", "mesas compared"),
    "vector_groups": ("grupos de mesas con los mismos votos", "groups of mesas with the same votes"),
    "mesas_in_vector_groups": ("mesas en esos grupos", "mesas in those groups"),
    "largest_group": ("grupo más grande", "largest group"),
    "max_hamming": ("máximo de bits distintos entre imágenes «iguales»", "most bits apart for 'same' images"),
    "image_pairs": ("pares de imágenes casi idénticas", "pairs of near-identical images"),
    "sheet_prints_compared": ("imágenes de actas comparadas", "sheet images compared"),
    "same_sheet_threshold": ("correlación mínima para «la misma hoja»", "least correlation for 'the same sheet'"),
    "same_sheet_pairs": ("pares de imágenes de la misma hoja", "pairs of images of the same sheet"),
    "alpha": ("tasa de falsos descubrimientos", "false-discovery rate"),
    "min_siblings": ("mínimo de mesas hermanas", "minimum of sibling mesas"),
    "mesas_tested": ("mesas examinadas", "mesas tested"),
    "mesas_by_reference": ("mesas por referencia", "mesas by reference"),
    "median_abs_difference_flagged": (
        "diferencia absoluta mediana de las señaladas",
        "median absolute difference of the flagged",
    ),
    "extra_sd_between_mesas": ("desviación adicional entre mesas", "extra SD between mesas"),
    "expected_mean": ("media esperada", "expected mean"),
    "per_candidate": ("por candidato", "per candidate"),
    "per_feature": ("por variable", "per feature"),
    "candidate": ("candidato", "candidate"),
    "incremental_fraction": ("fracción de relleno incremental (f_i)", "incremental stuffing fraction (f_i)"),
    "extreme_fraction": ("fracción de relleno extremo (f_e)", "extreme stuffing fraction (f_e)"),
    "theta": ("theta (dispersión del relleno incremental)", "theta (spread of incremental stuffing)"),
    "stealing_exponent": ("exponente de votos trasladados (alfa)", "vote-stealing exponent (alpha)"),
    "fair_model": ("modelo sin fraude", "fair model"),
    "turnout_mean": ("media de la participación", "mean turnout"),
    "turnout_sd": ("desviación estándar de la participación", "SD of turnout"),
    "share_mean": ("media del porcentaje", "mean share"),
    "share_sd": ("desviación estándar del porcentaje", "SD of share"),
    "loss": ("pérdida del ajuste", "loss of the fit"),
    "loss_no_fraud": ("pérdida sin fraude", "loss without fraud"),
    "fit_improvement": ("mejora del ajuste", "fit improvement"),
    "turnout_share_spearman": ("correlación de Spearman participación–porcentaje", "Spearman turnout–share"),
    "mesas": ("mesas", "mesas"),
    "bins": ("intervalos del histograma por eje", "histogram bins per axis"),
    "skipped": ("no se ejecutó", "skipped"),
    "tolerance": ("tolerancia (puntos porcentuales)", "tolerance (percentage points)"),
    "min_size": ("tamaño mínimo de mesa", "minimum mesa size"),
    "excess": ("exceso sobre lo esperado", "excess over expected"),
    "feature": ("variable", "feature"),
    "z": ("z", "z"),
    "p_value": ("valor p", "p-value"),
    "family_p_value": ("valor p de la familia (Simes)", "family p-value (Simes)"),
    "n": ("cifras", "counts"),
    "chi2": ("chi cuadrado", "chi-square"),
    "p_chi2": ("p (chi cuadrado)", "p (chi-square)"),
    "q_chi2": ("q (chi cuadrado)", "q (chi-square)"),
    "cohens_w": ("w de Cohen", "Cohen's w"),
    "mean": ("media", "mean"),
    "mean_difference": ("diferencia de la media", "mean difference"),
    "mean_effect": ("diferencia de la media en desviaciones estándar", "mean difference in SDs"),
    "z_mean": ("z de la media", "z of the mean"),
    "p_mean": ("p (media)", "p (mean)"),
    "q_mean": ("q (media)", "q (mean)"),
    "observed": ("observadas", "observed"),
    "expected": ("esperadas", "expected"),
    "excess_ratio": ("observadas / esperadas", "observed / expected"),
    # values and row names
    "all": ("todos", "all"),
    "center": ("centro", "center"),
    "pair": ("pareja", "pair"),
    "parish": ("parroquia", "parish"),
    "cards": ("tarjetas", "party cards"),
    "candidates": ("candidatos", "candidates"),
}

_SKIPPED = re.compile(r"fewer than (\d+) usable mesas")


def label(key: str) -> tuple[str, str] | None:
    """(Spanish, English) for an estimate key or value, None for a name that needs none (a candidate key)."""
    if key in LABELS:
        return LABELS[key]
    if key == "turnout" or key.startswith("share:"):
        return _feature(key, "es"), _feature(key, "en")
    skipped = _SKIPPED.fullmatch(key)
    if skipped:
        return f"menos de {skipped[1]} mesas utilizables", key
    return None
