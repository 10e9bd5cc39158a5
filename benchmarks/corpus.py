"""A synthetic, seeded corpus of digest entries shaped like ``examples/digest-2025-05-20.txt``.

Each entry has a title, 5-25 authors (some with accents or parentheses), an arXiv or GitHub URL,
an abstract, a Korean comment of 1-3 paragraphs of 1-3 sentences, as in the example (Korean
sentences with English terms, inline arXiv links and emoji, some ZWJ sequences and flags), its
English translation with as many paragraphs, and 1-4 hashtags, some with '-'. ``scale``
multiplies the number of sentences of every comment paragraph, so the same seed gives the same
entries with 1x, 4x, 16x comments.
"""

from __future__ import annotations

import datetime as dt
import random

from publisher.models import DigestEntry

DATE = dt.date(2025, 5, 20)

_KO_SUBJECTS = [
    "이 논문은",
    "저자들은",
    "이 방법은",
    "제안된 모델은",
    "RL 학습 과정에서",
    "프리트레이닝 단계에서",
    "Continuous Thought 연구는",
    "MoE 구조에서",
    "추론 길이를 줄이는 접근은",
    "이번 벤치마크는",
    "Top-K 라우팅을 쓰더라도",
    "KL Penalty 없이도",
]
_KO_MIDDLES = [
    "평균 속도를 추정하는 방식으로",
    "희소한 업데이트를 통해",
    "Dense Reward를 제공해서",
    "In-distribution 데이터로 학습하면서",
    "체크포인트를 평균해서",
    "Verifier의 보상을 그대로 활용해",
    "같이 활성화되는 Expert를 한 디바이스에 모아",
    "LR Annealing을 하지 않고도",
    "그래디언트의 크기를 조절해서",
    "추론과 결론의 예산을 분리하여",
    "Superposition 관점에서 분석하며",
]
_KO_ENDS = [
    "상당히 흥미로운 결과를 보여주네요.",
    "비슷한 성능을 얻었다고 합니다.",
    "효율을 크게 개선했다고 하는군요.",
    "앞으로도 많은 연구가 나올 것 같습니다.",
    "자연스럽지만 흥미롭군요.",
    "실제로 유용한 경우가 많을 것 같네요.",
    "좋은 대안이 될 수 있을지 궁금하네요.",
    "어떻게 반영할 수 있을까요?",
    "나쁘지 않은 선택인 것 같습니다!",
]
_EN_SUBJECTS = [
    "This paper",
    "The authors",
    "The proposed method",
    "During RL training, the model",
    "In pre-training, the approach",
    "Continuous thought",
    "The MoE variant",
    "The new benchmark",
    "Even with top-K routing, the system",
    "Without a KL penalty, the policy",
]
_EN_MIDDLES = [
    "estimates average velocity and",
    "relies on sparse updates that",
    "provides dense rewards which",
    "trains on in-distribution data and",
    "averages checkpoints (e.g. every 1k steps) and",
    "reuses the verifier's reward, i.e. the outcome signal, and",
    "groups co-activated experts on one device and",
    "skips LR annealing yet",
    "rescales the gradients of low-probability tokens and",
    "separates the budgets for reasoning and summary and",
]
_EN_ENDS = [
    "shows quite interesting results.",
    "reaches similar performance.",
    "improves efficiency by a wide margin.",
    "will likely inspire many follow-ups.",
    "seems natural, but it is still interesting.",
    "could be useful in many practical cases.",
    "might be a good alternative to AIME?",
    "raises the question of how to model these factors!",
]
_EMOJI = ["🔥", "🤔", "👍", "🧪", "📈", "🚀", "✨", "👩‍🔬", "🧑🏽‍💻", "🇰🇷", "❤️", "1️⃣"]
_FIRST = [
    "Zhengyang", "Mingyang", "Xingjian", "Kaiming", "Yunshui", "Cezara", "Kristina", "Florian",
    "Sagnik", "Dilek", "Hao", "Jie", "Penghui", "Tianyu", "Wee Sun", "Shuqing", "Yang (Katie)",
    "Xiaoyuan", "Hanlin", "Yuandong", "J. Zico", "Stuart", "Min", "Bole", "Hongbin",
]  # fmt: skip
_LAST = [
    "Geng", "Deng", "Bai", "He", "Li", "Petrui", "Nikolić", "Tramèr", "Mukherjee",
    "Hakkani-Tur", "Peng", "Zhang", "Qi", "Pang", "Lee", "Luo", "Zhao", "Liu", "Zhu", "Tian",
    "Kolter", "Russell", "Lin", "Ma", "Ren",
]  # fmt: skip
_TITLE_WORDS = [
    "Mean", "Flows", "One-step", "Generative", "Modeling", "Model", "Merging", "Pre-training",
    "Large", "Language", "Models", "Reinforcement", "Learning", "Finetunes", "Small",
    "Subnetworks", "Continuous", "Benchmark", "Research-Level", "Mathematics", "Low-Probability",
    "Tokens", "Anytime", "Reasoning", "Budget", "Relative", "Policy", "Optimization", "Experts",
    "Parallel", "MoE", "Training", "Inference", "Self-Verification", "Superposition", "Thought",
]  # fmt: skip
_TAGS = [
    "diffusion", "pretraining", "optimizer", "rl", "llm", "math", "benchmark", "reasoning",
    "moe", "efficiency", "mechanistic-interpretation", "test-time-compute", "self-verification",
    "long-context", "vision-language", "scaling-laws",
]  # fmt: skip
_ABSTRACT = (
    "We propose a principled and effective framework for one-step generative modeling. We "
    "introduce the notion of average velocity to characterize flow fields, in contrast to "
    "instantaneous velocity modeled by Flow Matching methods."
)


