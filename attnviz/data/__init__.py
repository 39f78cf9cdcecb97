"""Data: what the models read and the files they write. ``tatoeba`` (sentence pairs, splits, corpora),
``tokenization`` (Moses words, jieba words or characters; vocabularies), ``names`` and ``dictionary``
(CC-CEDICT's proper nouns), ``reviews`` (IMDB), ``modelcard`` (a card's typed figures), ``files`` (atomic writes).

May import: ``attnviz.attention``. Reads ``../shared/data`` at run time; stores none of it.
"""
