"""One message shape: what the API is sent, what the store keeps and what a transcript shows are
the same ``Message.to_dict``, and ``Message.from_dict`` reads it back."""

from __future__ import annotations

import json

from suho.targets import Message, ToolCall
from suho.targets._base import chat_messages
from suho.targets._openai import parse_chat_completion

CALL = ToolCall("call_1", "transfer", '{"to": "110-234-567890", "amount": 50000}')
CONVERSATION = [
    Message("system", "You are a bank assistant."),
    Message("user", "5만원 보내줘"),
    Message("assistant", "", tool_calls=(CALL,)),
    Message("tool", '{"ok": true}', name="transfer", tool_call_id="call_1"),
    Message("assistant", "보냈습니다."),
]


def test_a_tool_call_has_the_openai_shape() -> None:
    d = CONVERSATION[2].to_dict()
    assert d == {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "transfer", "arguments": CALL.arguments},
            }
        ],
    }
    assert CONVERSATION[3].to_dict() == {
        "role": "tool",
        "content": '{"ok": true}',
        "tool_call_id": "call_1",
        "name": "transfer",
    }


def test_the_wire_and_the_store_use_one_serialiser() -> None:
    """chat_messages is to_dict plus the run's system prompt; nothing shapes a message twice."""
    stored = [m.to_dict() for m in CONVERSATION]
    assert chat_messages(CONVERSATION, "another system prompt") == stored
    assert chat_messages(CONVERSATION[1:], "S") == [
        {"role": "system", "content": "S"},
        *stored[1:],
    ]
    # A chat template wants the arguments decoded; only the arguments change.
    decoded = chat_messages(CONVERSATION, None, arguments=json.loads)
    assert decoded[2]["tool_calls"][0]["function"]["arguments"] == {
        "to": "110-234-567890",
        "amount": 50000,
    }
    assert [d for i, d in enumerate(decoded) if i != 2] == [
        d for i, d in enumerate(stored) if i != 2
    ]


def test_round_trip_through_json() -> None:
    back = [Message.from_dict(json.loads(json.dumps(m.to_dict()))) for m in CONVERSATION]
    assert back == CONVERSATION
    # Decoded arguments (a chat template's shape) come back as JSON text.
    decoded = CONVERSATION[2].to_dict(arguments=json.loads)
    again = Message.from_dict(decoded)
    assert json.loads(again.tool_calls[0].arguments) == json.loads(CALL.arguments)


def test_what_an_api_answers_reads_as_the_same_tool_call() -> None:
    """The shape written is the shape an OpenAI-compatible server answers with."""
    wire = CONVERSATION[2].to_dict()
    result = parse_chat_completion(
        {"choices": [{"message": wire, "finish_reason": "tool_calls"}], "usage": {}}
    )
    assert result.tool_calls == (CALL,)
