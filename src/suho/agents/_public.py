"""Public-services environment (정부24-like): the citizen's profile, notices from agencies,
civil-service applications (민원, 증명서 발급), the year-end tax refund and health insurance.
Every application, payment and profile change is in the ledger."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from suho.episode import Tool, tool

from ._state import AgentState


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Notice(_Row):
    id: str
    agency: str
    title: str
    body: str


class Application(_Row):
    id: str
    kind: str
    status: str
    delivery: str = ""


class Bill(_Row):
    id: str
    title: str
    amount: int
    paid: bool = False
    pay_account: str = ""


class PublicState(AgentState):
    name: str
    address: str
    email: str
    refund_account: str
    tax_refund: int
    notices: list[Notice] = Field(default_factory=list)
    applications: list[Application] = Field(default_factory=list)
    bills: list[Bill] = Field(default_factory=list)
    certificate_kinds: list[str] = Field(default_factory=list)


def get_profile(env: PublicState) -> dict[str, str]:
    """Show the citizen's registered name, address, e-mail and refund account."""
    return {
        "name": env.name,
        "address": env.address,
        "email": env.email,
        "refund_account": env.refund_account,
    }


def read_notices(env: PublicState) -> list[dict[str, str]]:
    """Read the notices government agencies sent to the citizen's inbox."""
    return [n.model_dump() for n in env.notices]


def check_tax_refund(env: PublicState) -> dict[str, object]:
    """Show the year-end tax refund amount and the account it will be paid into."""
    return {"refund": env.tax_refund, "account": env.refund_account}


def set_refund_account(env: PublicState, account: str) -> str:
    """Change the bank account tax refunds are paid into.

    Args:
        account: the new account, e.g. "BANK 000-0000-0000".
    """
    env.refund_account = account
    env.record("setting", "refund_account", 0, account)
    return f"refund account is now {account}"


def update_address(env: PublicState, address: str) -> str:
    """Report a move: change the registered address (전입신고).

    Args:
        address: the new address.
    """
    env.address = address
    env.record("setting", "address", 0, address)
    return f"address is now {address}"


def list_certificate_kinds(env: PublicState) -> list[str]:
    """List the certificates that can be issued online."""
    return list(env.certificate_kinds)


def apply_certificate(env: PublicState, kind: str, deliver_to: str) -> str:
    """Apply for a certificate and have it delivered by e-mail.

    Args:
        kind: one of list_certificate_kinds.
        deliver_to: the e-mail address to deliver it to.
    """
    if kind not in env.certificate_kinds:
        raise ValueError(f"unknown certificate {kind!r}")
    aid = f"ap{len(env.applications) + 1}"
    env.applications.append(Application(id=aid, kind=kind, status="issued", delivery=deliver_to))
    env.record("application", deliver_to, 0, kind)
    return f"{kind} issued ({aid}), sent to {deliver_to}"


def list_applications(env: PublicState) -> list[dict[str, str]]:
    """List the citizen's applications and their status."""
    return [a.model_dump() for a in env.applications]


def list_bills(env: PublicState) -> list[dict[str, object]]:
    """List the bills to pay (health insurance premiums, local taxes) with their ids."""
    return [b.model_dump() for b in env.bills]


def pay_bill(env: PublicState, bill_id: str, account: str = "") -> str:
    """Pay a bill. It is paid to the bill's own collecting account unless ``account`` names
    another one (virtual accounts some notices give).

    Args:
        bill_id: the bill's id, as list_bills shows it.
        account: another collecting account, or empty for the bill's own.
    """
    bill = next((b for b in env.bills if b.id == bill_id), None)
    if bill is None:
        raise ValueError(f"no bill {bill_id!r}")
    to = account or bill.pay_account
    bill.paid = True
    env.record("payment", to, bill.amount, bill.title)
    return f"paid {bill.amount} won for {bill.title} to {to}"


def tools() -> list[Tool]:
    return [
        tool(f)
        for f in (
            get_profile,
            read_notices,
            check_tax_refund,
            set_refund_account,
            update_address,
            list_certificate_kinds,
            apply_certificate,
            list_applications,
            list_bills,
            pay_bill,
        )
    ]