def _arxiv(rng: random.Random) -> str:
    return f"https://arxiv.org/abs/25{rng.randint(1, 12):02d}.{rng.randint(10000, 19999)}"


def _sentence(rng: random.Random, korean: bool, links: bool) -> str:
    if korean:
        words = [rng.choice(_KO_SUBJECTS), rng.choice(_KO_MIDDLES), rng.choice(_KO_ENDS)]
    else:
        words = [rng.choice(_EN_SUBJECTS), rng.choice(_EN_MIDDLES), rng.choice(_EN_ENDS)]
    text = " ".join(words)
    roll = rng.random()
    if links and roll < 0.15:
        refs = ", ".join(_arxiv(rng) for _ in range(rng.randint(1, 3)))
        text = f"{text} ({refs})"
    elif roll < 0.35:
        text = f"{text} {rng.choice(_EMOJI)}"
    return text


def _paragraph(rng: random.Random, korean: bool, sentences: int) -> str:
    return " ".join(_sentence(rng, korean, links=True) for _ in range(sentences))


def make_entry(index: int, seed: int = 20250520, scale: int = 1) -> DigestEntry:
    """Entry ``index`` of the corpus of ``seed``; ``scale`` multiplies its comments' sentences."""
    rng = random.Random(seed * 1_000_003 + index)
    title = " ".join(rng.choice(_TITLE_WORDS) for _ in range(rng.randint(4, 12)))
    title = f"{title} {index}"  # unique ids, as in a real digest
    authors = [f"{rng.choice(_FIRST)} {rng.choice(_LAST)}" for _ in range(rng.randint(5, 25))]
    url = (
        _arxiv(rng)
        if rng.random() < 0.8
        else f"https://github.com/lab-{index}/{rng.choice(_TAGS)}-code"
    )
    # Like the example digest: most comments are one paragraph of one to three sentences, some
    # run to three paragraphs (its Anytime Reasoning entry).
    paragraphs = rng.choices([1, 2, 3], weights=[6, 2, 2])[0]
    counts = [rng.randint(1, 3) * scale for _ in range(paragraphs)]
    # The comments draw from their own streams: title, authors, URL, tags and the number of
    # paragraphs are the same at every scale; only the comments' lengths differ.
    ko_rng = random.Random(rng.random())
    en_rng = random.Random(rng.random())
    comment_ko = [_paragraph(ko_rng, True, n) for n in counts]
    comment_en = [_paragraph(en_rng, False, n) for n in counts]
    tags = rng.sample(_TAGS, rng.randint(1, 4))
    return DigestEntry(
        date=DATE,
        title=title,
        authors=authors,
        abstract=_ABSTRACT,
        comment_ko=comment_ko,
        comment_en=comment_en,
        hashtags=tags,
        url=url,
    )


def make_corpus(size: int = 2000, seed: int = 20250520, scale: int = 1) -> list[DigestEntry]:
    """``size`` entries; the same ``seed`` always gives the same corpus."""
    return [make_entry(i, seed, scale) for i in range(size)]


def entry_chars(entry: DigestEntry) -> int:
    """Characters (code points) of what is formatted: title, authors, URL, comments, tags."""
    parts = [entry.title, *entry.authors, entry.url or "", *entry.comment_ko, *entry.comment_en]
    return sum(len(p) for p in parts) + sum(len(t) + 1 for t in entry.hashtags)
