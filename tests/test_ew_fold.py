"""Subjects of Chinese text folded into encoded words by ``notify.ew_fold``: the same
header bytes the email package's default policy folds, for every length, mixture and line
end (and the whole message as ``build_message`` writes it)."""

from __future__ import annotations

import random
from datetime import datetime
from email.policy import default

import pytest

from reporting.notify import ew_fold
from reporting.notify.mailer import OutgoingMail, build_message, message_bytes

CHARS = (
    "配合单位反馈测试区督查考核办牵头任务的第一季度《》（）【】“”：、，。"
    + "0123456789ABCxyz-_.!*+/=?@#%&'"
)


def stdlib(name: str, text: str, policy) -> bytes:
    return policy.fold_binary(name, policy.header_store_parse(name, text)[1])


def subjects():
    rng = random.Random(33)
    out = ["【配合单位反馈】2024年第一季度测试单位0002牵头任务的配合单位反馈", "测", "a测", "测a"]
    for n in list(range(1, 90)) + [120, 200, 400]:
        for _ in range(3):
            out.append("".join(rng.choice(CHARS) for _ in range(n)))
    return [s for s in out if ew_fold.foldable(s)]


@pytest.mark.parametrize("linesep", ["\n", "\r\n"])
@pytest.mark.parametrize("maxlen", [78, 40, 100])
def test_a_subject_folds_as_the_email_package_folds_it(linesep, maxlen):
    policy = default.clone(linesep=linesep, max_line_length=maxlen)
    texts = subjects()
    assert len(texts) > 250
    for text in texts:
        ours = ew_fold.fold("Subject", text, maxlen, linesep).encode("ascii")
        assert ours == stdlib("Subject", text, policy), text


def test_only_single_words_of_printable_non_ascii_text_are_folded_here():
    assert ew_fold.foldable("【配合单位反馈】测试单位0002")
    for text in ("ascii only", "plain", "两个 词", "制表\t符", "=?utf-8?q?x?=测", "换行\n", ""):
        assert not ew_fold.foldable(text), text


def test_a_message_with_such_a_subject_is_the_email_packages():
    when = datetime(2024, 4, 3, 17, 30).astimezone()
    for subject in subjects()[::25]:
        mail = OutgoingMail(
            to=[("测试单位0002", "unit0002@bench.example")], subject=subject, body="正文"
        )
        _, ours = message_bytes(
            mail, sender="duban@example.org", sender_display="区督查考核办", date=when
        )
        expected = build_message(
            mail, sender="duban@example.org", sender_display="区督查考核办", date=when
        )
        head = ours.split(b"\n\n", 1)[0]
        assert stdlib("Subject", subject, default) in head + b"\n"
        assert head.split(b"Message-ID")[0] == expected.as_bytes().split(b"Message-ID")[0]


NAME_CHARS = "测试单位区督查考核办自然资源规划分局街道（）《》·0123456789ABCxyz"
ADDRESSES = ["unit0002@bench.example", "a.b-c_d+e@mail.gov.cn", "x@y", "zhang.san@a-b.example.org"]


def names():
    rng = random.Random(18)
    out = ["测试单位0002", "区自然资源规划分局", "甲"]
    for n in list(range(1, 50)) + [60, 80]:
        out += ["".join(rng.choice(NAME_CHARS) for _ in range(n)) for _ in range(3)]
    return out


@pytest.mark.parametrize("linesep", ["\n", "\r\n"])
@pytest.mark.parametrize("maxlen", [78, 60])
def test_one_address_under_a_chinese_name_is_the_email_packages(linesep, maxlen):
    from email.headerregistry import Address

    policy = default.clone(linesep=linesep, max_line_length=maxlen)
    direct = 0
    for name in names():
        for addr in ADDRESSES:
            ours = ew_fold.address_line("To", name, addr, maxlen, linesep)
            if ours is None:  # not this shape, or too long for one line
                continue
            direct += 1
            header = policy.header_store_parse("To", [Address(display_name=name, addr_spec=addr)])
            assert ours.encode("ascii") == policy.fold_binary("To", header[1]), (name, addr)
    assert direct > 80
    for name, addr in (
        ("a b 测", "x@y"),
        ("测,试", "x@y"),
        ("测试", "bad address@y"),
        ("plain", "x@y"),
    ):
        assert ew_fold.address_line("To", name, addr, maxlen, linesep) is None
