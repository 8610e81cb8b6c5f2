"""Builds monitor/data/background_df.json.gz: how many articles of a background
corpus of Arabic news use each word stem. Stems used by one article only are
left out; the fingerprint treats a missing stem as that rare.

    python tools/build_background_df.py ../shared/corpus/aljazeera/articles.jsonl
"""

from __future__ import annotations

import gzip
import json
import sys
from collections import Counter
from pathlib import Path

from monitor.text.fingerprint import features

OUTPUT = Path(__file__).resolve().parent.parent / "monitor" / "data" / "background_df.json.gz"


def main(corpus: Path) -> None:
    df: Counter[str] = Counter()
    documents = 0
    with corpus.open(encoding="utf-8") as lines:
        for line in lines:
            article = json.loads(line)
            df.update(set(features(f"{article.get('title', '')}\n{article.get('content', '')}")))
            documents += 1
    kept = {stem: count for stem, count in sorted(df.items()) if count > 1}
    data = {"source": corpus.name, "documents": documents, "df": kept}
    OUTPUT.write_bytes(gzip.compress(json.dumps(data, ensure_ascii=False).encode(), mtime=0))
    print(f"{documents} documents, {len(kept)} stems -> {OUTPUT} ({OUTPUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
