"""One example body per event type that DocInk has not published a body for.

Shapes follow DOCINK.md: the envelope, and payloads in the device-order style, with a field the
schemas do not name yet (to show it is kept) in some of them.
"""

from __future__ import annotations

from typing import Any

ENVELOPE = {"app_uuid": 314180500, "org_uuid": 568691045, "event_time": "2021-03-01T09:00:00+00:00"}
STAMPS = {"created_at": "2021-03-01T08:59:58+00:00", "updated_at": "2021-03-01T08:59:59+00:00"}


def example(event_name: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {**ENVELOPE, "event_name": event_name, "payload": payload}


EXAMPLES: dict[str, dict[str, Any]] = {
    "bot-uninstallation": example(
        "bot-uninstallation", {"org_uuid": 568691045, "org_name": "Jakes dev", "reason": "removed"}
    ),
    "device-order-updated": example(
        "device_order_updated",
        {
            **STAMPS,
            "uuid": 1285217310,
            "patient_uuid": 1680330017,
            "user_uuid": 324904135,
            "bot_uuid": None,
            "device_uuid": 451295675,
            "patient_rpm_program_uuid": 676991425,
        },
    ),
    "device-order-deleted": example(
        "device_order_deleted",
        {
            **STAMPS,
            "uuid": 1285217310,
            "patient_uuid": 1680330017,
            "user_uuid": None,
            "bot_uuid": 77,
            "device_uuid": 451295675,
            "patient_rpm_program_uuid": 676991425,
        },
    ),
    "appointment-confirmed": example(
        "Appointment confirmed",
        {
            **STAMPS,
            "uuid": 9001,
            "patient_uuid": 1680330017,
            "user_uuid": 324904135,
            "starts_at": "2021-03-02T10:00:00+00:00",
        },
    ),
    "appointment-cancelled": example(
        "appointment_cancelled", {"uuid": 9001, "patient_uuid": 1680330017, "user_uuid": None}
    ),
    "task-created": example(
        "task_created",
        {
            **STAMPS,
            "uuid": 501,
            "patient_uuid": None,
            "user_uuid": 324904135,
            "title": "Call back",
            "due": None,
        },
    ),
    "task-updated": example("Task updated", {**STAMPS, "uuid": 501, "user_uuid": 324904135}),
    "task-deleted": example("task.deleted", {"uuid": 501}),
    "voice-pager-number-created": example(
        "voice_pager_number_created",
        {**STAMPS, "uuid": 31, "user_uuid": 324904135, "number": "+15555550100"},
    ),
    "voice-pager-number-deleted": example("Voice pager number deleted", {"uuid": 31}),
}
