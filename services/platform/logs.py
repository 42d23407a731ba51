"""JSON logs on stderr, with personal data removed before anything is written.

Every stdlib logger (rolefit's own, FastStream, aiokafka, uvicorn) ends up on one root handler
whose ``structlog`` formatter renders JSON; structlog loggers share the same chain. Payloads of
rolefit events carry résumés and contact details, so ``redact`` runs on every line: keys that
name personal fields lose their values, and e-mail addresses and phone numbers are scrubbed
from every string (messages and formatted tracebacks included).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

REDACTED = "[redacted]"
SENSITIVE_KEYS = frozenset(
    {
        "resume_text", "content_base64", "resume_file", "email", "e_mail", "phone", "phone_number",
        "mobile", "name", "full_name", "first_name", "last_name", "address", "date_of_birth", "dob",
        "demographics", "sex", "race_ethnicity",  # self-reported, special-category data
    }
)  # fmt: skip
# Structural fields, never personal: FastStream's message_id (``<offset>-<timestamp ms>``) is
# phone-shaped, and scrubbing it would cost the one handle that finds the record.
SAFE_KEYS = frozenset({"message_id", "topic", "group_id", "logger", "level"})
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Phone-shaped: an optional + or (, then 9-15 digits in groups. The look-behind spares offsets
# (``topic[0]@12345678901``) and ids (``cand-123456789``); dates and IPv4 addresses are
# spared in ``_phone``.
_PHONE = re.compile(r"(?<![\w@./\[-])(?:\+\s?|\()?\d[\d\s().-]{6,}\d(?![\w@/])")
_SPARED = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,3}(?:\.\d{1,3}){3}$")
# Loggers that install their own handlers (and stop propagation) unless told otherwise.
ROUTED_LOGGERS = ("faststream", "faststream.access", "aiokafka", "uvicorn", "uvicorn.error", "uvicorn.access")


def scrub(text: str) -> str:
    text = _EMAIL.sub("[email]", text)
    return _PHONE.sub(_phone, text)


def _phone(match: re.Match[str]) -> str:
    found = match.group(0)
    digits = sum(c.isdigit() for c in found)
    if not 9 <= digits <= 15 or _SPARED.match(found):
        return found
    return "[phone]"


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {k: REDACTED if _sensitive(k) else _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _sensitive(key: object) -> bool:
    return isinstance(key, str) and key.lower() in SENSITIVE_KEYS


def redact(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: runs after exceptions are formatted, before the renderer."""
    for key, value in list(event_dict.items()):
        if key.startswith("_") or key in SAFE_KEYS:
            continue  # ``_record`` etc. are structlog's bookkeeping, never rendered
        event_dict[key] = REDACTED if _sensitive(key) else _clean(value)
    return event_dict


def _drop_colour(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    event_dict.pop("color_message", None)  # uvicorn's ANSI-coloured copy of the message
    return event_dict


class DropPayloads(logging.Filter):
    """aiokafka's producer logs every record it sends, key and value verbatim, at DEBUG: résumés
    and dead letters included, and the scrubbing above catches contacts, not names or text.
    Keeps the line, without the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith("Sending (key=") and record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.msg, record.args = "Sending a record to %s", (args[-1],)
        return True


PAYLOAD_LOGGERS = ("aiokafka.producer.producer",)


def configure_logging(level: str | int = "INFO") -> None:
    """Idempotent: replaces the root handler, so it may run again (e.g. in each worker)."""
    pre_chain: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),  # FastStream passes topic, group_id, message_id as extras
        _drop_colour,
    ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=pre_chain,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact,  # after format_exc_info: tracebacks quote arguments and local values
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in ROUTED_LOGGERS:
        routed = logging.getLogger(name)
        routed.handlers = []
        routed.propagate = True
    for name in PAYLOAD_LOGGERS:
        sender = logging.getLogger(name)
        if not any(isinstance(f, DropPayloads) for f in sender.filters):
            sender.addFilter(DropPayloads())
    structlog.configure(
        processors=[*pre_chain[:3], structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
