"""Builds monitor/data/vocabulary.json.gz: the words (as written, clitics and all) that
at least MIN_ARTICLES articles of a background corpus of Arabic news use. A worker learns
their spellings once before it forks its work-horses (workers/warmup.py), so that each
horse starts knowing the words most items bring.

    python tools/build_vocabulary.py ../shared/corpus/aljazeera/articles.jsonl
"""

from __future__ import annotations

import gzip
import json
import sys
from collections import Counter
from pathlib import Path

from monitor.text.tokenizer import words

OUTPUT = Path(__file__).resolve().parent.parent / "monitor" / "data" / "vocabulary.json.gz"

MIN_ARTICLES = 3
"""Articles a word must appear in: rarer words are as likely to be new in any item."""


def main(corpus: Path) -> None:
    df: Counter[str] = Counter()
    documents = 0
    with corpus.open(encoding="utf-8") as lines:
        for line in lines:
            article = json.loads(line)
            df.update(set(words(f"{article.get('title', '')}\n{article.get('content', '')}")))
            documents += 1
    kept = sorted(word for word, count in df.items() if count >= MIN_ARTICLES)
    data = {"source": corpus.name, "documents": documents, "words": kept}
    OUTPUT.write_bytes(gzip.compress(json.dumps(data, ensure_ascii=False).encode(), mtime=0))
    print(f"{documents} documents, {len(kept)} words -> {OUTPUT} ({OUTPUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
