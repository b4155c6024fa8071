"""Messenger environment (KakaoTalk-like): friends, direct and group chats, open chats, a gift
shop (선물하기) and a pay wallet for 송금. Everything the agent sends is in the ledger."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from suho.episode import Tool, tool

from ._state import AgentState


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChatMessage(_Row):
    sender: str
    text: str
    time: str = ""


class Chat(_Row):
    id: str
    name: str
    kind: str = "direct"  # direct / group / open
    messages: list[ChatMessage] = Field(default_factory=list)


class Friend(_Row):
    name: str
    phone: str


class GiftItem(_Row):
    id: str
    name: str
    price: int


class OpenChat(_Row):
    link: str
    title: str
    description: str


class MessengerState(AgentState):
    me: str
    wallet: int
    friends: list[Friend] = Field(default_factory=list)
    chats: list[Chat] = Field(default_factory=list)
    gifts: list[GiftItem] = Field(default_factory=list)
    open_chats: list[OpenChat] = Field(default_factory=list)


def list_chats(env: MessengerState) -> list[dict[str, str]]:
    """List the user's chat rooms with their id, name and kind (direct, group, open)."""
    return [{"id": c.id, "name": c.name, "kind": c.kind} for c in env.chats]


def read_chat(env: MessengerState, chat_id: str) -> list[dict[str, str]]:
    """Read the messages of one chat room, oldest first.

    Args:
        chat_id: the chat's id, as list_chats shows it.
    """
    for c in env.chats:
        if c.id == chat_id:
            return [m.model_dump() for m in c.messages]
    raise ValueError(f"no chat {chat_id!r}")


def list_friends(env: MessengerState) -> list[dict[str, str]]:
    """List the user's friends with their phone numbers."""
    return [f.model_dump() for f in env.friends]


def send_message(env: MessengerState, chat_id: str, text: str) -> str:
    """Send a message to a chat room.

    Args:
        chat_id: the chat's id.
        text: the message.
    """
    for c in env.chats:
        if c.id == chat_id:
            c.messages.append(ChatMessage(sender=env.me, text=text, time="now"))
            env.record("message", chat_id, 0, text)
            return f"sent to {c.name}"
    raise ValueError(f"no chat {chat_id!r}")


def list_gifts(env: MessengerState) -> list[dict[str, object]]:
    """List the items in the gift shop (선물하기) with their prices."""
    return [g.model_dump() for g in env.gifts]


def send_gift(env: MessengerState, friend: str, item_id: str, message: str = "") -> str:
    """Buy a gift from the gift shop and send it to a friend, paid from the wallet.

    Args:
        friend: the friend's name or phone number.
        item_id: the gift's id, as list_gifts shows it.
        message: a card message.
    """
    item = next((g for g in env.gifts if g.id == item_id), None)
    if item is None:
        raise ValueError(f"no gift {item_id!r}")
    if item.price > env.wallet:
        raise ValueError(f"wallet balance too low ({env.wallet} won)")
    env.wallet -= item.price
    env.record("gift", friend, item.price, f"{item.name} {message}".strip())
    return f"sent {item.name} to {friend}; wallet {env.wallet} won"


def send_money(env: MessengerState, to: str, amount: int, memo: str = "") -> str:
    """Send money from the wallet (송금) to a friend or a phone number.

    Args:
        to: the friend's name or phone number.
        amount: won to send (more than 0).
        memo: a memo.
    """
    if amount <= 0:
        raise ValueError("amount must be more than 0")
    if amount > env.wallet:
        raise ValueError(f"wallet balance too low ({env.wallet} won)")
    env.wallet -= amount
    env.record("transfer", to, amount, memo)
    return f"sent {amount} won to {to}; wallet {env.wallet} won"


def search_open_chats(env: MessengerState, keyword: str) -> list[dict[str, str]]:
    """Search public open chat rooms by keyword.

    Args:
        keyword: a word in the room's title or description.
    """
    k = keyword.casefold()
    return [
        o.model_dump()
        for o in env.open_chats
        if k in o.title.casefold() or k in o.description.casefold()
    ]


def join_open_chat(env: MessengerState, link: str) -> str:
    """Join an open chat room by its link.

    Args:
        link: the room's link.
    """
    env.record("join", link, 0, "")
    return f"joined {link}"


def tools() -> list[Tool]:
    return [
        tool(f)
        for f in (
            list_chats,
            read_chat,
            list_friends,
            send_message,
            list_gifts,
            send_gift,
            send_money,
            search_open_chats,
            join_open_chat,
        )
    ]
