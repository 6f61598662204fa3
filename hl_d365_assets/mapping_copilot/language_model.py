"""The optional language-model step: an OpenAI-compatible chat-completions endpoint may re-rank
the offline suggestions of a value, or add one of the value's other candidate targets.

Off unless ``HL_D365_MAPPING_MODEL_URL`` and ``HL_D365_MAPPING_MODEL`` are set (settings.py); the
key, ``HL_D365_MAPPING_MODEL_API_KEY``, is read when a request is made and kept nowhere. The
requests go through the project's one HTTP seam (``RetryingTransport``; the openai client's own
retries are off).

What the model sees is a :class:`ModelQuestion` and nothing else: the kind of mapping, the file,
the unmapped value, and the candidate targets with their labels and the texts of the mapping
rows they come from. No record of the warehouse, no amount, no card data, no personal data: the
value itself is refused when the card-number or personal-data scanner finds anything in it.

What it answers is never trusted: an answer names one of the candidates by number, or a target by
its values, which must be one of the value's targets from the mapping files and, where it names
an account or a dimension value, be in the chart of accounts and the D365 dimension values. Any
other answer is dropped and counted. A person still approves whatever is shown.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from hl_d365_assets.http.retry_policy import RetryPolicy
from hl_d365_assets.http.retrying_transport import RetryingTransport
from hl_d365_assets.mapping_copilot.kinds import Target, read_rows
from hl_d365_assets.mapping_copilot.suggestions import TOP, Suggestion
from hl_d365_assets.pci import contains_card_number, mask_sensitive, personal_data_problem
from hl_d365_assets.settings import Settings, secret

API_KEY_ENV = "HL_D365_MAPPING_MODEL_API_KEY"
CANDIDATES_SHOWN = 8
MONEY = re.compile(r"\d[\d,]*\.\d{2}\b")
INSTRUCTIONS = (
    "You help a finance team map a value from Heartland (payments and POS) to Microsoft Dynamics "
    "365 Finance. Pick up to three of the candidates that fit the value best, best first. "
    'Answer with JSON only: {"suggestions": [{"candidate": <number>, "confidence": <0..1>, '
    '"reason": "<one sentence>"}]}. Use only candidate numbers given.'
)


@dataclass(frozen=True)
class ModelCandidate:
    number: int
    target: dict[str, str]
    label: str
    texts: list[str]


@dataclass(frozen=True)
class ModelQuestion:
    """Everything the model is sent: mapping configuration and the bare value, no records."""

    mapping_kind: str
    mapping_file: str
    context: str
    unmapped_value: str
    candidates: list[ModelCandidate]


def shareable(value: str) -> bool:
    """Whether a value may be put in front of a model: no card number, no personal data (SSN,
    bank or routing number, date of birth), nothing that reads as an amount."""
    return not (contains_card_number(value) or personal_data_problem(value) or MONEY.search(value))


def target_problem(mappings_dir: Path, target: Mapping[str, str]) -> str | None:
    """Why a target may not be shown: an account outside the chart, a dimension value D365 lacks,
    a D365 item another Retail item is already paired with."""
    account = target.get("main_account")
    if account is not None and account not in {
        r["main_account"] for r in read_rows(mappings_dir, "gl_main_accounts.csv")
    }:
        return f"main account {account} is not in gl_main_accounts.csv"
    department = target.get("d365_department")
    if department is not None and department not in {
        r["value"] for r in read_rows(mappings_dir, "gl_dimension_values.csv")
        if r["dimension"] == "Department"
    }:  # fmt: skip
        return f"Department {department} is not in gl_dimension_values.csv"
    dimension, value = target.get("dimension"), target.get("value")
    if dimension is not None and (dimension, value) not in {
        (r["dimension"], r["value"]) for r in read_rows(mappings_dir, "gl_dimension_values.csv")
    }:
        return f"{dimension} {value} is not in gl_dimension_values.csv"
    item = target.get("d365_item_number")
    holders = (
        sorted(
            r["retail_item_id"]
            for r in read_rows(mappings_dir, "product_matches.csv")
            if r["d365_item_number"].strip() == item
        )
        if item is not None
        else []
    )
    if holders:
        # A SKU two items' rows name pairs neither (write_products.sql): a second approval would
        # undo the first.
        return f"D365 item {item} is already paired with Retail item {', '.join(holders)} in product_matches.csv"
    if target.get("dimensions", "none") not in ("none", "store", "department"):
        return f"dimensions {target['dimensions']} is not none, store or department"
    return None


class LanguageModelAdvisor:
    """One client per run of the suggestions, against the configured endpoint."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str,
        transport: httpx.BaseTransport | None = None,
        timeout_seconds: float = 30.0,
    ) -> None:
        self.model = model
        self.rejected_answers = 0
        http = httpx.Client(
            transport=RetryingTransport(RetryPolicy(max_attempts=3), transport),
            timeout=timeout_seconds,
        )
        # Imported here, not at the top: the Dagster definitions import this module, and the
        # openai package took 3 s of every process start (webserver, code server, each run
        # worker) to serve a step that is off unless HL_D365_MAPPING_MODEL_URL is set.
        import openai

        self._client = openai.OpenAI(
            base_url=base_url, api_key=api_key or "not-set", http_client=http, max_retries=0
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> LanguageModelAdvisor | None:
        """The advisor the settings configure, or None (the default: offline only)."""
        if not (settings.mapping_model_url and settings.mapping_model):
            return None
        return cls(settings.mapping_model_url, settings.mapping_model, secret(API_KEY_ENV))

    def close(self) -> None:
        self._client.close()

    def advise(
        self,
        mappings_dir: Path,
        question: tuple[str, str, str, str],
        ranked: list[Suggestion],
        targets: list[Target],
    ) -> list[Suggestion]:
        """The value's suggestions after the model's say: its valid picks first (source
        ``language_model``), then the offline ones it did not pick, ``TOP`` in all. ``ranked`` is
        the offline ranking, ``CANDIDATES_SHOWN`` long: the model may pick beyond its first three.
        The offline three as they were when the value may not be shared or the model answers
        nothing usable."""
        kind, file, context, value = question
        offline = ranked[:TOP]
        if not shareable(value):
            return offline
        candidates = [
            ModelCandidate(n, s.target.as_dict, s.target.label, list(s.target.texts))
            for n, s in enumerate(ranked[:CANDIDATES_SHOWN], 1)
        ]
        asked = ModelQuestion(kind, file, context, value, candidates)
        reply = self._client.chat.completions.create(
            model=self.model,
            temperature=0,
            messages=[
                {"role": "system", "content": INSTRUCTIONS},
                {"role": "user", "content": json.dumps(asdict(asked), sort_keys=True)},
            ],
        )
        picks = self._valid_picks(mappings_dir, reply, candidates, targets)
        if not picks:
            return offline
        offline_by_values = {s.target.values: s for s in ranked}
        chosen: list[Suggestion] = []
        for target, confidence, reason in picks[:TOP]:
            before = offline_by_values.get(target.values)
            words = (before.reason + "; " if before else "") + f"language model: {reason}"
            chosen.append(Suggestion(target, confidence, words, source="language_model"))
        picked = {s.target.values for s in chosen}
        return (chosen + [s for s in offline if s.target.values not in picked])[:TOP]

    def _valid_picks(
        self,
        mappings_dir: Path,
        reply,
        candidates: list[ModelCandidate],
        targets: list[Target],
    ) -> list[tuple[Target, float, str]]:
        try:
            answers = json.loads(reply.choices[0].message.content or "")["suggestions"]
            assert isinstance(answers, list)
        except (ValueError, KeyError, TypeError, IndexError, AssertionError):
            self.rejected_answers += 1
            return []
        by_values = {t.values: t for t in targets}
        picks: list[tuple[Target, float, str]] = []
        for answer in answers:
            target = None
            if isinstance(answer, dict) and isinstance(answer.get("candidate"), int):
                if 1 <= answer["candidate"] <= len(candidates):
                    chosen = candidates[answer["candidate"] - 1]
                    target = by_values.get(tuple(chosen.target.items()))
            elif isinstance(answer, dict) and isinstance(answer.get("values"), dict):
                target = by_values.get(tuple((str(k), str(v)) for k, v in answer["values"].items()))
            if target is None or target_problem(mappings_dir, target.as_dict):
                self.rejected_answers += 1
                continue
            try:
                confidence = min(1.0, max(0.0, float(answer.get("confidence", 0))))
            except (TypeError, ValueError):
                confidence = 0.0
            reason = mask_sensitive(str(answer.get("reason", "")))[:300] or "no reason given"
            picks.append((target, round(confidence, 3), reason))
        return picks
