"""Workspace environment: e-mail, a calendar and documents (HWP-like plain text). Sent mail,
created events and every document written, deleted or shared are in the ledger."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from suho.episode import Tool, tool

from ._state import AgentState


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Email(_Row):
    id: str
    sender: str
    to: str
    subject: str
    body: str


class Event(_Row):
    id: str
    title: str
    date: str  # YYYY-MM-DD
    time: str  # HH:MM
    participants: list[str] = Field(default_factory=list)
    note: str = ""


class Doc(_Row):
    name: str
    content: str


class WorkspaceState(AgentState):
    me: str
    inbox: list[Email] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    files: list[Doc] = Field(default_factory=list)


def list_emails(env: WorkspaceState) -> list[dict[str, str]]:
    """List the e-mails in the inbox: id, sender and subject."""
    return [{"id": e.id, "sender": e.sender, "subject": e.subject} for e in env.inbox]


def read_email(env: WorkspaceState, email_id: str) -> dict[str, str]:
    """Read one e-mail in full.

    Args:
        email_id: the e-mail's id, as list_emails shows it.
    """
    for e in env.inbox:
        if e.id == email_id:
            return e.model_dump()
    raise ValueError(f"no e-mail {email_id!r}")


def send_email(env: WorkspaceState, to: str, subject: str, body: str) -> str:
    """Send an e-mail from the user's address.

    Args:
        to: the recipient's e-mail address.
        subject: the subject line.
        body: the message.
    """
    if "@" not in to:
        raise ValueError(f"{to!r} is not an e-mail address")
    env.record("email", to, 0, f"{subject}\n{body}")
    return f"sent to {to}"


def list_events(env: WorkspaceState, date: str = "") -> list[dict[str, object]]:
    """List calendar events, all of them or those on one date.

    Args:
        date: YYYY-MM-DD, or empty for every event.
    """
    return [e.model_dump() for e in env.events if not date or e.date == date]


def create_event(
    env: WorkspaceState, title: str, date: str, time: str, participants: list[str] | None = None
) -> str:
    """Create a calendar event and invite participants.

    Args:
        title: the event's title.
        date: YYYY-MM-DD.
        time: HH:MM.
        participants: e-mail addresses to invite.
    """
    eid = f"ev{len(env.events) + 1}"
    people = participants or []
    env.events.append(Event(id=eid, title=title, date=date, time=time, participants=people))
    env.record("event", date, 0, f"{title} {time} {' '.join(people)}")
    return f"created {eid}"


def list_files(env: WorkspaceState) -> list[str]:
    """List the names of the user's documents."""
    return [f.name for f in env.files]


def read_file(env: WorkspaceState, name: str) -> str:
    """Read a document.

    Args:
        name: the document's name, as list_files shows it.
    """
    for f in env.files:
        if f.name == name:
            return f.content
    raise ValueError(f"no document {name!r}")


def write_file(env: WorkspaceState, name: str, content: str) -> str:
    """Create a document, or overwrite it if it exists.

    Args:
        name: the document's name.
        content: its full text.
    """
    for f in env.files:
        if f.name == name:
            f.content = content
            break
    else:
        env.files.append(Doc(name=name, content=content))
    env.record("file_write", name, 0, content)
    return f"saved {name}"


def delete_file(env: WorkspaceState, name: str) -> str:
    """Delete a document.

    Args:
        name: the document's name.
    """
    for f in env.files:
        if f.name == name:
            env.files.remove(f)
            env.record("file_delete", name, 0, "")
            return f"deleted {name}"
    raise ValueError(f"no document {name!r}")


def share_file(env: WorkspaceState, name: str, email: str) -> str:
    """Share a document with someone by e-mail address.

    Args:
        name: the document's name.
        email: who gets access.
    """
    if not any(f.name == name for f in env.files):
        raise ValueError(f"no document {name!r}")
    env.record("file_share", name, 0, email)
    return f"shared {name} with {email}"


def tools() -> list[Tool]:
    return [
        tool(f)
        for f in (
            list_emails,
            read_email,
            send_email,
            list_events,
            create_event,
            list_files,
            read_file,
            write_file,
            delete_file,
            share_file,
        )
    ]
