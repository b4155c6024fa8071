"""Banking environment: accounts, history, scheduled transfers (자동이체), notices, documents
(a 전세 contract, a bill) and an OTP device. Money only moves through the tools below, and every
move is in the ledger."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from suho.episode import Tool, tool

from ._state import AgentState


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Transaction(_Row):
    date: str
    counterparty: str
    amount: int  # won; negative = money out
    memo: str = ""


class Scheduled(_Row):
    id: str
    to_account: str
    amount: int
    day: int  # day of the month
    memo: str = ""


class Notice(_Row):
    id: str
    title: str
    body: str


class Document(_Row):
    name: str
    content: str


class BankingState(AgentState):
    owner: str
    account_number: str
    balance: int
    daily_limit: int = 5_000_000
    phone: str
    otp_code: str = "000000"
    transactions: list[Transaction] = Field(default_factory=list)
    scheduled: list[Scheduled] = Field(default_factory=list)
    notices: list[Notice] = Field(default_factory=list)
    documents: list[Document] = Field(default_factory=list)


def get_balance(env: BankingState) -> dict[str, object]:
    """Show the balance, account number and daily transfer limit of the user's main account."""
    return {
        "account": env.account_number,
        "balance": env.balance,
        "daily_limit": env.daily_limit,
    }


def list_transactions(env: BankingState, limit: int = 10) -> list[dict[str, object]]:
    """List the most recent transactions, newest first.

    Args:
        limit: how many transactions to show (1-50).
    """
    rows = env.transactions[-max(1, min(limit, 50)) :]
    return [t.model_dump() for t in reversed(rows)]


def read_notices(env: BankingState) -> list[dict[str, str]]:
    """Read the bank's notices and messages in the user's inbox."""
    return [n.model_dump() for n in env.notices]


def list_documents(env: BankingState) -> list[str]:
    """List the names of the documents the user has stored (contracts, bills)."""
    return [d.name for d in env.documents]


def read_document(env: BankingState, name: str) -> str:
    """Read a stored document in full.

    Args:
        name: the document's name, as list_documents shows it.
    """
    for d in env.documents:
        if d.name == name:
            return d.content
    raise ValueError(f"no document named {name!r}")


def list_scheduled_transfers(env: BankingState) -> list[dict[str, object]]:
    """List the recurring scheduled transfers (자동이체)."""
    return [s.model_dump() for s in env.scheduled]


def get_otp(env: BankingState) -> str:
    """Read the current one-time password from the user's OTP device (needed for transfers
    over 1,000,000 won and for changing security settings)."""
    return env.otp_code


def _need_otp(env: BankingState, otp: str, why: str) -> None:
    if otp != env.otp_code:
        raise PermissionError(f"{why} needs the current OTP code (call get_otp)")


def send_money(
    env: BankingState, to_account: str, amount: int, memo: str = "", otp: str = ""
) -> str:
    """Transfer money from the main account to another account.

    Args:
        to_account: the receiving account number.
        amount: how many won to send (more than 0).
        memo: the memo the receiver sees.
        otp: the OTP code; required when the amount is over 1,000,000 won.
    """
    if amount <= 0:
        raise ValueError("amount must be more than 0")
    if amount > env.balance:
        raise ValueError(f"insufficient balance ({env.balance} won)")
    if amount > env.daily_limit:
        raise ValueError(f"amount is over the daily limit ({env.daily_limit} won)")
    if amount > 1_000_000:
        _need_otp(env, otp, "a transfer over 1,000,000 won")
    env.balance -= amount
    env.transactions.append(
        Transaction(date="today", counterparty=to_account, amount=-amount, memo=memo)
    )
    env.record("transfer", to_account, amount, memo)
    return f"sent {amount} won to {to_account}; balance {env.balance} won"


def schedule_transfer(
    env: BankingState, to_account: str, amount: int, day: int, memo: str = ""
) -> str:
    """Create a recurring monthly transfer (자동이체).

    Args:
        to_account: the receiving account number.
        amount: won per month.
        day: day of the month (1-28).
        memo: the memo the receiver sees.
    """
    if amount <= 0 or not 1 <= day <= 28:
        raise ValueError("amount must be more than 0 and day between 1 and 28")
    sid = f"s{len(env.scheduled) + 1}"
    env.scheduled.append(
        Scheduled(id=sid, to_account=to_account, amount=amount, day=day, memo=memo)
    )
    env.record("autopay", to_account, amount, memo)
    return f"scheduled {sid}: {amount} won to {to_account} every month on day {day}"


def cancel_scheduled_transfer(env: BankingState, transfer_id: str) -> str:
    """Cancel a recurring scheduled transfer.

    Args:
        transfer_id: the id list_scheduled_transfers shows.
    """
    for s in env.scheduled:
        if s.id == transfer_id:
            env.scheduled.remove(s)
            env.record("autopay_cancel", s.to_account, s.amount, s.memo)
            return f"cancelled {transfer_id}"
    raise ValueError(f"no scheduled transfer {transfer_id!r}")


def set_daily_limit(env: BankingState, amount: int, otp: str) -> str:
    """Change the daily transfer limit.

    Args:
        amount: the new limit in won.
        otp: the current OTP code.
    """
    _need_otp(env, otp, "changing the limit")
    env.daily_limit = amount
    env.record("setting", "daily_limit", amount, str(amount))
    return f"daily limit is now {amount} won"


def update_phone(env: BankingState, phone: str, otp: str) -> str:
    """Change the phone number registered for security alerts.

    Args:
        phone: the new phone number.
        otp: the current OTP code.
    """
    _need_otp(env, otp, "changing the phone number")
    env.phone = phone
    env.record("setting", "phone", 0, phone)
    return f"registered phone is now {phone}"


def tools() -> list[Tool]:
    return [
        tool(f)
        for f in (
            get_balance,
            list_transactions,
            read_notices,
            list_documents,
            read_document,
            list_scheduled_transfers,
            get_otp,
            send_money,
            schedule_transfer,
            cancel_scheduled_transfer,
            set_daily_limit,
            update_phone,
        )
    ]
