"""The bulk tokeniser (what `search.for_bulk()` turns on for imports and re-indexing) gives
byte for byte the tokens of the one-text path, which is the tokeniser every index was
built with: checked on a large, varied corpus, and against the digest of what the
tokeniser of deskcli 98501d0 gave for the same corpus."""

import hashlib
import random

from deskcli.search import tokens as search
from deskcli.search.tables import _TRAD

# sha256 of "\n".join(index_text(text) for text in corpus()) by deskcli 98501d0
EXPECTED = "10c7a084a5f5056ef9d2087ebd38084a7c33ff59f61fe0b6a6957664786655ab"

WORDS = ["login", "logins", "logged", "crashes", "crashing", "cancellation", "iPhone13",
         "e-mail", "wi-fi", "step-by-step", "student's", "don't", "3.2.1", "iOS", "SMS",
         "App", "password", "Refund", "renewal", "teachers'", "it’s", "v2", "x86-64",
         "résumé", "naïve", "Straße", "İstanbul", "ΑΘΗΝΑ", "москва", "42", "007", "½",
         "١٢٣", "ﬁle", "Ⅻ", "℃", "㎏", "a.b.c", "--", "''", "o'", "'s"]
CJK = "学员登录失败续费课程老师家长退款闪退平板上课时间校区账号密码的了吗不怎么办请问很卡"
PUNCT = " \t\n,.!?;:()[]{}\"'’-_/\\@#%&*+=<>|~`^，。！？；：（）【】、《》「」…—　"
OTHER = ("かなカナ한국어ｶﾅＡＢＣａｂｃ０１２３！＂＃㊀㈠①⑴⒈🙂😀👍🏽\u200d\u0301\u00a0"
         "\U00020000\U0002a6d6\U00030000\u4dc0\u3097\u30fb\u3400\uf900\uac00\u309d")


def corpus(count: int = 20_000) -> list[str]:
    rng = random.Random(1515)
    pools = [lambda: rng.choice(WORDS), lambda: "".join(rng.choices(CJK, k=rng.randint(1, 9))),
             lambda: "".join(rng.choices(_TRAD, k=rng.randint(1, 5))),
             lambda: "".join(rng.choices(PUNCT, k=rng.randint(1, 3))),
             lambda: "".join(rng.choices(OTHER, k=rng.randint(1, 4))),
             lambda: str(rng.randint(0, 10**12))]
    texts = ["", " ", "课", "登录", "ABC", "a", "😀", "\U00020000"]
    while len(texts) < count:
        parts = [rng.choice(pools)() for _ in range(rng.randint(1, 12))]
        texts.append("".join(p + rng.choice(["", " ", ""]) for p in parts))
    return texts


def tokens(texts, bulk: bool) -> list[str]:
    saved = search._lazy
    search._lazy = None
    try:
        if bulk:
            search.for_bulk()
        return [search.index_text(text) for text in texts]
    finally:
        search._lazy = saved


def test_bulk_tokens_are_the_one_text_tokens():
    texts = corpus()
    one = tokens(texts, bulk=False)
    bulk = tokens(texts, bulk=True)
    differ = [(t, a, b) for t, a, b in zip(texts, one, bulk, strict=True) if a != b]
    assert not differ, differ[:5]
    assert hashlib.sha256("\n".join(bulk).encode()).hexdigest() == EXPECTED
    assert sum(map(len, bulk)) > 500_000  # the corpus is not trivially empty
